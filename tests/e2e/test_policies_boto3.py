"""Managed policies, versions, attachments and the AWS managed policies through boto3 against a live server."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
DOC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def unique(prefix: str = "p") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    r = exc.value.response
    return str(r["Error"]["Code"]), str(r["Error"]["Message"]), int(r["ResponseMetadata"]["HTTPStatusCode"])


def policy(iam: Any, **kw: Any) -> dict[str, Any]:
    return iam.create_policy(PolicyName=kw.pop("PolicyName", unique()), PolicyDocument=json.dumps(DOC), **kw)["Policy"]


def role(iam: Any) -> str:
    name = unique("r")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    return name


def counts(iam: Any, arn: str) -> tuple[int, int]:
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    return p["AttachmentCount"], p["PermissionsBoundaryUsageCount"]


def test_create_policy_returns_id_arn_and_version_v1(iam: Any) -> None:
    name = unique()
    p = policy(iam, PolicyName=name, Path="/team/", Description="reads", Tags=[{"Key": "env", "Value": "dev"}])
    assert p["Arn"] == f"arn:aws:iam::123456789012:policy/team/{name}"
    assert p["PolicyId"].startswith("ANPA") and p["DefaultVersionId"] == "v1"
    assert p["AttachmentCount"] == 0 and p["IsAttachable"] is True
    got = iam.get_policy(PolicyArn=p["Arn"])["Policy"]
    assert got["Description"] == "reads" and got["Tags"] == [{"Key": "env", "Value": "dev"}]
    version = iam.get_policy_version(PolicyArn=p["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == DOC and version["IsDefaultVersion"] is True


def test_creating_a_policy_twice_is_entity_already_exists(iam: Any) -> None:
    name = unique()
    policy(iam, PolicyName=name)
    with pytest.raises(ClientError) as exc:
        policy(iam, PolicyName=name.upper())
    assert error(exc)[0] == "EntityAlreadyExists" and error(exc)[2] == 409


def test_a_policy_over_6144_characters_is_limit_exceeded(iam: Any) -> None:
    big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"s3:GetObject{i}" for i in range(500)], "Resource": "*"}]}
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=unique(), PolicyDocument=json.dumps(big))
    assert error(exc)[0] == "LimitExceeded"


def test_five_versions_at_most_then_limit_exceeded(iam: Any) -> None:
    arn = policy(iam)["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC2))
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC2))
    assert error(exc)[:2] == ("LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new "
                                               "version, you must delete an existing version.")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]


def test_version_ids_are_never_reused_after_a_delete(iam: Any) -> None:
    arn = policy(iam)["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC2))
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC2), SetAsDefault=True)
    assert v["PolicyVersion"]["VersionId"] == "v3" and v["PolicyVersion"]["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"


def test_set_default_policy_version_switches_the_default(iam: Any) -> None:
    arn = policy(iam)["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC2))
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]["Document"] == DOC2


def test_the_default_version_cannot_be_deleted(iam: Any) -> None:
    arn = policy(iam)["Arn"]
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert error(exc)[:2] == ("DeleteConflict", "Cannot delete the default version of a policy.")


def test_delete_policy_refused_while_other_versions_exist(iam: Any) -> None:
    arn = policy(iam)["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC2))
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error(exc)[:2] == ("DeleteConflict", "This policy has more than one version. Before you delete a policy, "
                                                "you must delete the policy's versions. The default version is "
                                                "deleted with the policy.")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as gone:
        iam.get_policy(PolicyArn=arn)
    assert error(gone)[0] == "NoSuchEntity"


def test_counts_are_exact_after_every_attach_detach_and_boundary_change(iam: Any) -> None:
    arn = policy(iam)["Arn"]
    r1, r2 = role(iam), role(iam)
    iam.attach_role_policy(RoleName=r1, PolicyArn=arn)
    assert counts(iam, arn) == (1, 0)
    iam.attach_role_policy(RoleName=r2, PolicyArn=arn)
    assert counts(iam, arn) == (2, 0)
    iam.put_role_permissions_boundary(RoleName=r1, PermissionsBoundary=arn)
    assert counts(iam, arn) == (2, 1)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error(exc)[:2] == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    iam.detach_role_policy(RoleName=r2, PolicyArn=arn)
    assert counts(iam, arn) == (1, 1)
    iam.delete_role_permissions_boundary(RoleName=r1)
    assert counts(iam, arn) == (1, 0)
    iam.detach_role_policy(RoleName=r1, PolicyArn=arn)
    assert counts(iam, arn) == (0, 0)
    iam.delete_policy(PolicyArn=arn)


def test_attach_beyond_ten_policies_is_limit_exceeded(iam: Any) -> None:
    name = role(iam)
    arns = [policy(iam)["Arn"] for _ in range(11)]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.attach_role_policy(RoleName=name, PolicyArn=arns[10])
    assert error(exc)[:2] == ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")
    assert len(iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]) == 10


def test_attaching_a_nonexistent_policy_is_no_such_entity(iam: Any) -> None:
    name = role(iam)
    arn = "arn:aws:iam::123456789012:policy/does-not-exist"
    with pytest.raises(ClientError) as exc:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    assert error(exc) == ("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", 404)


def test_an_aws_managed_policy_attaches_and_lists_by_path(iam: Any) -> None:
    name = role(iam)
    iam.attach_role_policy(RoleName=name, PolicyArn=LAMBDA_BASIC)
    iam.attach_role_policy(RoleName=name, PolicyArn=ADMIN)
    everything = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": LAMBDA_BASIC} in everything
    service = iam.list_attached_role_policies(RoleName=name, PathPrefix="/service-role/")["AttachedPolicies"]
    assert service == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": LAMBDA_BASIC}]
    first = iam.list_attached_role_policies(RoleName=name, MaxItems=1)
    assert first["IsTruncated"] is True
    rest = iam.list_attached_role_policies(RoleName=name, MaxItems=1, Marker=first["Marker"])
    assert len(first["AttachedPolicies"] + rest["AttachedPolicies"]) == 2


def test_detaching_what_is_not_attached_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.detach_role_policy(RoleName=role(iam), PolicyArn=ADMIN)
    assert error(exc)[0] == "NoSuchEntity"


def test_aws_managed_policies_have_their_real_documents(iam: Any) -> None:
    p = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    assert p["PolicyId"] == "ANPAIWMBCKSKIEE64ZLYK" and p["DefaultVersionId"] == "v1"
    doc = iam.get_policy_version(PolicyArn=ADMIN, VersionId="v1")["PolicyVersion"]["Document"]
    assert doc["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    ro = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    ro_doc = iam.get_policy_version(PolicyArn=ro["Arn"], VersionId=ro["DefaultVersionId"])["PolicyVersion"]
    assert "iam:Get*" in ro_doc["Document"]["Statement"][0]["Action"]


@pytest.mark.parametrize("call", ["create_policy_version", "delete_policy", "tag_policy"])
def test_aws_managed_policies_are_read_only(iam: Any, call: str) -> None:
    kwargs: dict[str, Any] = {"PolicyArn": ADMIN}
    if call == "create_policy_version":
        kwargs["PolicyDocument"] = json.dumps(DOC)
    if call == "tag_policy":
        kwargs["Tags"] = [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as exc:
        getattr(iam, call)(**kwargs)
    assert error(exc)[0] == "AccessDenied" and error(exc)[2] == 403


def test_list_policies_scope_local_aws_and_path(iam: Any) -> None:
    path = f"/{unique('lp')}/"
    names = sorted(policy(iam, Path=path)["PolicyName"] for _ in range(3))
    local = iam.list_policies(Scope="Local", PathPrefix=path)["Policies"]
    assert [p["PolicyName"] for p in local] == names
    aws = [p["Arn"] for p in iam.get_paginator("list_policies").paginate(Scope="AWS").build_full_result()["Policies"]]
    assert ADMIN in aws and all(a.startswith("arn:aws:iam::aws:policy/") for a in aws)
    first = iam.list_policies(Scope="Local", PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True
    second = iam.list_policies(Scope="Local", PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    assert [p["PolicyName"] for p in first["Policies"] + second["Policies"]] == names


def test_list_policies_only_attached_with_usage_filter(iam: Any) -> None:
    path = f"/{unique('oa')}/"
    attached, bounding, _unused = (policy(iam, Path=path)["Arn"] for _ in range(3))
    name = role(iam)
    iam.attach_role_policy(RoleName=name, PolicyArn=attached)
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=bounding)

    def listed(**kw: Any) -> set[str]:
        return {p["Arn"] for p in iam.list_policies(Scope="Local", PathPrefix=path, OnlyAttached=True,
                                                    **kw)["Policies"]}

    assert listed() == {attached, bounding}
    assert listed(PolicyUsageFilter="PermissionsPolicy") == {attached}
    assert listed(PolicyUsageFilter="PermissionsBoundary") == {bounding}


def test_list_entities_for_policy(iam: Any) -> None:
    arn = policy(iam)["Arn"]
    r1, r2 = role(iam), role(iam)
    iam.attach_role_policy(RoleName=r1, PolicyArn=arn)
    iam.put_role_permissions_boundary(RoleName=r2, PermissionsBoundary=arn)
    out = iam.list_entities_for_policy(PolicyArn=arn)
    assert sorted(r["RoleName"] for r in out["PolicyRoles"]) == sorted([r1, r2])
    assert out["PolicyUsers"] == [] and out["PolicyGroups"] == []
    bounded = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
    assert [r["RoleName"] for r in bounded["PolicyRoles"]] == [r2]
    assert iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="User")["PolicyRoles"] == []


def test_policy_tags_tag_untag_and_list(iam: Any) -> None:
    arn = policy(iam)["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_a_boundary_must_name_an_existing_policy(iam: Any) -> None:
    name = role(iam)
    with pytest.raises(ClientError) as exc:
        iam.put_role_permissions_boundary(RoleName=name,
                                          PermissionsBoundary="arn:aws:iam::123456789012:policy/missing")
    assert error(exc)[0] == "NoSuchEntity"
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=ADMIN)
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == ADMIN


def test_user_and_group_attachments_count_too(iam: Any) -> None:
    arn = policy(iam)["Arn"]
    user, group = unique("u"), unique("g")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    assert counts(iam, arn) == (2, 0)
    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"][0]["PolicyArn"] == arn
    assert iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"][0]["PolicyArn"] == arn
    out = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in out["PolicyUsers"]] == [user]
    assert [g["GroupName"] for g in out["PolicyGroups"]] == [group]
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    assert counts(iam, arn) == (0, 0)
