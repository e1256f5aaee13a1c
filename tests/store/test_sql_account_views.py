"""The account-views repository on every backend: details of many entities at once, grouped by entity, and
nothing for entities not asked about."""

from __future__ import annotations

import datetime as dt

from rolegate.iam.entities import (
    AccountRecord,
    GroupRecord,
    InstanceProfileRecord,
    ManagedPolicyRecord,
    PolicyVersionRecord,
    RoleRecord,
    UserRecord,
)
from rolegate.store.sql import SqlStore

NOW = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
A = "111111111111"
P1, P2 = "arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"


def _role(name: str, rid: str) -> RoleRecord:
    return RoleRecord(account_id=A, role_id=rid, name=name, path="/", arn=f"arn:aws:iam::{A}:role/{name}",
                      trust_policy="{}", created_at=NOW)


def _seed(store: SqlStore) -> None:
    with store.write() as tx:
        tx.accounts.create(AccountRecord(A, "a", NOW))
        for name, rid in (("r1", "AROA1"), ("r2", "AROA2"), ("r3", "AROA3")):
            tx.roles.create(_role(name, rid))
        tx.roles.put_inline_policy("AROA1", "b", "doc-b")
        tx.roles.put_inline_policy("AROA1", "a", "doc-a")
        tx.roles.put_inline_policy("AROA2", "c", "doc-c")
        tx.managed_policies.attach("Role", "AROA1", P2)
        tx.managed_policies.attach("Role", "AROA1", P1)
        tx.managed_policies.attach("Role", "AROA3", P1)
        for name, uid in (("u1", "AIDA1"), ("u2", "AIDA2")):
            tx.users.create(UserRecord(A, uid, name, "/", f"arn:aws:iam::{A}:user/{name}", NOW))
        for name, gid in (("Zeta", "AGPA1"), ("alpha", "AGPA2")):
            tx.groups.create(GroupRecord(A, gid, name, "/", f"arn:aws:iam::{A}:group/{name}", NOW))
            tx.groups.add_member(gid, "AIDA1")
        for name, pid in (("ip-b", "AIPA1"), ("ip-a", "AIPA2"), ("ip-empty", "AIPA3")):
            arn = f"arn:aws:iam::{A}:instance-profile/{name}"
            tx.instance_profiles.create(InstanceProfileRecord(A, pid, name, "/", arn, NOW, tags=(("k", name),)))
        tx.instance_profiles.set_role("AIPA1", "AROA1")
        tx.instance_profiles.set_role("AIPA2", "AROA1")
        policy = ManagedPolicyRecord(A, "ANPA1", "p", "/", f"arn:aws:iam::{A}:policy/p", "v1", 11, NOW, NOW)
        tx.managed_policies.create(policy, PolicyVersionRecord("ANPA1", "v1", "d1", NOW))
        for n in (2, 10):
            tx.managed_policies.add_version(PolicyVersionRecord("ANPA1", f"v{n}", f"d{n}", NOW))


def test_inline_policies_are_grouped_by_owner_and_ordered_by_name(store: SqlStore) -> None:
    _seed(store)
    with store.read() as tx:
        got = tx.account_views.inline_policies("Role", ["AROA1", "AROA2", "AROA3"])
        assert got == {"AROA1": [("a", "doc-a"), ("b", "doc-b")], "AROA2": [("c", "doc-c")]}
        assert tx.account_views.inline_policies("Role", ["AROA2"]) == {"AROA2": [("c", "doc-c")]}
        assert tx.account_views.inline_policies("User", []) == {}


def test_attached_policies_are_grouped_by_entity(store: SqlStore) -> None:
    _seed(store)
    with store.read() as tx:
        assert tx.account_views.attached_policies("Role", ["AROA1", "AROA2", "AROA3"]) == {
            "AROA1": [P1, P2], "AROA3": [P1]}


def test_group_names_are_per_user_ordered_ignoring_case(store: SqlStore) -> None:
    _seed(store)
    with store.read() as tx:
        assert tx.account_views.group_names(["AIDA1", "AIDA2"]) == {"AIDA1": ["alpha", "Zeta"]}


def test_instance_profiles_holding_the_roles_come_with_role_name_and_tags(store: SqlStore) -> None:
    _seed(store)
    with store.read() as tx:
        got = tx.account_views.instance_profiles_holding(["AROA1", "AROA2"])
    assert [(p.name, p.role_name, p.tags) for p in got] == [
        ("ip-a", "r1", (("k", "ip-a"),)), ("ip-b", "r1", (("k", "ip-b"),))]


def test_policy_versions_are_newest_first_by_number(store: SqlStore) -> None:
    _seed(store)
    with store.read() as tx:
        got = tx.account_views.policy_versions(["ANPA1", "ANPA-none"])
    assert [v.version_id for v in got["ANPA1"]] == ["v10", "v2", "v1"] and "ANPA-none" not in got
