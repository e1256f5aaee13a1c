"""IAM's policy simulator through boto3 against a live server: AWS's output shape, and agreement with enforcement
— for each principal and action, the simulator's decision is what the same call made with that principal's
credentials gets."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live import LiveServer

ACCOUNT = "123456789012"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"])


def decisions(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in result["EvaluationResults"]]


# -- AWS's output -------------------------------------------------------------------------------------------


def test_a_users_inline_policy_allows_and_is_named_with_its_statement_position(iam: Any) -> None:
    user = unique("sim")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="ListRepos", PolicyDocument=doc(allow("codecommit:ListRepositories")))
    result = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["codecommit:ListRepositories"])
    [evaluation] = result["EvaluationResults"]
    assert evaluation["EvalDecision"] == "allowed" and evaluation["EvalResourceName"] == "*"
    assert evaluation["MatchedStatements"] == [{
        "SourcePolicyId": "ListRepos", "SourcePolicyType": "user",
        "StartPosition": {"Line": 4, "Column": 6}, "EndPosition": {"Line": 8, "Column": 6}}]
    assert evaluation["MissingContextValues"] == [] and result["IsTruncated"] is False


def test_a_users_group_policy_counts_and_an_explicit_deny_wins(iam: Any) -> None:
    user, group = unique("sim"), unique("simg")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_group_policy(GroupName=group, PolicyName="GroupS3", PolicyDocument=doc(allow("s3:*")))
    iam.put_user_policy(UserName=user, PolicyName="NoDelete", PolicyDocument=doc(deny("s3:DeleteBucket")))
    result = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:DeleteBucket"])
    assert decisions(result) == [("s3:GetObject", "*", "allowed"), ("s3:DeleteBucket", "*", "explicitDeny")]
    get, delete = result["EvaluationResults"]
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in get["MatchedStatements"]] == [("GroupS3", "group")]
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in delete["MatchedStatements"]] == [("NoDelete", "user")]


def test_a_roles_managed_policy_is_named_by_its_arn(iam: Any) -> None:
    role = unique("simr")
    trust = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    policy = iam.create_policy(PolicyName=unique("simp"), PolicyDocument=doc(allow("sqs:SendMessage")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=policy)
    [evaluation] = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["sqs:SendMessage"])[
        "EvaluationResults"]
    assert evaluation["EvalDecision"] == "allowed"
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in evaluation["MatchedStatements"]] == [
        (policy, "user-managed")]


def test_a_permissions_boundary_that_does_not_allow_is_reported(iam: Any) -> None:
    user = unique("sim")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="All", PolicyDocument=doc(allow("*")))
    result = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject", "ec2:RunInstances"],
        PermissionsBoundaryPolicyInputList=[doc(allow("s3:*"))])
    assert decisions(result) == [("s3:GetObject", "*", "allowed"), ("ec2:RunInstances", "*", "implicitDeny")]
    assert [r["PermissionsBoundaryDecisionDetail"] for r in result["EvaluationResults"]] == [
        {"AllowedByPermissionsBoundary": True}, {"AllowedByPermissionsBoundary": False}]


def test_missing_context_values_name_the_keys_as_the_policy_spells_them(iam: Any) -> None:
    policy = doc(allow("dynamodb:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2018-08-16T12:00:00Z"}}))
    without = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["dynamodb:CreateBackup"])
    assert without["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert without["EvaluationResults"][0]["MissingContextValues"] == ["aws:CurrentTime"]
    given = iam.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"],
                         "ContextKeyType": "date"}])
    [evaluation] = given["EvaluationResults"]
    assert evaluation["EvalDecision"] == "allowed" and evaluation["MissingContextValues"] == []
    assert evaluation["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"


def test_resource_arns_give_one_result_per_action_and_resource_with_its_specific_result(iam: Any) -> None:
    policy = doc(allow("s3:GetObject", "arn:aws:s3:::open/*"))
    result = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"],
                                        ResourceArns=["arn:aws:s3:::open/a", "arn:aws:s3:::closed/a"])
    assert decisions(result) == [("s3:GetObject", "arn:aws:s3:::open/a", "allowed"),
                                 ("s3:GetObject", "arn:aws:s3:::closed/a", "implicitDeny")]
    specific = [r["ResourceSpecificResults"] for r in result["EvaluationResults"]]
    assert [[(s["EvalResourceName"], s["EvalResourceDecision"]) for s in rs] for rs in specific] == [
        [("arn:aws:s3:::open/a", "allowed")], [("arn:aws:s3:::closed/a", "implicitDeny")]]


def test_a_resource_policy_for_another_account_needs_both_sides(iam: Any) -> None:
    bucket_policy = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"})
    common = {"ActionNames": ["s3:GetObject"], "ResourceArns": ["arn:aws:s3:::shared/x"],
              "ResourcePolicy": bucket_policy, "ResourceOwner": "arn:aws:iam::999988887777:root",
              "CallerArn": f"arn:aws:iam::{ACCOUNT}:user/alice"}
    both = iam.simulate_custom_policy(PolicyInputList=[doc(allow("s3:GetObject"))], **common)
    [evaluation] = both["EvaluationResults"]
    assert evaluation["EvalDecision"] == "allowed"
    assert evaluation["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    identity_only = iam.simulate_custom_policy(PolicyInputList=[doc(allow("s3:PutObject"))], **common)
    assert identity_only["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert identity_only["EvaluationResults"][0]["EvalDecisionDetails"] == {
        "IAM Policy": "implicitDeny", "Resource Policy": "allowed"}


def test_scp_levels_are_reported_in_organizations_decision_detail(iam: Any) -> None:
    result = iam.simulate_custom_policy(
        PolicyInputList=[doc(allow("*"))], ActionNames=["s3:GetObject", "ec2:RunInstances"],
        OrderedOrganizationPolicyInputList=[{"ServiceControlPolicyInputList": [doc(allow("*"))]},
                                            {"ServiceControlPolicyInputList": [doc(allow("s3:*"))]}])
    assert decisions(result) == [("s3:GetObject", "*", "allowed"), ("ec2:RunInstances", "*", "implicitDeny")]
    assert [r["OrganizationsDecisionDetail"] for r in result["EvaluationResults"]] == [
        {"AllowedByOrganizations": True}, {"AllowedByOrganizations": False}]


def test_results_page_with_max_items_and_marker(iam: Any) -> None:
    actions = [f"s3:Action{n}" for n in range(5)]
    paginator = iam.get_paginator("simulate_custom_policy")
    pages = list(paginator.paginate(PolicyInputList=[doc(allow("s3:*"))], ActionNames=actions,
                                    PaginationConfig={"PageSize": 2}))
    assert [len(p["EvaluationResults"]) for p in pages] == [2, 2, 1]
    assert [r["EvalActionName"] for p in pages for r in p["EvaluationResults"]] == actions


def test_context_keys_of_a_principal_include_its_groups_and_the_given_policies(iam: Any) -> None:
    user, group = unique("sim"), unique("simg")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_group_policy(GroupName=group, PolicyName="G", PolicyDocument=doc(
        allow("s3:*", "arn:aws:s3:::home/${aws:username}/*")))
    iam.put_user_policy(UserName=user, PolicyName="U", PolicyDocument=doc(
        allow("ec2:*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})))
    extra = doc(allow("sqs:*", Condition={"Bool": {"aws:SecureTransport": "true"}}))
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=arn, PolicyInputList=[extra])["ContextKeyNames"]
    assert sorted(keys) == ["aws:RequestedRegion", "aws:SecureTransport", "aws:username"]


def test_context_keys_of_custom_policies_are_listed_once_as_first_spelled(iam: Any) -> None:
    first = doc(allow("dynamodb:*", "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
                      Condition={"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}}))
    second = doc(allow("s3:*", Condition={"DateLessThan": {"AWS:currenttime": "2030-01-01T00:00:00Z"}}))
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[first, second])["ContextKeyNames"]
    assert keys == ["aws:username", "aws:CurrentTime"]


# -- errors -------------------------------------------------------------------------------------------------


def test_a_missing_principal_is_no_such_entity(iam: Any) -> None:
    name = unique("nobody")
    with pytest.raises(ClientError) as exc:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/{name}", ActionNames=["s3:*"])
    assert error(exc) == ("NoSuchEntity", 404)
    assert exc.value.response["Error"]["Message"] == f"The user with name {name} cannot be found."


@pytest.mark.parametrize("call", [
    {"PolicyInputList": ["{not json"], "ActionNames": ["s3:GetObject"]},
    {"PolicyInputList": [doc(allow("s3:*"))], "ActionNames": ["s3:GetObject"],
     "ContextEntries": [{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["yesterday"],
                         "ContextKeyType": "date"}]},
    {"PolicyInputList": [doc(allow("s3:*"))], "ActionNames": ["s3:GetObject"], "ResourcePolicy": doc(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})},
    {"PolicyInputList": [doc(allow("s3:*"))], "ActionNames": ["s3:GetObject"],
     "CallerArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s"},
    {"PolicyInputList": [doc(allow("s3:*"))], "ActionNames": ["s3:GetObject"],
     "ResourceHandlingOption": "EC2-Nowhere"},
], ids=["malformed-policy", "bad-date", "resource-policy-without-caller", "session-caller", "unknown-scenario"])
def test_bad_input_is_invalid_input(iam: Any, call: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        iam.simulate_custom_policy(**call)
    assert error(exc) == ("InvalidInput", 400)


# -- agreement with enforcement ------------------------------------------------------------------------------


def _user_with_key(iam: Any, server: LiveServer, *, inline: str | None = None, group_policy: str | None = None,
                   boundary: str | None = None, service: str = "iam") -> tuple[str, Any]:
    name = unique("agree")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="Inline", PolicyDocument=inline)
    if group_policy:
        group = unique("agreeg")
        iam.create_group(GroupName=group)
        iam.put_group_policy(GroupName=group, PolicyName="GroupInline", PolicyDocument=group_policy)
        iam.add_user_to_group(GroupName=group, UserName=name)
    if boundary:
        policy = iam.create_policy(PolicyName=unique("agreeb"), PolicyDocument=boundary)["Policy"]["Arn"]
        iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, server.client(service, key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])


# Read-only IAM calls: (action, the call made with the principal's credentials, the resource it is authorized on).
_CALLS: list[tuple[str, str, dict[str, Any], str]] = [
    ("iam:ListRoles", "list_roles", {}, "*"),
    ("iam:ListUsers", "list_users", {}, "*"),
    ("iam:ListPolicies", "list_policies", {}, "*"),
    ("iam:GetAccountSummary", "get_account_summary", {}, "*"),
    ("iam:GetUser", "get_user", {"UserName": "{self}"}, "{arn}"),
]


def _enforced(client: Any, method: str, params: dict[str, Any]) -> str:
    try:
        getattr(client, method)(**params)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        assert code == "AccessDenied", exc.response
        message = exc.response["Error"]["Message"]
        return "explicitDeny" if "explicit deny" in message else "implicitDeny"
    return "allowed"


_PRINCIPALS = {
    "inline-allow": {"inline": doc(allow(["iam:List*", "iam:GetUser"]))},
    "group-allow": {"group_policy": doc(allow(["iam:ListRoles", "iam:GetAccountSummary"]))},
    "explicit-deny": {"inline": doc(allow("iam:*")), "group_policy": doc(deny(["iam:ListUsers", "iam:GetUser"]))},
    "boundary": {"inline": doc(allow("iam:*")), "boundary": doc(allow(["iam:ListRoles", "iam:GetUser"]))},
    "nothing": {},
}


@pytest.mark.parametrize("principal", sorted(_PRINCIPALS))
def test_the_simulator_decides_as_enforcement_does(iam: Any, server: LiveServer, principal: str) -> None:
    arn, client = _user_with_key(iam, server, **_PRINCIPALS[principal])
    name = arn.rpartition("/")[2]
    for action, method, params, resource in _CALLS:
        resource_arn = resource.format(arn=arn)
        simulated = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=[action],
                                                  ResourceArns=[resource_arn])["EvaluationResults"][0]["EvalDecision"]
        enforced = _enforced(client, method, {k: v.format(self=name) for k, v in params.items()})
        assert (action, simulated) == (action, enforced)


def test_a_roles_sessions_are_decided_as_the_simulator_decides_the_role(iam: Any, server: LiveServer) -> None:
    role = unique("agreer")
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="R", PolicyDocument=doc(allow("iam:ListRoles"),
                                                                          deny("iam:ListUsers")))
    _user, sts = _user_with_key(iam, server, inline=doc(allow("sts:AssumeRole", arn)), service="sts")
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="agreement")["Credentials"]
    session = server.client("iam", key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                            token=creds["SessionToken"])
    for action, method, params, _resource in _CALLS[:4]:
        simulated = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=[action])[
            "EvaluationResults"][0]["EvalDecision"]
        assert (action, simulated) == (action, _enforced(session, method, params))
