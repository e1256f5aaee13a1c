"""The role lifecycle through boto3 against a live server, as a user of the AWS SDK sees it."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def unique(prefix: str = "r") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def create(iam: Any, name: str, **kw: Any) -> dict[str, Any]:
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kw)["Role"]


def test_create_role_returns_the_role_with_id_arn_and_decoded_trust_policy(iam: Any) -> None:
    name = unique()
    role = create(iam, name, Path="/team/a/", Description="deployer", MaxSessionDuration=7200,
                  Tags=[{"Key": "env", "Value": "prod"}])
    assert role["RoleName"] == name and role["Path"] == "/team/a/"
    assert role["Arn"] == f"arn:aws:iam::123456789012:role/team/a/{name}"
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["AssumeRolePolicyDocument"] == TRUST  # boto3 URL-decodes and parses it
    assert role["MaxSessionDuration"] == 7200 and role["Description"] == "deployer"
    assert role["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_get_role_shows_what_was_created_and_an_empty_last_used(iam: Any) -> None:
    name = unique()
    create(iam, name)
    role = iam.get_role(RoleName=name.upper())["Role"]  # names are case-insensitive
    assert role["RoleName"] == name
    assert role["RoleLastUsed"] == {}
    assert role["MaxSessionDuration"] == 3600


def test_creating_a_role_twice_ignoring_case_is_entity_already_exists(iam: Any) -> None:
    name = unique()
    create(iam, name)
    with pytest.raises(ClientError) as exc:
        create(iam, name.upper())
    assert error_code(exc) == "EntityAlreadyExists"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_get_missing_role_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=unique())
    assert error_code(exc) == "NoSuchEntity"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_list_roles_pages_with_marker_and_filters_by_path(iam: Any) -> None:
    path = f"/{unique('p')}/"
    names = sorted(unique() for _ in range(5))
    for n in names:
        create(iam, n, Path=path)
    first = iam.list_roles(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Roles"]) == 2
    seen = [r["RoleName"] for r in first["Roles"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_roles(PathPrefix=path, MaxItems=2, Marker=marker)
        seen += [r["RoleName"] for r in page["Roles"]]
        marker = page.get("Marker")
    assert seen == names
    paginated = [r["RoleName"] for p in iam.get_paginator("list_roles").paginate(PathPrefix=path,
                                                                                  PaginationConfig={"PageSize": 3})
                 for r in p["Roles"]]
    assert paginated == names


def test_update_role_changes_description_and_max_session_duration(iam: Any) -> None:
    name = unique()
    create(iam, name)
    iam.update_role(RoleName=name, Description="new", MaxSessionDuration=43200)
    role = iam.get_role(RoleName=name)["Role"]
    assert role["Description"] == "new" and role["MaxSessionDuration"] == 43200
    updated = iam.update_role_description(RoleName=name, Description="newer")["Role"]
    assert updated["Description"] == "newer"


def test_max_session_duration_out_of_range_is_a_validation_error(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        create(iam, unique(), MaxSessionDuration=50000)
    assert error_code(exc) == "ValidationError"
    assert "maxSessionDuration" in exc.value.response["Error"]["Message"]


def test_invalid_role_name_is_a_validation_error_in_aws_words(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        create(iam, "bad name!")
    msg = exc.value.response["Error"]["Message"]
    assert error_code(exc) == "ValidationError"
    assert msg.startswith("1 validation error detected: Value 'bad name!' at 'roleName' failed to satisfy "
                          "constraint: Member must satisfy regular expression pattern")


def test_update_assume_role_policy_replaces_the_trust_policy(iam: Any) -> None:
    name = unique()
    create(iam, name)
    new = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(new))
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == new


def test_malformed_trust_policy_is_refused_and_changes_nothing(iam: Any) -> None:
    name = unique()
    create(iam, name)
    for bad in ['{"Version": "2012-10-17"', '{"Statement": [], "Statement": []}',
                json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})]:
        with pytest.raises(ClientError) as exc:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=bad)
        assert error_code(exc) == "MalformedPolicyDocument"
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == TRUST


def test_trust_policy_over_the_size_quota_is_limit_exceeded(iam: Any) -> None:
    big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{i:012d}:root" for i in range(100)]},
         "Action": "sts:AssumeRole"}]}
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=unique(), AssumeRolePolicyDocument=json.dumps(big))
    assert error_code(exc) == "LimitExceeded"


def test_tags_are_added_overwritten_listed_and_removed(iam: Any) -> None:
    name = unique()
    create(iam, name, Tags=[{"Key": "env", "Value": "dev"}])
    iam.tag_role(RoleName=name, Tags=[{"Key": "ENV", "Value": "prod"}, {"Key": "team", "Value": "core"}])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "ENV", "Value": "prod"},
                                                        {"Key": "team", "Value": "core"}]
    iam.untag_role(RoleName=name, TagKeys=["env"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "team", "Value": "core"}]


def test_duplicate_tag_keys_differing_in_case_are_invalid_input(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        create(iam, unique(), Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert error_code(exc) == "InvalidInput"


def test_more_than_fifty_tags_is_refused(iam: Any) -> None:
    name = unique()
    create(iam, name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as exc:
        iam.tag_role(RoleName=name, Tags=[{"Key": "one-more", "Value": "v"}])
    assert error_code(exc) == "LimitExceeded"


def test_inline_policies_put_get_list_delete(iam: Any) -> None:
    name = unique()
    create(iam, name)
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(INLINE))
    got = iam.get_role_policy(RoleName=name, PolicyName="read")
    assert got["PolicyDocument"] == INLINE and got["RoleName"] == name
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["read"]
    iam.delete_role_policy(RoleName=name, PolicyName="read")
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    with pytest.raises(ClientError) as exc:
        iam.get_role_policy(RoleName=name, PolicyName="read")
    assert error_code(exc) == "NoSuchEntity"


def test_identity_policy_with_a_principal_is_malformed(iam: Any) -> None:
    name = unique()
    create(iam, name)
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                                    "Resource": "*"}]}
    with pytest.raises(ClientError) as exc:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(doc))
    assert error_code(exc) == "MalformedPolicyDocument"


def test_aggregate_inline_policy_size_is_capped_per_role(iam: Any) -> None:
    name = unique()
    create(iam, name)
    stmt = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 1800}
    doc = json.dumps({"Version": "2012-10-17", "Statement": [stmt]})
    for i in range(5):
        iam.put_role_policy(RoleName=name, PolicyName=f"p{i}", PolicyDocument=doc)
    with pytest.raises(ClientError) as exc:
        iam.put_role_policy(RoleName=name, PolicyName="p5", PolicyDocument=doc)
    assert error_code(exc) == "LimitExceeded"
    assert len(iam.list_role_policies(RoleName=name)["PolicyNames"]) == 5


def test_permissions_boundary_is_put_shown_and_deleted(iam: Any) -> None:
    name = unique()
    create(iam, name)
    arn = "arn:aws:iam::aws:policy/PowerUserAccess"
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=arn)
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}
    iam.delete_role_permissions_boundary(RoleName=name)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=name)["Role"]


def test_delete_role_conflicts_while_inline_policies_remain(iam: Any) -> None:
    name = unique()
    create(iam, name)
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(INLINE))
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=name)
    assert error_code(exc) == "DeleteConflict"
    iam.delete_role_policy(RoleName=name, PolicyName="p")
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=name)
    assert error_code(exc) == "NoSuchEntity"


def test_a_permissions_boundary_does_not_block_delete_role(iam: Any) -> None:
    # DeleteRole lists what must be removed first: inline policies, attached policies, instance profiles
    # (IAM API Reference, DeleteRole). A boundary is not among them; it goes with the role.
    name = unique()
    create(iam, name, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=name)
    assert error_code(exc) == "NoSuchEntity"


def test_unknown_action_is_invalid_action(server: Any) -> None:
    import httpx

    res = httpx.post(server.url + "/", data={"Action": "LaunchRockets", "Version": "2010-05-08"})
    assert res.status_code == 400 and "<Code>InvalidAction</Code>" in res.text
