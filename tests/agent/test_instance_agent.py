"""``rolegate agent`` for a registered instance (issue 13, item 2), end to end as a new user would run it: a role
trusting ec2.amazonaws.com in an instance profile, ``rolegate instance register``, the agent started with the join
token, then unmodified clients with no credentials configured at all get the instance's role. Associations
replaced and removed are seen by the same client within the agent's poll; deregistration withdraws everything;
restarts (also after SIGKILL) reuse the stored instance credential; a reused join token is refused; with the
server gone the agent keeps serving what it holds (static stability).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.live import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET, LiveServer

from .live_agent import LiveAgent, clean_env, metric

pytestmark = pytest.mark.live

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def profile_trusting_ec2(server: LiveServer, *actions: str) -> tuple[str, str]:
    """A role trusting EC2, allowed ``actions``, in a new instance profile: (profile name, role name)."""
    iam = server.client("iam")
    name = f"web-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name, name


def _operator_env(server: LiveServer, home: Path) -> dict[str, str]:
    return {**clean_env(home), "AWS_ACCESS_KEY_ID": ROOT_KEY_ID, "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
            "AWS_ENDPOINT_URL": server.url, "AWS_DEFAULT_REGION": "us-east-1"}


def register_instance(server: LiveServer, home: Path, profile: str) -> dict[str, str]:
    got = subprocess.run([sys.executable, "-m", "rolegate", "instance", "register", "--instance-profile", profile],
                         capture_output=True, text=True, env=_operator_env(server, home), timeout=60)
    assert got.returncode == 0, got.stderr
    registered: dict[str, str] = json.loads(got.stdout)
    assert set(registered) == {"InstanceId", "JoinToken", "Expiration"}
    return registered


def _agent(server: LiveServer, directory: Path, token: str | None, *extra: str) -> LiveAgent:
    args = ["--endpoint-url", server.url, "--region", "us-east-1", "--poll-interval", "1", *extra]
    if token is not None:
        (directory / "join-token").write_text(token)
        args += ["--join-token-file", str(directory / "join-token")]
    return LiveAgent(directory / "state", args)


def _started(server: LiveServer, directory: Path, *actions: str) -> tuple[LiveAgent, dict[str, str], str]:
    """A new instance registered with a new profile allowing ``actions``, its agent started and serving the
    profile's role: (agent, registration, role)."""
    profile, role = profile_trusting_ec2(server, *actions)
    registered = register_instance(server, directory, profile)
    agent = _agent(server, directory, registered["JoinToken"])
    agent.start()
    _eventually(lambda: _role_served(agent) == role)
    return agent, registered, role


