"""``rolegate credential-process`` (certificate mode) as a ``credential_process`` profile line, consumed by
botocore's own process provider against the TLS server: the credentials work and obey the role's policies;
a refusal reaches botocore as the command's error."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, CredentialRetrievalError

from tests.anywhere.pki import pem, private_pem
from tests.e2e.test_rolesanywhere_sessions import Pki, Setup, make_pki, set_up
from tests.live import LiveServer


def _files(tmp_path: Path, pki: Pki) -> dict[str, Path]:
    paths = {"cert": tmp_path / "leaf.pem", "key": tmp_path / "leaf.key", "chain": tmp_path / "chain.pem"}
    paths["cert"].write_text(pem(pki.leaf))
    paths["key"].write_bytes(private_pem(pki.leaf_key))
    paths["chain"].write_text(pem(pki.intermediate))
    return paths


def _command(server: LiveServer, s: Setup, f: dict[str, Path], *extra: str) -> list[str]:
    return [sys.executable, "-m", "rolegate", "credential-process", "--certificate", str(f["cert"]),
            "--private-key", str(f["key"]), "--intermediates", str(f["chain"]), "--trust-anchor-arn", s.anchor_arn,
            "--profile-arn", s.profile_arn, "--role-arn", s.role_arn, "--endpoint", server.url,
            "--ca-bundle", str(server.ca_bundle), *extra]


def _session(tmp_path: Path, command: list[str]) -> boto3.session.Session:
    config = tmp_path / "config"
    config.write_text(f"[profile ra]\ncredential_process = {shlex.join(command)}\n")
    import botocore.session

    core = botocore.session.Session()
    core.set_config_variable("config_file", str(config))
    core.set_config_variable("credentials_file", str(tmp_path / "none"))
    core.set_config_variable("profile", "ra")
    return boto3.session.Session(botocore_session=core)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_the_output_is_what_aws_signing_helper_prints(tls: LiveServer, tmp_path: Path, kind: str) -> None:
    pki = make_pki(kind)
    s = set_up(tls, pki)
    proc = subprocess.run(_command(tls, s, _files(tmp_path, pki)), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert out["Version"] == 1 and out["AccessKeyId"].startswith("ASIA") and out["Expiration"].endswith("Z")


def test_botocore_uses_it_as_a_credential_process_profile(tls: LiveServer, tmp_path: Path) -> None:
    pki = make_pki("ec", cn="process-host")
    s = set_up(tls, pki)
    session = _session(tmp_path, _command(tls, s, _files(tmp_path, pki), "--session-duration", "900"))
    verify = str(tls.ca_bundle)
    sts = session.client("sts", endpoint_url=tls.url, region_name="us-east-1", verify=verify)
    assert f":assumed-role/{s.role_name}/" in sts.get_caller_identity()["Arn"]
    iam = session.client("iam", endpoint_url=tls.url, region_name="us-east-1", verify=verify)
    assert iam.get_role(RoleName=s.role_name)["Role"]["Arn"] == s.role_arn
    with pytest.raises(ClientError):
        iam.list_users()


def test_a_refusal_reaches_botocore_as_the_commands_error(tls: LiveServer, tmp_path: Path) -> None:
    pki = make_pki("ec")
    s = set_up(tls, pki)
    tls.client("rolesanywhere").disable_profile(profileId=s.profile_arn.rsplit("/", 1)[1])
    session = _session(tmp_path, _command(tls, s, _files(tmp_path, pki)))
    with pytest.raises(CredentialRetrievalError, match="AccessDeniedException: The profile is disabled"):
        session.client("sts", endpoint_url=tls.url, region_name="us-east-1",
                       verify=str(tls.ca_bundle)).get_caller_identity()
