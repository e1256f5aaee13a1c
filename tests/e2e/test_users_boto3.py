"""IAM users through boto3 against a live server: lifecycle, tags, boundary, inline policies, errors."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"  # boundaries must name an existing policy


def unique(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


def test_create_user_returns_id_arn_path_tags_and_boundary(iam: Any) -> None:
    name = unique()
    user = iam.create_user(UserName=name, Path="/eng/", PermissionsBoundary=BOUNDARY,
                           Tags=[{"Key": "team", "Value": "a"}])["User"]
    assert user["UserName"] == name and user["Path"] == "/eng/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/eng/{name}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert user["Tags"] == [{"Key": "team", "Value": "a"}]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": BOUNDARY}


def test_get_user_by_name_ignores_case(iam: Any) -> None:
    name = unique()
    created = iam.create_user(UserName=name)["User"]
    got = iam.get_user(UserName=name.upper())["User"]
    assert got["UserId"] == created["UserId"] and got["UserName"] == name


def test_get_user_without_a_name_as_root_describes_the_root_user(iam: Any) -> None:
    user = iam.get_user()["User"]
    assert user["UserId"] == ACCOUNT and user["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert "UserName" not in user and "CreateDate" in user


def test_creating_a_user_twice_ignoring_case_is_entity_already_exists(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=name.upper())
    assert error(exc)[:2] == ("EntityAlreadyExists", 409)
    assert error(exc)[2] == f"User with name {name.upper()} already exists."


def test_get_missing_user_is_no_such_entity(iam: Any) -> None:
    name = unique()
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=name)
    assert error(exc) == ("NoSuchEntity", 404, f"The user with name {name} cannot be found.")


def test_an_invalid_user_name_is_a_validation_error(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName="bad name!")
    assert error(exc)[0] == "ValidationError"


def test_a_user_name_longer_than_64_is_a_validation_error(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName="a" * 65)
    assert error(exc)[0] == "ValidationError"


def test_a_boundary_that_is_not_a_policy_arn_is_invalid_input(iam: Any) -> None:
    name = unique()
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=name, PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:role/nope")
    assert error(exc)[0] == "InvalidInput"
    with pytest.raises(ClientError):
        iam.get_user(UserName=name)


def test_list_users_pages_with_marker_and_filters_by_path(iam: Any) -> None:
    path = f"/{unique('p')}/"
    names = sorted(unique() for _ in range(5))
    for n in names:
        iam.create_user(UserName=n, Path=path, Tags=[{"Key": "k", "Value": "v"}])
    first = iam.list_users(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    assert "Tags" not in first["Users"][0]  # ListUsers leaves out tags and boundary
    paginated = [u["UserName"] for p in iam.get_paginator("list_users").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for u in p["Users"]]
    assert paginated == names


def test_update_user_renames_and_moves_keeping_id_and_policies(iam: Any) -> None:
    old, new = unique(), unique()
    created = iam.create_user(UserName=old)["User"]
    iam.put_user_policy(UserName=old, PolicyName="p", PolicyDocument=json.dumps(INLINE))
    iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")
    got = iam.get_user(UserName=new)["User"]
    assert got["UserId"] == created["UserId"] and got["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/moved/{new}"
    assert iam.list_user_policies(UserName=new)["PolicyNames"] == ["p"]
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=old)
    assert error(exc)[0] == "NoSuchEntity"


def test_renaming_a_user_onto_another_is_entity_already_exists(iam: Any) -> None:
    a, b = unique(), unique()
    iam.create_user(UserName=a)
    iam.create_user(UserName=b)
    with pytest.raises(ClientError) as exc:
        iam.update_user(UserName=a, NewUserName=b)
    assert error(exc)[:2] == ("EntityAlreadyExists", 409)


def test_update_missing_user_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.update_user(UserName=unique(), NewPath="/x/")
    assert error(exc)[0] == "NoSuchEntity"


def test_delete_user_then_it_is_gone(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name, Tags=[{"Key": "k", "Value": "v"}], PermissionsBoundary=BOUNDARY)
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=name)
    assert error(exc)[0] == "NoSuchEntity"


def test_delete_missing_user_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=unique())
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_delete_user_with_an_access_key_is_delete_conflict(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert error(exc) == ("DeleteConflict", 409, "Cannot delete entity, must delete access keys first.")
    iam.delete_access_key(UserName=name, AccessKeyId=key)
    iam.delete_user(UserName=name)


def test_delete_user_with_an_inline_policy_is_delete_conflict(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(INLINE))
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert error(exc) == ("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")


def test_delete_user_in_a_group_is_delete_conflict(iam: Any) -> None:
    name, group = unique(), unique("g")
    iam.create_user(UserName=name)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert error(exc) == ("DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")


def test_tag_untag_and_list_user_tags(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name, Tags=[{"Key": "Team", "Value": "a"}])
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "b"}, {"Key": "env", "Value": "prod"}])
    assert iam.list_user_tags(UserName=name)["Tags"] == [{"Key": "team", "Value": "b"},
                                                          {"Key": "env", "Value": "prod"}]
    iam.untag_user(UserName=name, TagKeys=["team"])
    assert iam.get_user(UserName=name)["User"]["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_list_user_tags_pages(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(5)])
    first = iam.list_user_tags(UserName=name, MaxItems=2)
    assert first["IsTruncated"] is True
    keys = [t["Key"] for p in iam.get_paginator("list_user_tags").paginate(
        UserName=name, PaginationConfig={"PageSize": 2}) for t in p["Tags"]]
    assert keys == [f"k{i}" for i in range(5)]


def test_more_than_fifty_user_tags_is_limit_exceeded(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=name, Tags=[{"Key": "extra", "Value": "v"}])
    assert error(exc)[:2] == ("LimitExceeded", 409)


def test_reserved_tag_keys_are_invalid_input(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=unique(), Tags=[{"Key": "aws:owner", "Value": "x"}])
    assert error(exc)[0] == "InvalidInput"


def test_tag_missing_user_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=unique(), Tags=[{"Key": "k", "Value": "v"}])
    assert error(exc)[0] == "NoSuchEntity"


def test_put_and_delete_user_permissions_boundary(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=BOUNDARY)
    assert iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    iam.delete_user_permissions_boundary(UserName=name)
    assert "PermissionsBoundary" not in iam.get_user(UserName=name)["User"]


def test_put_user_permissions_boundary_with_a_bad_arn_is_invalid_input(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:user/x")
    assert error(exc)[0] == "InvalidInput"


def test_delete_absent_user_permissions_boundary_is_no_such_entity(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.delete_user_permissions_boundary(UserName=name)
    assert error(exc)[0] == "NoSuchEntity"


def test_user_inline_policy_put_get_list_delete(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps(INLINE))
    got = iam.get_user_policy(UserName=name, PolicyName="read")
    assert got["PolicyDocument"] == INLINE and got["UserName"] == name and got["PolicyName"] == "read"
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["read"]
    iam.delete_user_policy(UserName=name, PolicyName="read")
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []


def test_get_missing_user_policy_is_no_such_entity(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_user_policy(UserName=name, PolicyName="nope")
    assert error(exc) == ("NoSuchEntity", 404, "The user policy with name nope cannot be found.")
    with pytest.raises(ClientError) as exc:
        iam.delete_user_policy(UserName=name, PolicyName="nope")
    assert error(exc)[0] == "NoSuchEntity"


def test_a_malformed_user_policy_is_malformed_policy_document(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument='{"Statement": ')
    assert error(exc)[0] == "MalformedPolicyDocument"


def test_user_inline_policies_over_2048_characters_are_limit_exceeded(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    big = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 2100}]}
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(big))
    assert error(exc)[:2] == ("LimitExceeded", 409)
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == []


def test_list_user_policies_pages(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    for p in ["c", "a", "b"]:
        iam.put_user_policy(UserName=name, PolicyName=p, PolicyDocument=json.dumps(INLINE))
    first = iam.list_user_policies(UserName=name, MaxItems=2)
    assert first["PolicyNames"] == ["a", "b"] and first["IsTruncated"] is True
    assert iam.list_user_policies(UserName=name, Marker=first["Marker"])["PolicyNames"] == ["c"]


def test_delete_user_with_an_attached_managed_policy_is_delete_conflict(iam: Any) -> None:
    name = unique()
    iam.create_user(UserName=name)
    policy = iam.create_policy(PolicyName=unique("p"), PolicyDocument=json.dumps(INLINE))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=policy)
    with pytest.raises(ClientError) as exc_info:
        iam.delete_user(UserName=name)
    assert error(exc_info) == ("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
