"""Registered instances against a live server through boto3 and rolegate's own ``rolegate-instances`` model, and
the ``rolegate instance`` commands: register → join → role credentials → a plain boto3 client on them.

The clients are botocore's, unmodified; only the model comes from rolegate (on the loader's search path, as the
agent loads it). docs/adr/0038-registered-instances.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from typing import Any

import boto3
import botocore.config
import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError

from rolegate.wire.models import MODEL_DIR
from tests.live import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET, LiveServer

TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
READ_ROLES = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


def client(server: LiveServer, service: str, creds: dict[str, str] | None = None, *, unsigned: bool = False) -> Any:
    """A boto3 client with ``creds`` (an AccessKeyId/SecretAccessKey/SessionToken dict), or the root's."""
    core = botocore.session.Session()
    core.get_component("data_loader").search_paths.append(str(MODEL_DIR))
    config = botocore.config.Config(retries={"max_attempts": 1}, signature_version=UNSIGNED if unsigned else None)
    keys = creds or {"AccessKeyId": ROOT_KEY_ID, "SecretAccessKey": ROOT_SECRET}
    return boto3.session.Session(botocore_session=core).client(
        service, endpoint_url=server.url, region_name="us-east-1", config=config,
        aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys.get("SessionToken"))


def profile_with_role(iam: Any, trust: str = TRUST_EC2) -> tuple[str, str]:
    role, profile = unique("inst-role"), unique("inst-ip")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=READ_ROLES)
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    return role, profile


def joined(server: LiveServer, profile: str) -> tuple[str, dict[str, str]]:
    """(instance id, instance credential) of an instance registered with ``profile`` and joined."""
    registered = client(server, "rolegate-instances").register_instance(InstanceProfileName=profile)
    join = client(server, "rolegate-instances", unsigned=True).join_instance(JoinToken=registered["JoinToken"])
    return registered["InstanceId"], join["InstanceCredential"]


def test_an_instance_gets_its_profiles_role_and_a_plain_client_uses_it(server: LiveServer, iam: Any) -> None:
    role, profile = profile_with_role(iam)
    registered = client(server, "rolegate-instances").register_instance(
        InstanceProfileName=profile, Tags=[{"Key": "team", "Value": "web"}])
    instance_id = registered["InstanceId"]
    assert instance_id.startswith("i-") and len(instance_id) == 19 and registered["JoinToken"].startswith("rgjt-")
    join = client(server, "rolegate-instances", unsigned=True).join_instance(JoinToken=registered["JoinToken"])
    assert (join["InstanceId"], join["AccountId"], join["Region"]) == (instance_id, ACCOUNT_ID, "us-east-1")
    creds = client(server, "rolegate-instances", join["InstanceCredential"]).get_instance_role_credentials()
    assert creds["RoleName"] == role and creds["InstanceProfileArn"].endswith(f":instance-profile/{profile}")
    assert creds["InstanceProfileId"].startswith("AIPA")
    session = creds["Credentials"]
    identity = client(server, "sts", session).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{instance_id}"
    assert client(server, "iam", session).list_roles()["Roles"]  # the role's policy allows it
    with pytest.raises(ClientError) as denied:
        client(server, "iam", session).list_users()
    assert error(denied)[0] == "AccessDenied"
    listed = client(server, "rolegate-instances").list_instances()["Instances"]
    mine = [i for i in listed if i["InstanceId"] == instance_id]
    assert mine and mine[0]["Joined"] and mine[0]["Tags"] == [{"Key": "team", "Value": "web"}]


def test_a_role_that_does_not_trust_ec2_is_access_denied(server: LiveServer, iam: Any) -> None:
    trust = TRUST_EC2.replace("ec2.amazonaws.com", "lambda.amazonaws.com")
    _, profile = profile_with_role(iam, trust)
    _, credential = joined(server, profile)
    with pytest.raises(ClientError) as denied:
        client(server, "rolegate-instances", credential).get_instance_role_credentials()
    assert error(denied)[:2] == ("AccessDenied", 403)


def test_registering_without_pass_role_is_denied_and_creates_nothing(server: LiveServer, iam: Any) -> None:
    role, profile = profile_with_role(iam)
    user = unique("inst-operator")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["rolegate-instances:RegisterInstance", "rolegate-instances:ListInstances"],
            "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    operator = client(server, "rolegate-instances", key)
    before = operator.list_instances()["Instances"]
    with pytest.raises(ClientError) as denied:
        operator.register_instance(InstanceProfileName=profile)
    code, status, message = error(denied)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: arn:aws:iam::{ACCOUNT_ID}:user/{user} is not authorized to perform: "
                              f"iam:PassRole on resource: arn:aws:iam::{ACCOUNT_ID}:role/{role}")
    assert operator.list_instances()["Instances"] == before


