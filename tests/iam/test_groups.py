"""IAM groups' rules, below the wire: membership, renames, deletion conflicts, quotas, inline policies."""

from __future__ import annotations

import json

import pytest

from rolegate.core.clock import FixedClock
from rolegate.core.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from rolegate.iam.accounts import AccountService
from rolegate.iam.groups import GroupService
from rolegate.iam.limits import IamLimits
from rolegate.iam.users import UserService
from rolegate.store.sql import SqlStore

from .conftest import ACCOUNT
from tests.iam.conftest import Requests

ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


@pytest.fixture
def users(store: SqlStore, clock: FixedClock, accounts: AccountService) -> UserService:
    return UserService(store)


@pytest.fixture
def groups(store: SqlStore, clock: FixedClock, accounts: AccountService) -> GroupService:
    return GroupService(store)


def test_a_new_group_gets_an_agpa_id_and_an_arn_with_its_path(groups: GroupService, req: Requests) -> None:
    group = groups.create_group(req(ACCOUNT), "Admins", path="/ops/")
    assert group.group_id.startswith("AGPA") and len(group.group_id) == 21
    assert group.arn == f"arn:aws:iam::{ACCOUNT}:group/ops/Admins"


def test_group_names_collide_ignoring_case(groups: GroupService, req: Requests) -> None:
    groups.create_group(req(ACCOUNT), "Admins")
    with pytest.raises(EntityAlreadyExists, match="Group with name admins already exists."):
        groups.create_group(req(ACCOUNT), "admins")


def test_the_group_quota_is_enforced(store: SqlStore, clock: FixedClock, accounts: AccountService,
                                     req: Requests) -> None:
    small = GroupService(store, IamLimits(groups_per_account=1))
    small.create_group(req(ACCOUNT), "a")
    with pytest.raises(LimitExceeded, match="GroupsPerAccount: 1"):
        small.create_group(req(ACCOUNT), "b")


def test_get_group_lists_members_by_name_in_pages(groups: GroupService, users: UserService, req: Requests) -> None:
    groups.create_group(req(ACCOUNT), "g")
    for name in ["c", "a", "b"]:
        users.create_user(req(ACCOUNT), name)
        groups.add_user_to_group(req(ACCOUNT), "g", name)
    group, first = groups.get_group(req(ACCOUNT), "G", max_items=2)
    assert group.name == "g" and [u.name for u in first.items] == ["a", "b"] and first.is_truncated
    _, rest = groups.get_group(req(ACCOUNT), "g", max_items=2, marker=first.marker)
    assert [u.name for u in rest.items] == ["c"] and not rest.is_truncated


def test_adding_a_member_twice_changes_nothing(groups: GroupService, users: UserService, req: Requests) -> None:
    groups.create_group(req(ACCOUNT), "g")
    users.create_user(req(ACCOUNT), "u")
    groups.add_user_to_group(req(ACCOUNT), "g", "u")
    groups.add_user_to_group(req(ACCOUNT), "g", "U")
    assert [u.name for u in groups.get_group(req(ACCOUNT), "g")[1].items] == ["u"]


def test_adding_a_missing_user_or_to_a_missing_group_is_no_such_entity(
        groups: GroupService, users: UserService, req: Requests) -> None:
    groups.create_group(req(ACCOUNT), "g")
    users.create_user(req(ACCOUNT), "u")
    with pytest.raises(NoSuchEntity, match="The user with name nobody cannot be found."):
        groups.add_user_to_group(req(ACCOUNT), "g", "nobody")
    with pytest.raises(NoSuchEntity, match="The group with name none cannot be found."):
        groups.add_user_to_group(req(ACCOUNT), "none", "u")


