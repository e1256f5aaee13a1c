"""``--dev``: an unknown key is the default account's administrator IAM user, and ``/_rolegate/reset`` wipes
state; strict mode has neither."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.live import LiveServer, free_port

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    srv = LiveServer(tmp_path_factory.mktemp("dev"), extra_args=["--dev"])
    srv.start()
    yield srv
    srv.stop()


DEV_USER_ARN = "arn:aws:iam::123456789012:user/rolegate/rolegate-dev"


def test_dev_mode_accepts_an_unknown_key_as_the_default_accounts_administrator_user(dev_server: LiveServer) -> None:
    sts = dev_server.client("sts", key_id="test", secret="test")
    identity = sts.get_caller_identity()
    assert identity["Arn"] == DEV_USER_ARN and identity["UserId"].startswith("AIDA")
    iam = dev_server.client("iam", key_id="test", secret="test")
    attached = iam.list_attached_user_policies(UserName="rolegate-dev")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]


def test_dev_mode_credentials_assume_a_role_that_trusts_the_account(dev_server: LiveServer) -> None:
    # What developers do first with a local emulator: AWS_ACCESS_KEY_ID=test aws sts assume-role ...
    # (the root user may not assume roles on AWS, so the dev key must not be the root).
    iam = dev_server.client("iam", key_id="test", secret="test")
    iam.create_role(RoleName="dev-trusting", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                                "Action": "sts:AssumeRole"}]}))
    creds = dev_server.client("sts", key_id="test", secret="test").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/dev-trusting", RoleSessionName="dev")["Credentials"]
    session = dev_server.client("sts", key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                                token=creds["SessionToken"])
    assert session.get_caller_identity()["Arn"] == "arn:aws:sts::123456789012:assumed-role/dev-trusting/dev"


def test_dev_mode_still_checks_signatures_of_known_keys(dev_server: LiveServer) -> None:
    with pytest.raises(ClientError) as exc:
        dev_server.client("iam", secret="wrong" * 8).list_roles()
    assert exc.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_reset_wipes_all_state_but_keeps_the_root_key(dev_server: LiveServer) -> None:
    iam = dev_server.client()
    iam.create_role(RoleName="before-reset", AssumeRolePolicyDocument=TRUST)
    assert httpx.post(dev_server.url + "/_rolegate/reset").status_code == 200
    assert iam.list_roles()["Roles"] == []
    # The administrator user unknown keys act as comes back with the account.
    assert dev_server.client("sts", key_id="test", secret="test").get_caller_identity()["Arn"] == DEV_USER_ARN


def test_dev_mode_announces_itself_loudly(dev_server: LiveServer) -> None:
    assert "DEV MODE" in dev_server.log()


def test_strict_mode_has_no_reset_path(server: LiveServer) -> None:
    assert httpx.post(server.url + "/_rolegate/reset").status_code == 404


def test_strict_mode_rejects_unknown_keys(server: LiveServer) -> None:
    with pytest.raises(ClientError) as exc:
        server.client("sts", key_id="AKIAANYTHINGATALL000", secret="whatever").get_caller_identity()
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_health_endpoints_answer(server: LiveServer) -> None:
    assert httpx.get(server.url + "/healthz").text == "ok"
    assert httpx.get(server.url + "/readyz").status_code == 200


def test_generated_root_credentials_are_written_once_to_a_private_file(tmp_path: Path) -> None:
    # Started without configured root credentials, the server generates them.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLEGATE_", "AWS_"))}
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rolegate", "serve", "--port", str(port), "--data-dir",
                             str(tmp_path)], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        banner = b""
        while b"AWS_REGION" not in banner:
            line = proc.stderr.readline()  # type: ignore[union-attr]
            assert line, "server exited before printing its banner"
            banner += line
        creds = tmp_path / "root-credentials"
        assert creds.stat().st_mode & 0o777 == 0o600
        text = creds.read_text()
        key_id = text.split("aws_access_key_id = ")[1].split()[0]
        secret = text.split("aws_secret_access_key = ")[1].split()[0]
        assert f"export AWS_ACCESS_KEY_ID={key_id}".encode() in banner
        assert secret.encode() not in banner  # the secret stays in the file, not in logs
        assert key_id.startswith("AKIA")
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()  # type: ignore[union-attr]
