"""The IAM user lifecycle's rules, below the wire: what UserService allows, refuses and records."""

from __future__ import annotations

import json

import pytest

from rolegate.core.clock import FixedClock
from rolegate.core.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.accounts import AccountService
from rolegate.iam.groups import GroupService
from rolegate.iam.limits import IamLimits
from rolegate.iam.users import UserService
from rolegate.store.sql import SqlStore

from .conftest import ACCOUNT
from tests.iam.conftest import Requests

ALLOW_S3 = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"  # boundaries must name an existing policy


@pytest.fixture
def users(store: SqlStore, clock: FixedClock, accounts: AccountService) -> UserService:
    return UserService(store)


def test_a_new_user_gets_an_aida_id_an_arn_with_its_path_and_the_clock_s_time(
        users: UserService, clock: FixedClock, req: Requests) -> None:
    user = users.create_user(req(ACCOUNT), "alice", path="/eng/")
    assert user.user_id.startswith("AIDA") and len(user.user_id) == 21
    assert user.arn == f"arn:aws:iam::{ACCOUNT}:user/eng/alice"
    assert user.created_at == clock.now()
    assert users.get_user(req(ACCOUNT), "ALICE") == user


def test_user_names_collide_ignoring_case(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "Alice")
    with pytest.raises(EntityAlreadyExists, match="User with name alice already exists."):
        users.create_user(req(ACCOUNT), "alice")


def test_a_missing_user_is_no_such_entity_in_iam_words(users: UserService, req: Requests) -> None:
    with pytest.raises(NoSuchEntity, match="The user with name nobody cannot be found."):
        users.get_user(req(ACCOUNT), "nobody")


def test_create_user_keeps_tags_and_boundary(users: UserService, req: Requests) -> None:
    user = users.create_user(req(ACCOUNT), "u", permissions_boundary_arn=BOUNDARY, tags=[("team", "a"), ("env", "p")])
    again = users.get_user(req(ACCOUNT), "u")
    assert again.tags == (("team", "a"), ("env", "p")) and again.permissions_boundary_arn == BOUNDARY == \
        user.permissions_boundary_arn


def test_a_boundary_that_is_not_a_policy_arn_is_invalid_input_and_creates_nothing(users: UserService,
                                                                                  req: Requests) -> None:
    with pytest.raises(InvalidInput):
        users.create_user(req(ACCOUNT), "u", permissions_boundary_arn=f"arn:aws:iam::{ACCOUNT}:role/x")
    with pytest.raises(NoSuchEntity):
        users.get_user(req(ACCOUNT), "u")


def test_reserved_aws_tag_keys_are_refused(users: UserService, req: Requests) -> None:
    with pytest.raises(InvalidInput):
        users.create_user(req(ACCOUNT), "u", tags=[("aws:x", "1")])


def test_the_user_quota_is_enforced(store: SqlStore, clock: FixedClock, accounts: AccountService,
                                    req: Requests) -> None:
    small = UserService(store, IamLimits(users_per_account=1))
    small.create_user(req(ACCOUNT), "a")
    with pytest.raises(LimitExceeded, match="UsersPerAccount: 1"):
        small.create_user(req(ACCOUNT), "b")


def test_list_users_pages_by_name_and_filters_by_path(users: UserService, req: Requests) -> None:
    for name, path in [("c", "/x/"), ("A", "/x/"), ("b", "/y/"), ("d", "/x/")]:
        users.create_user(req(ACCOUNT), name, path=path)
    first = users.list_users(req(ACCOUNT), path_prefix="/x/", max_items=2)
    assert [u.name for u in first.items] == ["A", "c"] and first.is_truncated
    second = users.list_users(req(ACCOUNT), path_prefix="/x/", max_items=2, marker=first.marker)
    assert [u.name for u in second.items] == ["d"] and not second.is_truncated and second.marker is None
    assert [u.name for u in users.list_users(req(ACCOUNT)).items] == ["A", "b", "c", "d"]


def test_renaming_a_user_re_derives_the_arn_and_keeps_id_tags_policies_and_keys(
        users: UserService, store: SqlStore, clock: FixedClock, req: Requests) -> None:
    keys = AccessKeyService(store, clock)
    user = users.create_user(req(ACCOUNT), "old", tags=[("k", "v")])
    users.put_user_policy(req(ACCOUNT), "old", "p", ALLOW_S3)
    key = keys.create_access_key(req(ACCOUNT), "old").key
    renamed = users.update_user(req(ACCOUNT), "old", new_name="new", new_path="/moved/")
    assert renamed.user_id == user.user_id and renamed.arn == f"arn:aws:iam::{ACCOUNT}:user/moved/new"
    assert users.get_user(req(ACCOUNT), "new").tags == (("k", "v"),)
    assert users.list_user_policies(req(ACCOUNT), "new").items == ["p"]
    assert [k.access_key_id for k in keys.list_access_keys(req(ACCOUNT), "new")[1].items] == [key.access_key_id]
    with pytest.raises(NoSuchEntity):
        users.get_user(req(ACCOUNT), "old")


def test_renaming_onto_another_user_is_entity_already_exists(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "a")
    users.create_user(req(ACCOUNT), "b")
    with pytest.raises(EntityAlreadyExists, match="User with name B already exists."):
        users.update_user(req(ACCOUNT), "a", new_name="B")


