"""STS end to end with boto3, as a new user would try it: a user in account A assumes a role in account B
that requires an ExternalId, chains into a role in account C, and each session's credentials are allowed and
denied exactly as the policies say. Expiry is tested in-process with a clock (tests/sts), never by sleeping."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rolegate.sts.mfa import time_step, totp
from tests.live import ACCOUNT_ID, LiveServer

pytestmark = pytest.mark.live

B_ID, C_ID = "222233334444", "555566667777"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def cli(server: LiveServer, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLEGATE_")}
    env.update(server.env)  # the server's store (its PostgreSQL database, when it has one)
    proc = subprocess.run([sys.executable, "-m", "rolegate", *args, "--data-dir", str(server.data_dir)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@dataclass
class Account:
    account_id: str
    key: str
    secret: str


def _account(server: LiveServer, name: str, account_id: str) -> Account:
    text = cli(server, "account", "create", name, "--id", account_id)
    fields = dict(line.split(" = ", 1) for line in text.splitlines() if " = " in line)
    return Account(account_id, fields["aws_access_key_id"].strip(), fields["aws_secret_access_key"].strip())


@pytest.fixture(scope="module")
def accounts(server: LiveServer) -> tuple[Account, Account]:
    return _account(server, "sts-b", B_ID), _account(server, "sts-c", C_ID)


def creds(server: LiveServer, service: str, c: dict[str, Any]) -> Any:
    return server.client(service, key_id=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])


@dataclass
class Journey:
    alice: Any  # A's user's STS client
    b_role: str
    c_role: str
    external_id: str
    b: Account


@pytest.fixture(scope="module")
def journey(server: LiveServer, accounts: tuple[Account, Account]) -> Journey:
    b, c = accounts
    iam_a = server.client("iam")
    iam_b = server.client("iam", key_id=b.key, secret=b.secret)
    iam_c = server.client("iam", key_id=c.key, secret=c.secret)
    external_id = uuid.uuid4().hex
    alice = unique("alice")
    iam_a.create_user(UserName=alice)
    alice_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{alice}"
    b_name, c_name = unique("b-role"), unique("c-role")
    b_role, c_role = f"arn:aws:iam::{B_ID}:role/{b_name}", f"arn:aws:iam::{C_ID}:role/{c_name}"
    # A: alice's own policy must allow sts:AssumeRole on B's role (cross-account needs both sides).
    iam_a.put_user_policy(UserName=alice, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", b_role)))
    key = iam_a.create_access_key(UserName=alice)["AccessKey"]
    # B: trusts alice with an ExternalId; reads IAM, is explicitly denied ListUsers, capped by a boundary.
    boundary = iam_b.create_policy(PolicyName=unique("cap"), PolicyDocument=doc(
        allow(["iam:GetRole", "iam:ListRoles", "iam:ListUsers", "sts:AssumeRole"])))["Policy"]["Arn"]
    iam_b.create_role(RoleName=b_name, MaxSessionDuration=43200, PermissionsBoundary=boundary,
                      AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": alice_arn},
                                                    "Action": "sts:AssumeRole",
                                                    "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}))
    iam_b.put_role_policy(RoleName=b_name, PolicyName="reader", PolicyDocument=doc(
        allow(["iam:Get*", "iam:List*", "sts:AssumeRole"]),
        {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}))
    # C: trusts B's role; may list roles only.
    iam_c.create_role(RoleName=c_name, MaxSessionDuration=43200, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": b_role}, "Action": "sts:AssumeRole"}))
    iam_c.put_role_policy(RoleName=c_name, PolicyName="lister", PolicyDocument=doc(allow("iam:ListRoles")))
    sts = server.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    return Journey(sts, b_role, c_role, external_id, b)


def _assume_b(j: Journey, **kw: Any) -> dict[str, Any]:
    return j.alice.assume_role(RoleArn=j.b_role, RoleSessionName="alice", ExternalId=j.external_id, **kw)


def test_cross_account_role_requires_the_external_id(journey: Journey) -> None:
    with pytest.raises(ClientError) as exc:
        journey.alice.assume_role(RoleArn=journey.b_role, RoleSessionName="alice")
    assert code_of(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        journey.alice.assume_role(RoleArn=journey.b_role, RoleSessionName="alice", ExternalId="wrong")
    assert code_of(exc) == "AccessDenied"
    out = _assume_b(journey)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{B_ID}:assumed-role/{journey.b_role.split('/')[-1]}/alice"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_role_session_is_allowed_and_denied_as_its_policies_say(server: LiveServer, journey: Journey) -> None:
    c = _assume_b(journey)["Credentials"]
    iam = creds(server, "iam", c)
    me = creds(server, "sts", c).get_caller_identity()
    assert me["Account"] == B_ID and me["Arn"].endswith("/alice") and me["UserId"].startswith("AROA")
    assert iam.get_role(RoleName=journey.b_role.split("/")[-1])["Role"]["Arn"] == journey.b_role
    iam.list_roles()
    for denied in (iam.list_users,  # explicit deny in the role's own policy wins over iam:List*
                   iam.list_policies,  # allowed by the role's policy, but not by its permissions boundary
                   lambda: iam.create_user(UserName=unique("u"))):  # allowed by nothing
        with pytest.raises(ClientError) as exc:
            denied()
        assert code_of(exc) == "AccessDenied"


def test_session_policy_narrows_the_role(server: LiveServer, journey: Journey) -> None:
    c = _assume_b(journey, Policy=doc(allow("iam:GetRole")))["Credentials"]
    iam = creds(server, "iam", c)
    iam.get_role(RoleName=journey.b_role.split("/")[-1])
    with pytest.raises(ClientError) as exc:
        iam.list_roles()
    assert code_of(exc) == "AccessDenied"


def test_chaining_into_a_third_account_is_capped_at_one_hour(server: LiveServer, journey: Journey) -> None:
    b_sts = creds(server, "sts", _assume_b(journey, DurationSeconds=43200)["Credentials"])
    with pytest.raises(ClientError) as exc:
        b_sts.assume_role(RoleArn=journey.c_role, RoleSessionName="hop", DurationSeconds=7200)
    assert code_of(exc) == "ValidationError"
    assert "1 hour session limit for roles assumed by role chaining" in str(exc.value)
    out = b_sts.assume_role(RoleArn=journey.c_role, RoleSessionName="hop", DurationSeconds=3600)
    iam_c = creds(server, "iam", out["Credentials"])
    assert journey.c_role in [r["Arn"] for r in iam_c.list_roles()["Roles"]]
    with pytest.raises(ClientError) as exc:
        iam_c.get_role(RoleName=journey.c_role.split("/")[-1])
    assert code_of(exc) == "AccessDenied"


def test_role_last_used_is_reported_after_assume_role(server: LiveServer, journey: Journey) -> None:
    _assume_b(journey)
    iam_b = server.client("iam", key_id=journey.b.key, secret=journey.b.secret)
    last = iam_b.get_role(RoleName=journey.b_role.split("/")[-1])["Role"]["RoleLastUsed"]
    assert last["Region"] == "us-east-1" and "LastUsedDate" in last


def test_a_token_with_one_flipped_bit_is_rejected(server: LiveServer, journey: Journey) -> None:
    c = dict(_assume_b(journey)["Credentials"])
    raw = bytearray(base64.b64decode(c["SessionToken"]))
    raw[len(raw) // 3] ^= 0x01
    c["SessionToken"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(ClientError) as exc:
        creds(server, "sts", c).get_caller_identity()
    assert code_of(exc) == "InvalidClientTokenId"
    assert exc.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_revoked_sessions_stop_working_and_new_ones_work(server: LiveServer, journey: Journey) -> None:
    old = creds(server, "iam", _assume_b(journey)["Credentials"])
    old.list_roles()
    time.sleep(1.1)  # aws:TokenIssueTime has one-second resolution: revoke strictly after the old session
    cli(server, "role", "revoke-sessions", journey.b_role.split("/")[-1], "--account", B_ID)
    with pytest.raises(ClientError) as exc:
        old.list_roles()
    assert code_of(exc) == "AccessDenied"
    creds(server, "iam", _assume_b(journey)["Credentials"]).list_roles()


def test_key_rotation_leaves_live_sessions_working(server: LiveServer, journey: Journey) -> None:
    before = _assume_b(journey)["Credentials"]
    cli(server, "keys", "rotate")
    assert creds(server, "sts", before).get_caller_identity()["Account"] == B_ID
    after = _assume_b(journey)["Credentials"]
    assert creds(server, "sts", after).get_caller_identity()["Account"] == B_ID


def test_root_cannot_assume_a_role(sts: Any, journey: Journey) -> None:
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=journey.b_role, RoleSessionName="root", ExternalId=journey.external_id)
    assert code_of(exc) == "AccessDenied"


def test_get_access_key_info_names_the_keys_account(sts: Any, journey: Journey) -> None:
    c = _assume_b(journey)["Credentials"]
    assert sts.get_access_key_info(AccessKeyId=c["AccessKeyId"])["Account"] == B_ID


def test_get_session_token_with_virtual_mfa(server: LiveServer, iam: Any) -> None:
    name = unique("mfa")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    step = int(time.time()) // 30
    iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]] == [device["SerialNumber"]]
    user_sts = server.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(ClientError) as exc:
        user_sts.get_session_token(SerialNumber=device["SerialNumber"], TokenCode="000000"
                                   if totp(seed, step) != "000000" else "111111")
    assert code_of(exc) == "AccessDenied"
    out = user_sts.get_session_token(SerialNumber=device["SerialNumber"], TokenCode=totp(seed, step + 1)
                                     if time_step_now() > step else totp(seed, step + 1))
    me = creds(server, "sts", out["Credentials"]).get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"


def time_step_now() -> int:
    return int(time.time()) // 30


def test_a_drifted_mfa_device_is_resynced_read_back_and_tagged(server: LiveServer, iam: Any) -> None:
    name = unique("resync")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Tags=[{"Key": "team", "Value": "sec"}])
    serial, seed = device["VirtualMFADevice"]["SerialNumber"], device["VirtualMFADevice"]["Base32StringSeed"].decode()
    step = time_step_now()
    iam.enable_mfa_device(UserName=name, SerialNumber=serial,
                          AuthenticationCode1=totp(seed, step - 1), AuthenticationCode2=totp(seed, step))
    got = iam.get_mfa_device(UserName=name, SerialNumber=serial)
    assert (got["UserName"], got["SerialNumber"]) == (name, serial) and got["EnableDate"]
    # The device's clock runs four minutes fast: its codes fail until it is resynced.
    ahead = time_step_now() + 8
    iam.resync_mfa_device(UserName=name, SerialNumber=serial,
                          AuthenticationCode1=totp(seed, ahead), AuthenticationCode2=totp(seed, ahead + 1))
    user_sts = server.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    # The device's next code: ahead of the server's clock by the offset it learnt, and never used before.
    out = user_sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, ahead + 2))
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    with pytest.raises(ClientError) as exc:
        iam.resync_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="000000",
                              AuthenticationCode2="000001")
    assert code_of(exc) == "InvalidAuthenticationCode"
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["team"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "env", "Value": "prod"}]
    with pytest.raises(ClientError) as exc:
        iam.list_mfa_device_tags(SerialNumber=f"arn:aws:iam::{ACCOUNT_ID}:mfa/{unique('none')}")
    assert code_of(exc) == "NoSuchEntity"


def test_federation_token_gives_a_federated_user(server: LiveServer, iam: Any) -> None:
    name = unique("fed")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="fed", PolicyDocument=doc(allow("sts:GetFederationToken")))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user_sts = server.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    out = user_sts.get_federation_token(Name="bob", Policy=doc(allow("s3:*")))
    assert out["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT_ID}:bob",
                                    "Arn": f"arn:aws:sts::{ACCOUNT_ID}:federated-user/bob"}
    assert 0 < out["PackedPolicySize"] <= 100
    me = creds(server, "sts", out["Credentials"]).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/bob"


def test_a_session_policy_over_2048_characters_is_refused(journey: Journey) -> None:
    # AssumeRole's model sets no maximum (botocore sends it); AWS's documented plaintext limit applies (issue 10).
    policy = doc(allow("iam:ListRoles"))
    oversized = policy[:-1] + " " * (540_000 - len(policy)) + policy[-1]
    with pytest.raises(ClientError) as exc:
        _assume_b(journey, Policy=oversized)
    assert code_of(exc) == "ValidationError"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Member must have length less than or equal to 2048" in exc.value.response["Error"]["Message"]


def test_more_than_ten_session_policy_arns_are_refused(journey: Journey) -> None:
    arns = [{"arn": f"arn:aws:iam::aws:policy/ReadOnlyAccess{i}"} for i in range(11)]
    with pytest.raises(ClientError) as exc:
        _assume_b(journey, PolicyArns=arns)
    assert code_of(exc) == "ValidationError" and "less than or equal to 10" in exc.value.response["Error"]["Message"]


def test_inline_and_managed_session_policies_over_2048_characters_together_are_packed_policy_too_large(
        server: LiveServer, iam: Any, journey: Journey) -> None:
    """Each within its own limit, together over 2,048 characters of plaintext: PackedPolicyTooLarge on AssumeRole
    and GetFederationToken alike (rolegate.sts.packed_size)."""
    managed = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    policy = doc(allow("iam:ListRoles"))
    inline = policy[:-1] + " " * (2049 - len(managed) - len(policy)) + policy[-1]
    name = unique("fed")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="fed", PolicyDocument=doc(allow("sts:GetFederationToken")))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user_sts = server.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    for call in (lambda: _assume_b(journey, Policy=inline, PolicyArns=[{"arn": managed}]),
                 lambda: user_sts.get_federation_token(Name="bob", Policy=inline, PolicyArns=[{"arn": managed}])):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == "PackedPolicyTooLarge"
        assert exc.value.response["Error"]["Message"] == ("Packed policy consumes 101% of allotted space, please "
                                                          "use smaller policy.")
    # One character less fits, and reports how full the space is.
    out = user_sts.get_federation_token(Name="bob", Policy=inline[:-2] + inline[-1], PolicyArns=[{"arn": managed}])
    assert 0 < out["PackedPolicySize"] <= 100