def _eventually(check: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError("not within the time allowed")


def _role_served(agent: LiveAgent) -> str | None:
    got = agent.get("latest/meta-data/iam/security-credentials/", token=agent.token())
    return got.text if got.status_code == 200 else None


def _plain_client(agent: LiveAgent, server: LiveServer, service: str, monkeypatch: pytest.MonkeyPatch,
                  home: Path) -> Any:
    """A client of ``service`` built by plain boto3 with nothing configured but the agent's IMDS address."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in clean_env(home).items():
        if name.startswith("AWS_") or name == "NO_PROXY":
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", agent.imds_url)
    return boto3.session.Session(region_name="us-east-1").client(service, endpoint_url=server.url)


@pytest.fixture(scope="module")
def joined(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveAgent, dict[str, str], str]]:
    """An instance registered with a profile, and its agent (polling every second): (agent, registration, role)."""
    agent, registered, role = _started(server, tmp_path_factory.mktemp("instance-agent"), "iam:ListRoles",
                                       "iam:GetRole")
    yield agent, registered, role
    agent.stop()


def test_a_plain_sdk_gets_the_instance_role(joined: tuple[LiveAgent, dict[str, str], str], server: LiveServer,
                                            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    agent, registered, role = joined
    sts = _plain_client(agent, server, "sts", monkeypatch, tmp_path)
    me = sts.get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{registered['InstanceId']}"
    iam = _plain_client(agent, server, "iam", monkeypatch, tmp_path)
    assert any(r["RoleName"] == role for r in iam.list_roles()["Roles"])
    with pytest.raises(ClientError) as denied:
        iam.list_users()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_the_aws_cli_lists_roles_as_the_instance(joined: tuple[LiveAgent, dict[str, str], str], server: LiveServer,
                                                 tmp_path: Path) -> None:
    agent, _, role = joined
    env = {**clean_env(tmp_path), "AWS_EC2_METADATA_SERVICE_ENDPOINT": agent.imds_url}
    got = subprocess.run([str(Path(sys.executable).parent / "aws"), "iam", "list-roles", "--endpoint-url", server.url,
                          "--region", "us-east-1", "--output", "json"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert got.returncode == 0, got.stderr
    assert role in [r["RoleName"] for r in json.loads(got.stdout)["Roles"]]


def test_the_instance_paths_describe_the_registered_instance(joined: tuple[LiveAgent, dict[str, str], str]) -> None:
    agent, registered, role = joined
    token = agent.token()
    assert agent.get("latest/meta-data/instance-id", token).text == registered["InstanceId"]
    info = json.loads(agent.get("latest/meta-data/iam/info", token).text)
    assert info["Code"] == "Success" and info["InstanceProfileArn"].endswith(f":instance-profile/{role}")
    assert info["InstanceProfileId"].startswith("AIPA")
    extended = json.loads(agent.get(f"latest/meta-data/iam/security-credentials-extended/{role}", token).text)
    assert extended["AccountId"] == ACCOUNT_ID
    assert agent.get("latest/meta-data/placement/region", token).text == "us-east-1"


def test_the_identity_document_verifies_with_the_agents_certificate(
        joined: tuple[LiveAgent, dict[str, str], str]) -> None:
    agent, registered, _ = joined
    token = agent.token()
    document = agent.get("latest/dynamic/instance-identity/document", token).text
    signature = base64.b64decode(agent.get("latest/dynamic/instance-identity/signature", token).text)
    assert json.loads(document)["instanceId"] == registered["InstanceId"]
    cert = x509.load_pem_x509_certificate((agent.state_dir / "identity-certificate.pem").read_bytes())
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, document.encode(), padding.PKCS1v15(), hashes.SHA256())  # raises if it does not


def test_the_instance_credential_is_kept_0600(joined: tuple[LiveAgent, dict[str, str], str]) -> None:
    agent, registered, _ = joined
    stored = agent.state_dir / "instance-credential.json"
    assert stored.stat().st_mode & 0o777 == 0o600 and agent.state_dir.stat().st_mode & 0o777 == 0o700
    assert json.loads(stored.read_text())["InstanceId"] == registered["InstanceId"]
    assert (agent.state_dir / "identity-key.pem").stat().st_mode & 0o777 == 0o600


def test_the_log_names_the_instance_and_carries_no_secret(joined: tuple[LiveAgent, dict[str, str], str]) -> None:
    agent, registered, role = joined
    served = json.loads(agent.get(f"latest/meta-data/iam/security-credentials/{role}", agent.token()).text)
    stored = json.loads((agent.state_dir / "instance-credential.json").read_text())["Credential"]
    log = agent.log()
    assert registered["InstanceId"] in log
    for secret in (served["SecretAccessKey"], served["Token"], stored["SecretAccessKey"], stored["SessionToken"],
                   registered["JoinToken"]):
        assert secret not in log


def test_one_server_call_per_poll_whatever_the_number_of_clients(
        joined: tuple[LiveAgent, dict[str, str], str]) -> None:
    agent, _, role = joined
    before = metric(agent.metrics(), 'rolegate_agent_refreshes_total{operation="GetInstanceRoleCredentials"}')
    started = time.monotonic()
    token = agent.token()
    for _ in range(200):
        assert agent.get(f"latest/meta-data/iam/security-credentials/{role}", token).status_code == 200
    elapsed = time.monotonic() - started
    after = metric(agent.metrics(), 'rolegate_agent_refreshes_total{operation="GetInstanceRoleCredentials"}')
    assert after - before <= elapsed / 1 + 2  # the poll's calls (one a second), not one per request


def test_a_reused_join_token_is_refused_with_one_line(joined: tuple[LiveAgent, dict[str, str], str],
                                                      server: LiveServer, tmp_path: Path) -> None:
    _, registered, _ = joined
    again = _agent(server, tmp_path, registered["JoinToken"])
    again.start(wait=False)
    assert again.wait() == 1
    assert "rolegate agent: the join token was refused (InvalidJoinToken)" in again.log()
    assert not (again.state_dir / "instance-credential.json").exists()


def test_associations_replaced_removed_and_deregistration_are_served_within_the_poll(
        server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agent, registered, first_role = _started(server, tmp_path, "iam:GetRole")
    first = first_role  # the profile is named as its role
    second, second_role = profile_trusting_ec2(server, "iam:GetRole")
    try:
        ec2 = server.client("ec2")
        association = ec2.describe_iam_instance_profile_associations(Filters=[
            {"Name": "instance-id", "Values": [registered["InstanceId"]]}])["IamInstanceProfileAssociations"][0]
        ec2.replace_iam_instance_profile_association(IamInstanceProfile={"Name": second},
                                                     AssociationId=association["AssociationId"])
        _eventually(lambda: _role_served(agent) == second_role)
        sts = _plain_client(agent, server, "sts", monkeypatch, tmp_path)
        assert f"/{second_role}/" in sts.get_caller_identity()["Arn"]  # the same kind of client sees the change
        current = ec2.describe_iam_instance_profile_associations(Filters=[
            {"Name": "instance-id", "Values": [registered["InstanceId"]]}])["IamInstanceProfileAssociations"][0]
        ec2.disassociate_iam_instance_profile(AssociationId=current["AssociationId"])
        _eventually(lambda: _role_served(agent) is None)
        assert agent.get(f"latest/meta-data/iam/security-credentials/{second_role}", agent.token()).status_code == 404
        import httpx

        assert httpx.get(agent.container_url, headers={"Authorization": agent.container_token or ""},
                         trust_env=False).status_code == 404
        ec2.associate_iam_instance_profile(IamInstanceProfile={"Name": first}, InstanceId=registered["InstanceId"])
        _eventually(lambda: _role_served(agent) == first_role)
        deregistered = subprocess.run([sys.executable, "-m", "rolegate", "instance", "deregister",
                                       registered["InstanceId"]], capture_output=True, text=True,
                                      env=_operator_env(server, tmp_path), timeout=60)
        assert deregistered.returncode == 0, deregistered.stderr
        _eventually(lambda: _role_served(agent) is None)
        assert "instance credential refused" in agent.log()
    finally:
        agent.stop()


def test_two_instances_each_get_only_their_own_role(server: LiveServer, tmp_path: Path) -> None:
    agents = []
    try:
        for n in (1, 2):
            (tmp_path / str(n)).mkdir()
            a, registered, role = _started(server, tmp_path / str(n), "iam:GetRole")
            agents.append((a, registered["InstanceId"], role))
        for a, instance_id, role in agents:
            assert _role_served(a) == role
            assert a.get("latest/meta-data/instance-id", a.token()).text == instance_id
    finally:
        for a, _, _ in agents:
            a.stop()


def test_restarts_reuse_the_stored_credential_also_after_sigkill(server: LiveServer, tmp_path: Path) -> None:
    agent, registered, role = _started(server, tmp_path, "iam:GetRole")
    (tmp_path / "join-token").unlink()  # spent: a restart must not need it
    assert agent.proc is not None
    agent.proc.send_signal(signal.SIGKILL)  # mid-whatever it was doing: the state file is whole, old or new
    agent.proc.wait(10)
    agent.proc = None
    agent.start()
    try:
        _eventually(lambda: _role_served(agent) == role)
        assert agent.get("latest/meta-data/instance-id", agent.token()).text == registered["InstanceId"]
        assert [p.name for p in agent.state_dir.iterdir() if p.name.startswith(".")] == []  # no temp file left
    finally:
        agent.stop()


def test_with_the_server_stopped_the_agent_keeps_serving(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    (tmp_path / "server").mkdir()
    server.start()
    agent, registered, role = _started(server, tmp_path, "iam:GetRole")
    try:
        before = agent.get(f"latest/meta-data/iam/security-credentials/{role}", agent.token()).text
        server.stop()
        _eventually(lambda: metric(agent.metrics(),
                                   'rolegate_agent_refresh_failures_total{operation="GetInstanceRoleCredentials"}') >= 2)
        assert agent.get(f"latest/meta-data/iam/security-credentials/{role}", agent.token()).text == before
        assert agent.health().startswith(f"ok instance={registered['InstanceId']} role={role}")
        assert "refresh failed; serving the credentials held until they expire" in agent.log()
    finally:
        agent.stop()
        server.stop()
