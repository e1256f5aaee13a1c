"""IAM groups through boto3 against a live server: lifecycle, membership, inline policies, errors."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def unique(prefix: str = "g") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


def test_create_group_returns_id_and_arn(iam: Any) -> None:
    name = unique()
    group = iam.create_group(GroupName=name, Path="/ops/")["Group"]
    assert group["GroupName"] == name and group["Path"] == "/ops/"
    assert group["GroupId"].startswith("AGPA") and group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/ops/{name}"


def test_creating_a_group_twice_ignoring_case_is_entity_already_exists(iam: Any) -> None:
    name = unique()
    iam.create_group(GroupName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_group(GroupName=name.upper())
    assert error(exc)[:2] == ("EntityAlreadyExists", 409)


def test_get_missing_group_is_no_such_entity(iam: Any) -> None:
    name = unique()
    with pytest.raises(ClientError) as exc:
        iam.get_group(GroupName=name)
    assert error(exc) == ("NoSuchEntity", 404, f"The group with name {name} cannot be found.")


def test_get_group_lists_its_users_in_pages(iam: Any) -> None:
    group = unique()
    iam.create_group(GroupName=group)
    users = sorted(unique("u") for _ in range(3))
    for u in users:
        iam.create_user(UserName=u)
        iam.add_user_to_group(GroupName=group, UserName=u)
    first = iam.get_group(GroupName=group, MaxItems=2)
    assert first["Group"]["GroupName"] == group and first["IsTruncated"] is True
    seen = [u["UserName"] for p in iam.get_paginator("get_group").paginate(
        GroupName=group, PaginationConfig={"PageSize": 2}) for u in p["Users"]]
    assert seen == users


def test_list_groups_filters_by_path_and_pages(iam: Any) -> None:
    path = f"/{unique('p')}/"
    names = sorted(unique() for _ in range(3))
    for n in names:
        iam.create_group(GroupName=n, Path=path)
    first = iam.list_groups(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True
    seen = [g["GroupName"] for p in iam.get_paginator("list_groups").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for g in p["Groups"]]
    assert seen == names


def test_update_group_renames_and_moves_keeping_members(iam: Any) -> None:
    old, new, user = unique(), unique(), unique("u")
    created = iam.create_group(GroupName=old)["Group"]
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=old, UserName=user)
    iam.update_group(GroupName=old, NewGroupName=new, NewPath="/n/")
    got = iam.get_group(GroupName=new)
    assert got["Group"]["GroupId"] == created["GroupId"]
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/n/{new}"
    assert [u["UserName"] for u in got["Users"]] == [user]


def test_renaming_a_group_onto_another_is_entity_already_exists(iam: Any) -> None:
    a, b = unique(), unique()
    iam.create_group(GroupName=a)
    iam.create_group(GroupName=b)
    with pytest.raises(ClientError) as exc:
        iam.update_group(GroupName=a, NewGroupName=b.upper())
    assert error(exc)[:2] == ("EntityAlreadyExists", 409)


def test_update_missing_group_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.update_group(GroupName=unique(), NewPath="/x/")
    assert error(exc)[0] == "NoSuchEntity"


def test_delete_group_with_members_is_delete_conflict_then_succeeds_when_empty(iam: Any) -> None:
    group, user = unique(), unique("u")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error(exc) == ("DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")
    iam.remove_user_from_group(GroupName=group, UserName=user)
    iam.delete_group(GroupName=group)
    with pytest.raises(ClientError):
        iam.get_group(GroupName=group)


def test_delete_group_with_an_inline_policy_is_delete_conflict(iam: Any) -> None:
    group = unique()
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=json.dumps(INLINE))
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error(exc) == ("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")


def test_delete_missing_group_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=unique())
    assert error(exc)[:2] == ("NoSuchEntity", 404)


def test_add_user_to_group_twice_is_harmless_and_list_groups_for_user_shows_it(iam: Any) -> None:
    group, user = unique(), unique("u")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert len(iam.get_group(GroupName=group)["Users"]) == 1


def test_add_missing_user_or_to_missing_group_is_no_such_entity(iam: Any) -> None:
    group, user = unique(), unique("u")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.add_user_to_group(GroupName=group, UserName=unique("u"))
    assert error(exc)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        iam.add_user_to_group(GroupName=unique(), UserName=user)
    assert error(exc)[0] == "NoSuchEntity"


def test_a_user_in_ten_groups_cannot_join_an_eleventh(iam: Any) -> None:
    user = unique("u")
    iam.create_user(UserName=user)
    groups = [unique() for _ in range(11)]
    for g in groups:
        iam.create_group(GroupName=g)
    for g in groups[:10]:
        iam.add_user_to_group(GroupName=g, UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.add_user_to_group(GroupName=groups[10], UserName=user)
    assert error(exc)[:2] == ("LimitExceeded", 409)
    page = iam.list_groups_for_user(UserName=user, MaxItems=4)
    assert page["IsTruncated"] is True and len(page["Groups"]) == 4
    everything = [g["GroupName"] for p in iam.get_paginator("list_groups_for_user").paginate(
        UserName=user, PaginationConfig={"PageSize": 4}) for g in p["Groups"]]
    assert everything == sorted(groups[:10])


def test_remove_user_not_in_group_is_no_such_entity(iam: Any) -> None:
    group, user = unique(), unique("u")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.remove_user_from_group(GroupName=group, UserName=user)
    assert error(exc)[0] == "NoSuchEntity"


def test_list_groups_for_missing_user_is_no_such_entity(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.list_groups_for_user(UserName=unique("u"))
    assert error(exc)[0] == "NoSuchEntity"


def test_group_inline_policy_put_get_list_delete(iam: Any) -> None:
    group = unique()
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=json.dumps(INLINE))
    got = iam.get_group_policy(GroupName=group, PolicyName="read")
    assert got["PolicyDocument"] == INLINE and got["GroupName"] == group
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["read"]
    iam.delete_group_policy(GroupName=group, PolicyName="read")
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == []
    with pytest.raises(ClientError) as exc:
        iam.get_group_policy(GroupName=group, PolicyName="read")
    assert error(exc) == ("NoSuchEntity", 404, "The group policy with name read cannot be found.")
    with pytest.raises(ClientError) as exc:
        iam.delete_group_policy(GroupName=group, PolicyName="read")
    assert error(exc)[0] == "NoSuchEntity"


def test_group_inline_policies_over_5120_characters_are_limit_exceeded(iam: Any) -> None:
    group = unique()
    iam.create_group(GroupName=group)
    def doc(n: int) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * n}]})
    iam.put_group_policy(GroupName=group, PolicyName="one", PolicyDocument=doc(3000))
    with pytest.raises(ClientError) as exc:
        iam.put_group_policy(GroupName=group, PolicyName="two", PolicyDocument=doc(2100))
    assert error(exc)[:2] == ("LimitExceeded", 409)


def test_a_malformed_group_policy_is_malformed_policy_document(iam: Any) -> None:
    group = unique()
    iam.create_group(GroupName=group)
    with pytest.raises(ClientError) as exc:
        iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument="not json")
    assert error(exc)[0] == "MalformedPolicyDocument"


def test_list_group_policies_pages(iam: Any) -> None:
    group = unique()
    iam.create_group(GroupName=group)
    for p in ["b", "a", "c"]:
        iam.put_group_policy(GroupName=group, PolicyName=p, PolicyDocument=json.dumps(INLINE))
    first = iam.list_group_policies(GroupName=group, MaxItems=2)
    assert first["PolicyNames"] == ["a", "b"] and first["IsTruncated"] is True
    assert iam.list_group_policies(GroupName=group, Marker=first["Marker"])["PolicyNames"] == ["c"]


def test_delete_group_with_an_attached_managed_policy_is_delete_conflict(iam: Any) -> None:
    group = unique()
    iam.create_group(GroupName=group)
    policy = iam.create_policy(PolicyName=unique("p"), PolicyDocument=json.dumps(INLINE))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=policy)
    with pytest.raises(ClientError) as exc_info:
        iam.delete_group(GroupName=group)
    assert error(exc_info) == ("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