def test_a_user_may_be_in_at_most_ten_groups(groups: GroupService, users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    for i in range(10):
        groups.create_group(req(ACCOUNT), f"g{i}")
        groups.add_user_to_group(req(ACCOUNT), f"g{i}", "u")
    groups.create_group(req(ACCOUNT), "g10")
    with pytest.raises(LimitExceeded, match="GroupsPerUser: 10"):
        groups.add_user_to_group(req(ACCOUNT), "g10", "u")


def test_removing_a_non_member_is_no_such_entity(groups: GroupService, users: UserService, req: Requests) -> None:
    groups.create_group(req(ACCOUNT), "g")
    users.create_user(req(ACCOUNT), "u")
    with pytest.raises(NoSuchEntity):
        groups.remove_user_from_group(req(ACCOUNT), "g", "u")


def test_list_groups_for_user_and_removal(groups: GroupService, users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    for name in ["b", "a"]:
        groups.create_group(req(ACCOUNT), name)
        groups.add_user_to_group(req(ACCOUNT), name, "u")
    assert [g.name for g in groups.list_groups_for_user(req(ACCOUNT), "u").items] == ["a", "b"]
    groups.remove_user_from_group(req(ACCOUNT), "a", "u")
    assert [g.name for g in groups.list_groups_for_user(req(ACCOUNT), "u").items] == ["b"]


def test_list_groups_filters_by_path_and_pages(groups: GroupService, req: Requests) -> None:
    for name, path in [("b", "/x/"), ("a", "/x/"), ("c", "/y/")]:
        groups.create_group(req(ACCOUNT), name, path=path)
    first = groups.list_groups(req(ACCOUNT), path_prefix="/x/", max_items=1)
    second = groups.list_groups(req(ACCOUNT), path_prefix="/x/", max_items=1, marker=first.marker)
    assert [g.name for g in first.items + second.items] == ["a", "b"] and not second.is_truncated


def test_renaming_a_group_keeps_members_and_policies(groups: GroupService, users: UserService, req: Requests) -> None:
    group = groups.create_group(req(ACCOUNT), "old")
    users.create_user(req(ACCOUNT), "u")
    groups.add_user_to_group(req(ACCOUNT), "old", "u")
    groups.put_group_policy(req(ACCOUNT), "old", "p", ALLOW_S3)
    renamed = groups.update_group(req(ACCOUNT), "old", new_name="new", new_path="/n/")
    assert renamed.group_id == group.group_id and renamed.arn == f"arn:aws:iam::{ACCOUNT}:group/n/new"
    assert [u.name for u in groups.get_group(req(ACCOUNT), "new")[1].items] == ["u"]
    assert groups.list_group_policies(req(ACCOUNT), "new").items == ["p"]


def test_renaming_onto_another_group_is_entity_already_exists(groups: GroupService, req: Requests) -> None:
    groups.create_group(req(ACCOUNT), "a")
    groups.create_group(req(ACCOUNT), "b")
    with pytest.raises(EntityAlreadyExists):
        groups.update_group(req(ACCOUNT), "a", new_name="B")


def test_delete_group_is_refused_while_it_has_members_or_policies(
        groups: GroupService, users: UserService, req: Requests) -> None:
    groups.create_group(req(ACCOUNT), "g")
    users.create_user(req(ACCOUNT), "u")
    groups.add_user_to_group(req(ACCOUNT), "g", "u")
    with pytest.raises(DeleteConflict, match="must remove users from group first"):
        groups.delete_group(req(ACCOUNT), "g")
    groups.remove_user_from_group(req(ACCOUNT), "g", "u")
    groups.put_group_policy(req(ACCOUNT), "g", "p", ALLOW_S3)
    with pytest.raises(DeleteConflict, match="must delete policies first"):
        groups.delete_group(req(ACCOUNT), "g")
    groups.delete_group_policy(req(ACCOUNT), "g", "p")
    groups.delete_group(req(ACCOUNT), "g")
    with pytest.raises(NoSuchEntity):
        groups.get_group(req(ACCOUNT), "g")


def test_group_inline_policies_share_a_5120_character_budget(groups: GroupService, req: Requests) -> None:
    groups.create_group(req(ACCOUNT), "g")
    def doc(n: int) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * n}]})
    groups.put_group_policy(req(ACCOUNT), "g", "one", doc(3000))
    with pytest.raises(LimitExceeded, match="Maximum policy size of 5120 bytes exceeded for group g"):
        groups.put_group_policy(req(ACCOUNT), "g", "two", doc(2100))
    with pytest.raises(NoSuchEntity, match="The group policy with name two cannot be found."):
        groups.get_group_policy(req(ACCOUNT), "g", "two")
