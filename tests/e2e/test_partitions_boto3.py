"""Partitions end to end with boto3: an account created in ``aws-cn``, ``aws-us-gov`` or ``aws-iso-b`` is served
in that partition when its requests are signed for one of the partition's regions — ARNs, AWS managed
policies, assumed-role sessions and AccessDenied texts as AWS writes them there — and its credentials are
refused for any other partition's regions, as the default account's are for its (docs/adr/0022-partitions.md).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.test_sts_boto3 import Account, cli
from tests.live import ACCOUNT_ID, LiveServer

pytestmark = pytest.mark.live

CN_ID, GOV_ID, ISOB_ID = "310000000001", "320000000002", "330000000003"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def _account(server: LiveServer, name: str, account_id: str, partition: str) -> Account:
    text = cli(server, "account", "create", name, "--id", account_id, "--partition", partition)
    fields = dict(line.split(" = ", 1) for line in text.splitlines() if " = " in line)
    assert fields["partition"].strip() == partition
    return Account(account_id, fields["aws_access_key_id"].strip(), fields["aws_secret_access_key"].strip())


@pytest.fixture(scope="module")
def cn(server: LiveServer) -> Account:
    return _account(server, "partition-cn", CN_ID, "aws-cn")


@pytest.fixture(scope="module")
def gov(server: LiveServer) -> Account:
    return _account(server, "partition-gov", GOV_ID, "aws-us-gov")


@pytest.fixture(scope="module")
def isob(server: LiveServer) -> Account:
    return _account(server, "partition-isob", ISOB_ID, "aws-iso-b")


def client(server: LiveServer, service: str, account: Account, region: str) -> Any:
    return server.client(service, key_id=account.key, secret=account.secret, region=region)


def test_a_role_created_in_china_has_an_aws_cn_arn(server: LiveServer, cn: Account) -> None:
    iam = client(server, "iam", cn, "cn-north-1")
    name = unique("cn-role")
    trust = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com.cn"}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, Path="/app/")["Role"]
    assert role["Arn"] == f"arn:aws-cn:iam::{CN_ID}:role/app/{name}"
    assert iam.get_role(RoleName=name)["Role"]["Arn"] == role["Arn"]


def test_users_groups_policies_and_profiles_carry_the_partition(server: LiveServer, cn: Account) -> None:
    iam = client(server, "iam", cn, "cn-northwest-1")
    name = unique("cn")
    assert iam.create_user(UserName=name)["User"]["Arn"] == f"arn:aws-cn:iam::{CN_ID}:user/{name}"
    assert iam.create_group(GroupName=name)["Group"]["Arn"] == f"arn:aws-cn:iam::{CN_ID}:group/{name}"
    policy = iam.create_policy(PolicyName=name, PolicyDocument=doc({"Effect": "Allow", "Action": "s3:*",
                                                                     "Resource": "*"}))["Policy"]
    assert policy["Arn"] == f"arn:aws-cn:iam::{CN_ID}:policy/{name}"
    profile = iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws-cn:iam::{CN_ID}:instance-profile/{name}"


def test_the_caller_identity_of_each_partition_s_root_user(server: LiveServer, cn: Account, gov: Account,
                                                           isob: Account) -> None:
    for account, region, partition in ((cn, "cn-north-1", "aws-cn"), (gov, "us-gov-west-1", "aws-us-gov"),
                                       (isob, "us-isob-east-1", "aws-iso-b")):
        me = client(server, "sts", account, region).get_caller_identity()
        assert (me["Account"], me["Arn"]) == (account.account_id, f"arn:{partition}:iam::{account.account_id}:root")


def test_roles_in_govcloud_and_iso_b_carry_their_partition(server: LiveServer, gov: Account, isob: Account) -> None:
    trust = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    for account, region, partition in ((gov, "us-gov-west-1", "aws-us-gov"), (isob, "us-isob-east-1", "aws-iso-b")):
        name = unique("role")
        arn = client(server, "iam", account, region).create_role(
            RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        assert arn == f"arn:{partition}:iam::{account.account_id}:role/{name}"


def _user_with_keys(iam: Any, name: str, policy: str | None = None) -> tuple[str, str]:
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _role_and_assumer(server: LiveServer, cn: Account, prefix: str) -> tuple[str, Any]:
    """A role in the aws-cn account that trusts the account, and the STS client (cn-north-1) of a user of it
    who may assume it."""
    iam = client(server, "iam", cn, "cn-north-1")
    role, user = unique(f"{prefix}-role"), unique(f"{prefix}-user")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws-cn:iam::{CN_ID}:root"}, "Action": "sts:AssumeRole"}))
    key, secret = _user_with_keys(iam, user, doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    return role, server.client("sts", key_id=key, secret=secret, region="cn-north-1")


def test_assume_role_in_china_issues_an_aws_cn_session(server: LiveServer, cn: Account) -> None:
    role, sts = _role_and_assumer(server, cn, "cn-assumed")
    out = sts.assume_role(RoleArn=f"arn:aws-cn:iam::{CN_ID}:role/{role}", RoleSessionName="s1")
    expected = f"arn:aws-cn:sts::{CN_ID}:assumed-role/{role}/s1"
    assert out["AssumedRoleUser"]["Arn"] == expected
    c = out["Credentials"]
    session = server.client("sts", key_id=c["AccessKeyId"], secret=c["SecretAccessKey"],
                            token=c["SessionToken"], region="cn-northwest-1")
    assert session.get_caller_identity()["Arn"] == expected


def test_a_role_named_in_the_wrong_partition_cannot_be_assumed(server: LiveServer, cn: Account) -> None:
    role, sts = _role_and_assumer(server, cn, "cn-wrong")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=f"arn:aws:iam::{CN_ID}:role/{role}", RoleSessionName="s1")
    assert error(exc)[0] == "AccessDenied"


def test_access_denied_names_the_caller_and_resource_in_the_partition(server: LiveServer, cn: Account) -> None:
    iam = client(server, "iam", cn, "cn-north-1")
    user, role = unique("cn-denied"), unique("cn-nope")
    key, secret = _user_with_keys(iam, user)
    denied = server.client("iam", key_id=key, secret=secret, region="cn-north-1")
    with pytest.raises(ClientError) as exc:
        denied.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com.cn"}, "Action": "sts:AssumeRole"}))
    assert error(exc) == ("AccessDenied", f"User: arn:aws-cn:iam::{CN_ID}:user/{user} is not authorized to perform: "
                                          f"iam:CreateRole on resource: arn:aws-cn:iam::{CN_ID}:role/{role} because "
                                          f"no identity-based policy allows the iam:CreateRole action")


def test_aws_managed_policies_in_china_have_aws_cn_arns(server: LiveServer, cn: Account) -> None:
    iam = client(server, "iam", cn, "cn-north-1")
    user = unique("cn-managed")
    iam.create_user(UserName=user)
    arn = "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert attached == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": arn}]
    listed = iam.list_policies(Scope="AWS", MaxItems=5)["Policies"]
    assert listed and all(p["Arn"].startswith("arn:aws-cn:iam::aws:policy/") for p in listed)


def test_the_commercial_copy_of_a_managed_policy_is_not_attachable_in_china(server: LiveServer, cn: Account) -> None:
    iam = client(server, "iam", cn, "cn-north-1")
    user = unique("cn-commercial")
    iam.create_user(UserName=user)
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    assert error(exc) == ("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")


def test_a_commercial_key_is_refused_for_a_china_region(server: LiveServer) -> None:
    with pytest.raises(ClientError) as exc:
        server.client("sts", region="cn-north-1").get_caller_identity()
    assert error(exc) == ("InvalidClientTokenId", "The security token included in the request is invalid.")
    assert server.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"


def test_a_china_key_is_refused_outside_china(server: LiveServer, cn: Account, gov: Account) -> None:
    for account, region in ((cn, "us-east-1"), (cn, "us-gov-west-1"), (gov, "cn-north-1"), (gov, "us-east-1")):
        with pytest.raises(ClientError) as exc:
            client(server, "sts", account, region).get_caller_identity()
        assert error(exc) == ("InvalidClientTokenId", "The security token included in the request is invalid.")


def test_a_china_session_is_refused_outside_china(server: LiveServer, cn: Account) -> None:
    c = client(server, "sts", cn, "cn-north-1").get_session_token()["Credentials"]
    with pytest.raises(ClientError) as exc:
        server.client("sts", key_id=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"],
                      region="us-west-2").get_caller_identity()
    assert error(exc)[0] == "InvalidClientTokenId"


def test_a_federated_user_in_china_has_an_aws_cn_arn(server: LiveServer, cn: Account) -> None:
    iam = client(server, "iam", cn, "cn-north-1")
    user = unique("cn-fed")
    key, secret = _user_with_keys(iam, user, doc({"Effect": "Allow", "Action": "sts:GetFederationToken",
                                                  "Resource": "*"}))
    out = server.client("sts", key_id=key, secret=secret, region="cn-north-1").get_federation_token(
        Name="visitor", Policy=doc({"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))
    assert out["FederatedUser"]["Arn"] == f"arn:aws-cn:sts::{CN_ID}:federated-user/visitor"


def test_requested_region_is_the_china_region_the_request_was_signed_for(server: LiveServer, cn: Account) -> None:
    iam = client(server, "iam", cn, "cn-north-1")
    user = unique("cn-region")
    key, secret = _user_with_keys(iam, user, doc({
        "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "cn-northwest-1"}}}))
    assert "Roles" in server.client("iam", key_id=key, secret=secret, region="cn-northwest-1").list_roles()
    with pytest.raises(ClientError) as exc:
        server.client("iam", key_id=key, secret=secret, region="cn-north-1").list_roles()
    assert error(exc) == ("AccessDenied", f"User: arn:aws-cn:iam::{CN_ID}:user/{user} is not authorized to perform: "
                                          f"iam:ListRoles on resource: * because no identity-based policy allows "
                                          f"the iam:ListRoles action")


def test_session_policy_arns_are_the_partition_s_own(server: LiveServer, cn: Account) -> None:
    role, sts = _role_and_assumer(server, cn, "cn-scoped")
    role_arn = f"arn:aws-cn:iam::{CN_ID}:role/{role}"
    sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", PolicyArns=[
        {"arn": "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"}])
    commercial = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", PolicyArns=[{"arn": commercial}])
    assert error(exc) == ("MalformedPolicyDocument", f"Policy {commercial} does not exist or is not attachable.")