def test_a_user_may_change_only_the_case_of_its_name(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "bob")
    assert users.update_user(req(ACCOUNT), "bob", new_name="Bob").name == "Bob"


@pytest.mark.parametrize("blocker, message", [
    ("key", "must delete access keys first"),
    ("inline", "must delete policies first"),
    ("group", "must remove users from group first"),
])
def test_delete_user_is_refused_while_something_is_attached(
        users: UserService, store: SqlStore, clock: FixedClock, blocker: str, message: str, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    if blocker == "key":
        AccessKeyService(store, clock).create_access_key(req(ACCOUNT), "u")
    elif blocker == "inline":
        users.put_user_policy(req(ACCOUNT), "u", "p", ALLOW_S3)
    else:
        groups = GroupService(store)
        groups.create_group(req(ACCOUNT), "g")
        groups.add_user_to_group(req(ACCOUNT), "g", "u")
    with pytest.raises(DeleteConflict, match=message):
        users.delete_user(req(ACCOUNT), "u")
    assert users.get_user(req(ACCOUNT), "u").name == "u"


def test_delete_user_is_refused_while_a_managed_policy_is_attached(users: UserService, store: SqlStore,
                                                                   req: Requests) -> None:
    from rolegate.store import schema

    user = users.create_user(req(ACCOUNT), "u")
    with store.write() as tx:  # attachment belongs to the managed-policy service; write the row directly
        tx.users._c.execute(schema.user_attached_policies.insert().values(  # type: ignore[attr-defined]
            user_id=user.user_id, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess"))
    with pytest.raises(DeleteConflict, match="must detach all policies first"):
        users.delete_user(req(ACCOUNT), "u")


def test_a_user_with_only_a_boundary_and_tags_can_be_deleted(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u", permissions_boundary_arn=BOUNDARY, tags=[("k", "v")])
    users.delete_user(req(ACCOUNT), "u")
    with pytest.raises(NoSuchEntity):
        users.get_user(req(ACCOUNT), "u")
    assert users.create_user(req(ACCOUNT), "u").tags == ()  # tags went with the user


def test_tagging_merges_ignoring_case_and_untagging_removes(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u", tags=[("Team", "a")])
    users.tag_user(req(ACCOUNT), "u", [("team", "b"), ("env", "p")])
    assert users.get_user(req(ACCOUNT), "u").tags == (("team", "b"), ("env", "p"))
    users.untag_user(req(ACCOUNT), "u", ["ENV", "absent"])
    assert users.list_user_tags(req(ACCOUNT), "u").items == [("team", "b")]


def test_more_than_fifty_tags_is_limit_exceeded(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u", tags=[(f"k{i}", "v") for i in range(50)])
    with pytest.raises(LimitExceeded, match="TagsPerUser: 50"):
        users.tag_user(req(ACCOUNT), "u", [("one-more", "v")])


def test_list_user_tags_pages_in_order(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u", tags=[(f"k{i}", "v") for i in range(5)])
    first = users.list_user_tags(req(ACCOUNT), "u", max_items=3)
    rest = users.list_user_tags(req(ACCOUNT), "u", max_items=3, marker=first.marker)
    assert [k for k, _ in first.items + rest.items] == [f"k{i}" for i in range(5)] and not rest.is_truncated


def test_permissions_boundary_put_and_delete(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    users.put_permissions_boundary(req(ACCOUNT), "u", BOUNDARY)
    assert users.get_user(req(ACCOUNT), "u").permissions_boundary_arn == BOUNDARY
    users.delete_permissions_boundary(req(ACCOUNT), "u")
    assert users.get_user(req(ACCOUNT), "u").permissions_boundary_arn is None
    with pytest.raises(NoSuchEntity):
        users.delete_permissions_boundary(req(ACCOUNT), "u")


def test_inline_policies_put_get_list_delete(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    users.put_user_policy(req(ACCOUNT), "u", "b", ALLOW_S3)
    users.put_user_policy(req(ACCOUNT), "u", "a", ALLOW_S3)
    assert users.get_user_policy(req(ACCOUNT), "u", "a")[1] == ALLOW_S3
    assert users.list_user_policies(req(ACCOUNT), "u").items == ["a", "b"]
    users.delete_user_policy(req(ACCOUNT), "u", "a")
    with pytest.raises(NoSuchEntity, match="The user policy with name a cannot be found."):
        users.get_user_policy(req(ACCOUNT), "u", "a")
    with pytest.raises(NoSuchEntity):
        users.delete_user_policy(req(ACCOUNT), "u", "a")


def test_a_malformed_inline_policy_is_refused(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    with pytest.raises(MalformedPolicyDocument):
        users.put_user_policy(req(ACCOUNT), "u", "p", '{"Version": "2012-10-17"')
    assert users.list_user_policies(req(ACCOUNT), "u").items == []


def test_user_inline_policies_share_a_2048_character_budget(users: UserService, req: Requests) -> None:
    users.create_user(req(ACCOUNT), "u")
    def doc(n: int) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * n}]})
    users.put_user_policy(req(ACCOUNT), "u", "one", doc(900))
    with pytest.raises(LimitExceeded, match="Maximum policy size of 2048 bytes exceeded for user u"):
        users.put_user_policy(req(ACCOUNT), "u", "two", doc(1100))
    users.put_user_policy(req(ACCOUNT), "u", "one", doc(1900))  # replacing a policy counts only the new text
    assert users.list_user_policies(req(ACCOUNT), "u").items == ["one"]
