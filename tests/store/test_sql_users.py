"""The store's contract for users, groups, memberships and access-key administration, on every backend."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from rolegate.store import schema
from rolegate.store.ports import DuplicateKeyError
from rolegate.iam.entities import AccessKeyRecord, AccountRecord, GroupRecord, UserRecord
from rolegate.store.sql import SqlStore

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
ACCT = "111122223333"


def _account(tx) -> None:  # type: ignore[no-untyped-def]
    tx.accounts.create(AccountRecord(ACCT, "acct", T0))


def _user(name: str, n: int, path: str = "/") -> UserRecord:
    return UserRecord(account_id=ACCT, user_id=f"AIDA{n:017d}", name=name, path=path,
                      arn=f"arn:aws:iam::{ACCT}:user{path}{name}", created_at=T0)


def _group(name: str, n: int, path: str = "/") -> GroupRecord:
    return GroupRecord(account_id=ACCT, group_id=f"AGPA{n:017d}", name=name, path=path,
                       arn=f"arn:aws:iam::{ACCT}:group{path}{name}", created_at=T0)


def _key(key_id: str, user_id: str | None) -> AccessKeyRecord:
    return AccessKeyRecord(access_key_id=key_id, account_id=ACCT, secret_access_key="s" * 40, status="Active",
                           created_at=T0, user_id=user_id)


def test_a_user_reads_back_by_name_ignoring_case_and_by_id_with_tags(store: SqlStore) -> None:
    user = dataclasses.replace(_user("Alice", 1), tags=(("b", "2"), ("a", "1")),
                               permissions_boundary_arn=f"arn:aws:iam::{ACCT}:policy/B")
    with store.write() as tx:
        _account(tx)
        tx.users.create(user)
    with store.read() as tx:
        assert tx.users.get_by_name(ACCT, "alice") == user
        assert tx.users.get(user.user_id) == user
        assert tx.users.get("AIDA00000000000000099") is None


def test_user_names_are_unique_ignoring_case(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.users.create(_user("Alice", 1))
    with pytest.raises(DuplicateKeyError), store.write() as tx:
        tx.users.create(_user("ALICE", 2))


def test_users_list_by_lower_cased_name_after_a_key_and_under_a_path(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        for i, (name, path) in enumerate([("b", "/x/"), ("A", "/x/"), ("c", "/y/")]):
            tx.users.create(_user(name, i, path))
    with store.read() as tx:
        assert [u.name for u in tx.users.list_for_account(ACCT, "/", None, 10)] == ["A", "b", "c"]
        assert [u.name for u in tx.users.list_for_account(ACCT, "/", "a", 10)] == ["b", "c"]
        assert [u.name for u in tx.users.list_for_account(ACCT, "/x/", None, 10)] == ["A", "b"]
        assert tx.users.count(ACCT) == 3


def test_a_renamed_user_is_found_under_its_new_name_only(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.users.create(_user("old", 1))
        tx.users.update(dataclasses.replace(_user("new", 1), tags=(("k", "v"),)))
    with store.read() as tx:
        assert tx.users.get_by_name(ACCT, "old") is None
        assert tx.users.get_by_name(ACCT, "NEW").tags == (("k", "v"),)  # type: ignore[union-attr]


def test_user_inline_policies_overwrite_list_by_name_and_delete(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.users.create(_user("u", 1))
        tx.users.put_inline_policy("AIDA00000000000000001", "b", "{1}")
        tx.users.put_inline_policy("AIDA00000000000000001", "a", "{2}")
        tx.users.put_inline_policy("AIDA00000000000000001", "b", "{3}")
    with store.write() as tx:
        assert tx.users.list_inline_policies("AIDA00000000000000001") == [("a", "{2}"), ("b", "{3}")]
        assert tx.users.delete_inline_policy("AIDA00000000000000001", "a") is True
        assert tx.users.delete_inline_policy("AIDA00000000000000001", "a") is False
        assert tx.users.get_inline_policy("AIDA00000000000000001", "a") is None


def test_memberships_list_both_ways_and_adding_twice_is_harmless(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.users.create(_user("u", 1))
        tx.users.create(_user("v", 2))
        tx.groups.create(_group("b", 1))
        tx.groups.create(_group("a", 2))
        for gid in ("AGPA00000000000000001", "AGPA00000000000000002"):
            tx.groups.add_member(gid, "AIDA00000000000000001")
        tx.groups.add_member("AGPA00000000000000001", "AIDA00000000000000001")
        tx.groups.add_member("AGPA00000000000000001", "AIDA00000000000000002")
    with store.write() as tx:
        assert [g.name for g in tx.users.list_groups("AIDA00000000000000001")] == ["a", "b"]
        assert [u.name for u in tx.groups.list_members("AGPA00000000000000001", None, 10)] == ["u", "v"]
        assert [u.name for u in tx.groups.list_members("AGPA00000000000000001", "u", 10)] == ["v"]
        assert tx.groups.count_members("AGPA00000000000000001") == 2
        assert tx.groups.remove_member("AGPA00000000000000001", "AIDA00000000000000002") is True
        assert tx.groups.remove_member("AGPA00000000000000001", "AIDA00000000000000002") is False


def test_groups_read_back_list_rename_and_delete(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.groups.create(_group("Ops", 1, "/t/"))
        tx.groups.create(_group("dev", 2))
    with pytest.raises(DuplicateKeyError), store.write() as tx:
        tx.groups.create(_group("OPS", 3))
    with store.write() as tx:
        assert tx.groups.get_by_name(ACCT, "ops") == _group("Ops", 1, "/t/")
        assert [g.name for g in tx.groups.list_for_account(ACCT, "/t/", None, 10)] == ["Ops"]
        tx.groups.update(_group("Renamed", 1))
        tx.groups.put_inline_policy("AGPA00000000000000001", "p", "{}")
    with store.write() as tx:
        assert [g.name for g in tx.groups.list_for_account(ACCT, "/", None, 10)] == ["dev", "Renamed"]
        assert tx.groups.list_inline_policies("AGPA00000000000000001") == [("p", "{}")]
        tx.groups.delete_inline_policy("AGPA00000000000000001", "p")
        tx.groups.delete("AGPA00000000000000001")
    with store.read() as tx:
        assert tx.groups.get_by_name(ACCT, "renamed") is None and tx.groups.count(ACCT) == 1


def test_attached_policy_counts_see_the_attachment_tables(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.users.create(_user("u", 1))
        tx.groups.create(_group("g", 1))
    with store._engine.begin() as conn:  # attachments are written by the managed-policy repository
        conn.execute(schema.user_attached_policies.insert().values(user_id="AIDA00000000000000001",
                                                                   policy_arn="arn:aws:iam::aws:policy/A"))
        conn.execute(schema.group_attached_policies.insert().values(group_id="AGPA00000000000000001",
                                                                    policy_arn="arn:aws:iam::aws:policy/A"))
    with store.read() as tx:
        assert tx.users.count_attached_policies("AIDA00000000000000001") == 1
        assert tx.groups.count_attached_policies("AGPA00000000000000001") == 1


def test_a_deleted_user_takes_its_tags_and_inline_policies(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.users.create(dataclasses.replace(_user("u", 1), tags=(("k", "v"),)))
        tx.users.put_inline_policy("AIDA00000000000000001", "p", "{}")
        tx.users.delete("AIDA00000000000000001")
        tx.users.create(_user("u", 1))
    with store.read() as tx:
        assert tx.users.get(("AIDA00000000000000001")).tags == ()  # type: ignore[union-attr]
        assert tx.users.list_inline_policies("AIDA00000000000000001") == []


def test_access_keys_change_status_record_use_forward_only_and_delete(store: SqlStore) -> None:
    later = T0 + dt.timedelta(hours=1)
    with store.write() as tx:
        _account(tx)
        tx.users.create(_user("u", 1))
        tx.access_keys.create(_key("AKIAAAAAAAAAAAAAAAA1", "AIDA00000000000000001"))
        tx.access_keys.set_status("AKIAAAAAAAAAAAAAAAA1", "Inactive")
        tx.access_keys.record_use("AKIAAAAAAAAAAAAAAAA1", later, "sts", "eu-west-1")
        tx.access_keys.record_use("AKIAAAAAAAAAAAAAAAA1", T0, "iam", "us-east-1")  # older: ignored
    with store.write() as tx:
        key = tx.access_keys.get("AKIAAAAAAAAAAAAAAAA1")
        assert key is not None and key.status == "Inactive" and key.secret_access_key == "s" * 40
        assert (key.last_used_at, key.last_used_service, key.last_used_region) == (later, "sts", "eu-west-1")
        assert [k.access_key_id for k in tx.access_keys.list_for_user(ACCT, "AIDA00000000000000001")] == \
            ["AKIAAAAAAAAAAAAAAAA1"]
        tx.access_keys.delete("AKIAAAAAAAAAAAAAAAA1")
    with store.read() as tx:
        assert tx.access_keys.get("AKIAAAAAAAAAAAAAAAA1") is None
