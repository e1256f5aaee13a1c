"""The credential providers real clients use, unchanged, against rolegate: botocore's assume-role provider
(a profile with ``role_arn`` and ``source_profile``, with an ExternalId and a chained second hop) and the AWS
CLI reading the same profiles. Nothing here calls AssumeRole by hand: the SDK does, as it would against AWS
(AWS CLI User Guide, "Use an IAM role in the AWS CLI"; AWS SDKs and Tools Reference Guide, "Assume role
credential provider")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.live import ACCOUNT_ID, LiveServer

pytestmark = pytest.mark.live


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal_arn: str, **condition: Any) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


@pytest.fixture(scope="module")
def profiles(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A shared config file with a base user profile, a role profile over it and a chained role profile,
    and the environment that points every SDK at the server. Yields that environment."""
    iam = server.client("iam")
    suffix = uuid.uuid4().hex[:8]
    user, ops, audit = f"dev-{suffix}", f"ops-{suffix}", f"audit-{suffix}"
    external_id = uuid.uuid4().hex
    iam.create_user(UserName=user)
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    ops_arn, audit_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{ops}", f"arn:aws:iam::{ACCOUNT_ID}:role/{audit}"
    iam.create_role(RoleName=ops, AssumeRolePolicyDocument=trust(
        user_arn, StringEquals={"sts:ExternalId": external_id}))
    iam.put_role_policy(RoleName=ops, PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:ListRoles", "sts:AssumeRole"], "Resource": "*"}))
    iam.create_role(RoleName=audit, AssumeRolePolicyDocument=trust(ops_arn))
    iam.put_role_policy(RoleName=audit, PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": audit_arn}))
    key = iam.create_access_key(UserName=user)["AccessKey"]

    home = tmp_path_factory.mktemp("aws-home")
    (home / "credentials").write_text(
        f"[base]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n")
    (home / "config").write_text(
        "[profile base]\nregion = eu-west-1\n\n"
        f"[profile ops]\nrole_arn = {ops_arn}\nsource_profile = base\nexternal_id = {external_id}\n"
        "role_session_name = dev-at-ops\nduration_seconds = 1800\nregion = eu-west-1\n\n"
        f"[profile audit]\nrole_arn = {audit_arn}\nsource_profile = ops\nregion = eu-west-1\n\n"
        f"[profile ops-without-external-id]\nrole_arn = {ops_arn}\nsource_profile = base\nregion = eu-west-1\n")
    env = {"HOME": str(home), "AWS_CONFIG_FILE": str(home / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"), "AWS_ENDPOINT_URL": server.url,
           "AWS_PAGER": ""}
    saved = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    for k in saved:
        del os.environ[k]
    os.environ.update(env)
    try:
        yield env | {"ops": ops_arn, "audit": audit_arn, "user": user}
    finally:
        for k in env:
            os.environ.pop(k, None)
        os.environ.update(saved)


def test_botocore_assumes_the_profiles_role_with_its_external_id(profiles: dict[str, str]) -> None:
    session = boto3.Session(profile_name="ops")
    me = session.client("sts").get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{profiles['ops'].split('/')[-1]}/dev-at-ops"
    creds = session.get_credentials()
    assert creds is not None and creds.access_key.startswith("ASIA")
    assert any(r["Arn"] == profiles["ops"] for r in session.client("iam").list_roles()["Roles"])
    with pytest.raises(ClientError) as exc:
        session.client("iam").list_users()
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_botocore_chains_through_a_role_profile_into_another_role(profiles: dict[str, str]) -> None:
    session = boto3.Session(profile_name="audit")
    me = session.client("sts").get_caller_identity()
    assert me["Arn"].startswith(f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{profiles['audit'].split('/')[-1]}/")
    iam = session.client("iam")
    assert iam.get_role(RoleName=profiles["audit"].split("/")[-1])["Role"]["Arn"] == profiles["audit"]
    with pytest.raises(ClientError) as exc:
        iam.list_roles()  # the first hop's permission does not carry over the chain
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_a_profile_without_the_required_external_id_is_refused(profiles: dict[str, str]) -> None:
    session = boto3.Session(profile_name="ops-without-external-id")
    with pytest.raises(ClientError) as exc:
        session.client("sts").get_caller_identity()
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    assert "sts:AssumeRole" in exc.value.response["Error"]["Message"]


def test_the_aws_cli_uses_the_same_role_profiles(profiles: dict[str, str], tmp_path: Path) -> None:
    aws = Path(sys.executable).with_name("aws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({k: v for k, v in profiles.items() if k.startswith(("AWS_", "HOME"))})
    for profile, role in (("ops", profiles["ops"]), ("audit", profiles["audit"])):
        proc = subprocess.run([str(aws), "sts", "get-caller-identity", "--profile", profile, "--output", "json"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["Arn"].startswith(
            f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role.split('/')[-1]}/")
