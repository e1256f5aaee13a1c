"""The managed-policy repository on every backend: policies, versions, tags, attachments and the usage
counts derived from them (scoped to one account, since AWS managed ARNs are shared by all)."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.store.ports import DuplicateKeyError
from rolegate.iam.entities import AccountRecord, ManagedPolicyRecord, PolicyVersionRecord, RoleRecord
from rolegate.store.sql import SqlStore

NOW = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
A, B = "111111111111", "222222222222"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _policy(account: str, name: str, pid: str) -> ManagedPolicyRecord:
    return ManagedPolicyRecord(account_id=account, policy_id=pid, name=name, path="/",
                               arn=f"arn:aws:iam::{account}:policy/{name}", default_version_id="v1",
                               next_version=2, created_at=NOW, updated_at=NOW, description="d",
                               tags=(("k", "v"),))


def _role(account: str, name: str, rid: str, boundary: str | None = None) -> RoleRecord:
    return RoleRecord(account_id=account, role_id=rid, name=name, path="/", arn=f"arn:aws:iam::{account}:role/{name}",
                      trust_policy="{}", created_at=NOW, permissions_boundary_arn=boundary)


@pytest.fixture
def seeded(store: SqlStore) -> SqlStore:
    with store.write() as tx:
        for acct in (A, B):
            tx.accounts.create(AccountRecord(acct, f"acct-{acct}", NOW))
    return store


def test_a_created_policy_reads_back_with_its_first_version_and_tags(seeded: SqlStore) -> None:
    p = _policy(A, "P", "ANPA1")
    with seeded.write() as tx:
        tx.managed_policies.create(p, PolicyVersionRecord("ANPA1", "v1", "{}", NOW))
    with seeded.read() as tx:
        assert tx.managed_policies.get_by_arn(p.arn) == p
        assert [v.version_id for v in tx.managed_policies.list_versions("ANPA1")] == ["v1"]
        assert tx.managed_policies.count(A) == 1 and tx.managed_policies.count(B) == 0


def test_a_second_policy_with_the_same_name_ignoring_case_is_a_duplicate_key(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        tx.managed_policies.create(_policy(A, "P", "ANPA1"), PolicyVersionRecord("ANPA1", "v1", "{}", NOW))
    with pytest.raises(DuplicateKeyError), seeded.write() as tx:
        q = _policy(A, "p", "ANPA2")
        tx.managed_policies.create(q, PolicyVersionRecord("ANPA2", "v1", "{}", NOW))


def test_versions_list_newest_first_by_number(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        tx.managed_policies.create(_policy(A, "P", "ANPA1"), PolicyVersionRecord("ANPA1", "v1", "{}", NOW))
        for n in (2, 10, 3):
            tx.managed_policies.add_version(PolicyVersionRecord("ANPA1", f"v{n}", "{}", NOW))
        tx.managed_policies.delete_version("ANPA1", "v3")
    with seeded.read() as tx:
        assert [v.version_id for v in tx.managed_policies.list_versions("ANPA1")] == ["v10", "v2", "v1"]


def test_deleting_a_policy_removes_its_versions_and_tags(seeded: SqlStore) -> None:
    p = _policy(A, "P", "ANPA1")
    with seeded.write() as tx:
        tx.managed_policies.create(p, PolicyVersionRecord("ANPA1", "v1", "{}", NOW))
        tx.managed_policies.delete("ANPA1")
    with seeded.read() as tx:
        assert tx.managed_policies.get_by_arn(p.arn) is None
        assert tx.managed_policies.list_versions("ANPA1") == []


def test_attachment_and_boundary_counts_are_scoped_to_the_account(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        tx.roles.create(_role(A, "ra", "AROA1", boundary=ADMIN))
        tx.roles.create(_role(B, "rb", "AROA2"))
        tx.managed_policies.attach("Role", "AROA1", ADMIN)
        tx.managed_policies.attach("Role", "AROA1", ADMIN)  # twice: one row
        tx.managed_policies.attach("Role", "AROA2", ADMIN)
    with seeded.read() as tx:
        assert tx.managed_policies.attachment_counts(A) == {ADMIN: 1}
        assert tx.managed_policies.boundary_counts(A) == {ADMIN: 1}
        assert tx.managed_policies.boundary_counts(B) == {}
        assert tx.roles.count_attached_policies("AROA1") == 1
        entities = tx.managed_policies.entities(A, ADMIN, attached=True, boundary=True)
        assert [(e.kind, e.name) for e in entities] == [("Role", "ra")]


def test_detach_reports_whether_anything_was_attached(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        tx.roles.create(_role(A, "ra", "AROA1"))
        tx.managed_policies.attach("Role", "AROA1", ADMIN)
        assert tx.managed_policies.detach("Role", "AROA1", ADMIN) is True
        assert tx.managed_policies.detach("Role", "AROA1", ADMIN) is False
        assert tx.managed_policies.attached("Role", "AROA1") == []
