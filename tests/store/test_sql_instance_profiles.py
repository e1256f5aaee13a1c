"""The instance-profile repository's contract, as every backend must honour it."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.store.ports import DuplicateKeyError
from rolegate.iam.entities import AccountRecord, InstanceProfileRecord, RoleRecord
from rolegate.store.sql import SqlStore

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
A = "111122223333"


def _profile(name: str, pid: str, path: str = "/") -> InstanceProfileRecord:
    return InstanceProfileRecord(account_id=A, instance_profile_id=pid, name=name, path=path,
                                 arn=f"arn:aws:iam::{A}:instance-profile{path}{name}", created_at=T0)


def _setup(store: SqlStore) -> None:
    with store.write() as tx:
        tx.accounts.create(AccountRecord(A, "a", T0))
        tx.roles.create(RoleRecord(account_id=A, role_id="AROA00000000000000001", name="Web", path="/",
                                   arn=f"arn:aws:iam::{A}:role/Web", trust_policy="{}", created_at=T0))


def test_profile_reads_back_with_its_role_name_and_tags(store: SqlStore) -> None:
    _setup(store)
    with store.write() as tx:
        tx.instance_profiles.create(_profile("P", "AIPA00000000000000001"))
        tx.instance_profiles.set_role("AIPA00000000000000001", "AROA00000000000000001")
        tx.instance_profiles.update_tags("AIPA00000000000000001", [("b", "2"), ("a", "1")])
    with store.read() as tx:
        p = tx.instance_profiles.get_by_name(A, "p")
        assert p is not None and p.role_name == "Web" and p.tags == (("b", "2"), ("a", "1"))
        assert [x.name for x in tx.instance_profiles.list_for_role("AROA00000000000000001")] == ["P"]
        assert tx.roles.count_instance_profiles("AROA00000000000000001") == 1


def test_names_are_unique_ignoring_case(store: SqlStore) -> None:
    _setup(store)
    with store.write() as tx:
        tx.instance_profiles.create(_profile("P", "AIPA00000000000000001"))
    with pytest.raises(DuplicateKeyError), store.write() as tx:
        tx.instance_profiles.create(_profile("p", "AIPA00000000000000002"))


def test_a_profile_holds_one_role_row(store: SqlStore) -> None:
    _setup(store)
    with store.write() as tx:
        tx.instance_profiles.create(_profile("P", "AIPA00000000000000001"))
        tx.instance_profiles.set_role("AIPA00000000000000001", "AROA00000000000000001")
        tx.instance_profiles.set_role("AIPA00000000000000001", None)
    with store.read() as tx:
        p = tx.instance_profiles.get_by_name(A, "P")
        assert p is not None and p.role_name is None


def test_list_orders_by_lower_name_filters_by_path_and_starts_after_marker(store: SqlStore) -> None:
    _setup(store)
    with store.write() as tx:
        for i, name in enumerate(["b", "A", "c"]):
            tx.instance_profiles.create(_profile(name, f"AIPA0000000000000000{i}", "/x/"))
        tx.instance_profiles.create(_profile("z", "AIPA00000000000000009", "/y/"))
    with store.read() as tx:
        assert [p.name for p in tx.instance_profiles.list_for_account(A, "/x/", None, 10)] == ["A", "b", "c"]
        assert [p.name for p in tx.instance_profiles.list_for_account(A, "/", "b", 10)] == ["c", "z"]
        assert tx.instance_profiles.count(A) == 4


def test_delete_removes_the_profile_its_role_row_and_tags(store: SqlStore) -> None:
    _setup(store)
    with store.write() as tx:
        tx.instance_profiles.create(_profile("P", "AIPA00000000000000001"))
        tx.instance_profiles.update_tags("AIPA00000000000000001", [("k", "v")])
        tx.instance_profiles.delete("AIPA00000000000000001")
    with store.read() as tx:
        assert tx.instance_profiles.get_by_name(A, "P") is None and tx.instance_profiles.count(A) == 0
    with store.write() as tx:  # the same id again starts without the old tags
        tx.instance_profiles.create(_profile("P", "AIPA00000000000000001"))
    with store.read() as tx:
        p = tx.instance_profiles.get_by_name(A, "P")
        assert p is not None and p.tags == ()