def test_a_join_token_works_once(server: LiveServer, iam: Any) -> None:
    _, profile = profile_with_role(iam)
    token = client(server, "rolegate-instances").register_instance(InstanceProfileName=profile)["JoinToken"]
    unsigned = client(server, "rolegate-instances", unsigned=True)
    unsigned.join_instance(JoinToken=token)
    with pytest.raises(ClientError) as reused:
        unsigned.join_instance(JoinToken=token)
    code, status, message = error(reused)
    assert (code, status) == ("InvalidJoinToken", 403) and "unknown, already used or expired" in message


def test_a_deregistered_instances_credential_is_refused_at_once(server: LiveServer, iam: Any) -> None:
    _, profile = profile_with_role(iam)
    instance_id, credential = joined(server, profile)
    as_instance = client(server, "rolegate-instances", credential)
    rotated = as_instance.rotate_instance_credential()["InstanceCredential"]
    assert rotated["AccessKeyId"] != credential["AccessKeyId"]
    as_instance.get_instance_role_credentials()  # the presented credential still works after rotating
    client(server, "rolegate-instances").deregister_instance(InstanceId=instance_id)
    for creds in (credential, rotated):
        with pytest.raises(ClientError) as refused:
            client(server, "rolegate-instances", creds).get_instance_role_credentials()
        assert error(refused)[:2] == ("InvalidClientTokenId", 403)


def test_an_instance_credential_calls_nothing_but_its_own_operations(server: LiveServer, iam: Any) -> None:
    _, profile = profile_with_role(iam)
    _, credential = joined(server, profile)
    with pytest.raises(ClientError) as denied:
        client(server, "sts", credential).get_caller_identity()
    assert error(denied)[0] == "AccessDenied"
    with pytest.raises(ClientError) as listing:
        client(server, "rolegate-instances", credential).list_instances()
    assert error(listing)[0] == "AccessDenied"


def test_deregistering_an_unknown_instance_is_ec2s_not_found(server: LiveServer) -> None:
    with pytest.raises(ClientError) as missing:
        client(server, "rolegate-instances").deregister_instance(InstanceId="i-0000000000000000f")
    assert error(missing)[:2] == ("InvalidInstanceID.NotFound", 400)


def _cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=ROOT_KEY_ID, AWS_SECRET_ACCESS_KEY=ROOT_SECRET, AWS_ENDPOINT_URL=server.url,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    return subprocess.run([sys.executable, "-m", "rolegate", "instance", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_the_cli_registers_lists_and_deregisters(server: LiveServer, iam: Any) -> None:
    _, profile = profile_with_role(iam)
    done = _cli(server, "register", "--instance-profile", profile, "--tag", "env=prod", "--join-token-ttl", "120")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert sorted(printed) == ["Expiration", "InstanceId", "JoinToken"]
    assert printed["JoinToken"].startswith("rgjt-") and printed["Expiration"].endswith("Z")
    listed = json.loads(_cli(server, "list").stdout)["Instances"]
    assert [i["Tags"] for i in listed if i["InstanceId"] == printed["InstanceId"]] == [[{"Key": "env",
                                                                                         "Value": "prod"}]]
    assert _cli(server, "deregister", printed["InstanceId"]).returncode == 0
    again = _cli(server, "deregister", printed["InstanceId"])
    assert again.returncode == 1 and "InvalidInstanceID.NotFound" in again.stderr


def test_the_cli_says_which_profile_is_unknown(server: LiveServer) -> None:
    done = _cli(server, "register", "--instance-profile", "no-such-profile")
    assert done.returncode == 1 and done.stdout == ""
    assert "Value (no-such-profile) for parameter iamInstanceProfile.name is invalid" in done.stderr


def test_requests_made_with_the_role_session_carry_the_source_instance(server: LiveServer, iam: Any) -> None:
    role, profile = profile_with_role(iam)
    instance_id, credential = joined(server, profile)

    def only_from(instance: str) -> None:
        iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
                "Condition": {"ArnEquals": {"ec2:SourceInstanceARN":
                                            f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:instance/{instance}"}}}]}))

    only_from(instance_id)
    session = client(server, "rolegate-instances", credential).get_instance_role_credentials()["Credentials"]
    assert client(server, "iam", session).list_roles()["Roles"]
    only_from("i-0000000000000000f")
    with pytest.raises(ClientError) as denied:
        client(server, "iam", session).list_roles()
    assert error(denied)[0] == "AccessDenied"


def test_agents_racing_one_join_token_get_one_credential(server: LiveServer, iam: Any) -> None:
    _, profile = profile_with_role(iam)
    token = client(server, "rolegate-instances").register_instance(InstanceProfileName=profile)["JoinToken"]
    clients = [client(server, "rolegate-instances", unsigned=True) for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    outcomes: list[str] = []

    def join(c: Any) -> None:
        barrier.wait()
        try:
            c.join_instance(JoinToken=token)
            outcomes.append("joined")
        except ClientError as exc:
            outcomes.append(str(exc.response["Error"]["Code"]))

    threads = [threading.Thread(target=join, args=(c,)) for c in clients]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["InvalidJoinToken"] * 5 + ["joined"]
