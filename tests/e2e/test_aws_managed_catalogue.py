"""The whole AWS managed-policy catalogue through real clients: the AWS CLI lists it with ``--scope AWS``,
and any of its policies attaches and is enforced (issue 11's "Done when" commands)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rolegate.iam.aws_managed import aws_managed_policies

from tests.e2e.test_awscli import aws  # noqa: F401 - the AWS CLI fixture, in a throwaway HOME
from tests.live import ACCOUNT_ID, LiveServer

DYNAMODB_FULL = "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_aws_cli_list_policies_scope_aws_lists_the_whole_catalogue(aws: Any) -> None:  # noqa: F811
    # The CLI follows the markers itself, so this is every page of the catalogue.
    listed = aws("iam", "list-policies", "--scope", "AWS")["Policies"]
    assert [p["Arn"] for p in listed] == [p.policy.arn for p in aws_managed_policies()]
    assert len(listed) > 1500
    by_name = {p["PolicyName"]: p for p in listed}
    assert by_name["AdministratorAccess"]["PolicyId"] == "ANPAIWMBCKSKIEE64ZLYK"
    assert by_name["AmazonDynamoDBFullAccess"]["Path"] == "/"


def test_aws_cli_attaches_amazon_dynamodb_full_access(aws: Any) -> None:  # noqa: F811
    name = _unique("cli-ddb")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    aws("iam", "create-role", "--role-name", name, "--assume-role-policy-document", trust)
    aws("iam", "attach-role-policy", "--role-name", name, "--policy-arn", DYNAMODB_FULL)
    attached = aws("iam", "list-attached-role-policies", "--role-name", name)["AttachedPolicies"]
    assert attached == [{"PolicyName": "AmazonDynamoDBFullAccess", "PolicyArn": DYNAMODB_FULL}]
    version = aws("iam", "get-policy", "--policy-arn", DYNAMODB_FULL)["Policy"]["DefaultVersionId"]
    document = aws("iam", "get-policy-version", "--policy-arn", DYNAMODB_FULL, "--version-id",
                   version)["PolicyVersion"]["Document"]
    assert "dynamodb:*" in document["Statement"][0]["Action"]
    aws("iam", "detach-role-policy", "--role-name", name, "--policy-arn", DYNAMODB_FULL)


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_an_attached_catalogue_policy_is_what_the_role_s_sessions_may_do(server: LiveServer, iam: Any) -> None:
    # AmazonDynamoDBFullAccess grants, besides dynamodb:*, iam:GetRole and iam:ListRoles, and
    # iam:CreateServiceLinkedRole only for DynamoDB's and DAX's service names: all three are decided here.
    user, role = _unique("ddb-user"), _unique("ddb-role")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]}))
    sts = server.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"

    def session() -> Any:
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName="ddb-session")["Credentials"]
        return server.client("iam", key_id=c["AccessKeyId"], secret=c["SecretAccessKey"], token=c["SessionToken"])

    before = session()
    with pytest.raises(ClientError) as exc:
        before.get_role(RoleName=role)
    assert _code(exc) == "AccessDenied"

    iam.attach_role_policy(RoleName=role, PolicyArn=DYNAMODB_FULL)
    after = session()
    assert after.get_role(RoleName=role)["Role"]["Arn"] == role_arn
    assert role in [r["RoleName"] for r in after.get_paginator("list_roles").paginate().build_full_result()["Roles"]]
    with pytest.raises(ClientError) as exc:
        after.list_users()
    assert _code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        after.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    assert _code(exc) == "AccessDenied"
    made = after.create_service_linked_role(AWSServiceName="dax.amazonaws.com")["Role"]
    assert made["Path"] == "/aws-service-role/dax.amazonaws.com/"
    # The service-linked role gets DAX's documented policy from the catalogue.
    policies = iam.list_attached_role_policies(RoleName=made["RoleName"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in policies] == ["arn:aws:iam::aws:policy/aws-service-role/DAXServiceRolePolicy"]
