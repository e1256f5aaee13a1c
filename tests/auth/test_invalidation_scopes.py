"""Scoped invalidation: a write moves the generation of the accounts it touched (the global one when it names
none), so a write in account A leaves account B's cache entries valid, and the next request in A — in any
process — sees it (``store.invalidation``, ``store.sql_generation``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import insert

from rolegate.authz import Authorizer
from rolegate.core.clock import FixedClock
from rolegate.iam.accounts import AccountService
from rolegate.iam.effective_policies import EffectivePolicies
from rolegate.iam.groups import GroupService
from rolegate.iam.policies import ManagedPolicyService
from rolegate.iam.roles import RoleService
from rolegate.iam.users import UserService
from rolegate.store import schema as t
from rolegate.store import sql_generation
from rolegate.store.engine import create_store_engine, migrate
from rolegate.store.invalidation import Snapshot
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore
from rolegate.store.sql import roles as sql_roles
from tests.iam.conftest import Requests, internal, request_of

A, B = "111122223333", "444455556666"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ALLOW = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def _open(db: Path) -> SqlStore:
    engine = create_store_engine(f"sqlite:///{db}")
    migrate(engine)
    return SqlStore(engine, Sealer(b"m" * 32))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = _open(tmp_path / "scopes.db")
    clock = FixedClock()
    AccountService(s).create_account(internal(s, clock), "a", A)
    AccountService(s).create_account(internal(s, clock), "b", B)
    authz = Authorizer(EffectivePolicies(s), clock, s.invalidation)
    for account in (A, B):
        RoleService(s).create_role(request_of(authz, account), "app", TRUST)
        UserService(s).create_user(request_of(authz, account), "alice")
    yield s
    s.close()


@pytest.fixture
def req(store: SqlStore) -> Requests:
    authz = Authorizer(EffectivePolicies(store), FixedClock(), store.invalidation)
    return lambda who, region=None: request_of(authz, who, region)


def _moved(store: SqlStore, write: object) -> set[str]:
    """Which scopes a write moved: "A", "B", "global"."""
    before = {a: store.invalidation.stamp(a) for a in (A, B)}
    write()  # type: ignore[operator]
    after = {a: store.invalidation.stamp(a) for a in (A, B)}
    moved = {name for name, a in (("A", A), ("B", B)) if after[a][1] != before[a][1]}
    if after[A][0] != before[A][0]:
        moved.add("global")
    return moved


def test_a_write_to_a_row_keyed_by_account_moves_only_that_account(store: SqlStore, req: Requests) -> None:
    assert _moved(store, lambda: RoleService(store).create_role(req(A), "new", TRUST)) == {"A"}


def test_a_write_to_a_child_row_moves_the_account_of_its_parent(store: SqlStore, req: Requests) -> None:
    roles, users = RoleService(store), UserService(store)
    assert _moved(store, lambda: roles.put_role_policy(req(B), "app", "p", ALLOW)) == {"B"}
    assert _moved(store, lambda: roles.tag_role(req(A), "app", [("k", "v")])) == {"A"}
    assert _moved(store, lambda: users.put_user_policy(req(A), "alice", "p", ALLOW)) == {"A"}


def test_an_update_built_once_and_given_its_values_at_execution_is_a_change_not_bookkeeping(
        store: SqlStore, req: Requests) -> None:
    role_id = RoleService(store).get_role(req(B), "app").role_id

    def set_trust_policy_only() -> None:
        with store.write() as tx:
            tx.roles._c.execute(sql_roles._UPDATE, {  # type: ignore[attr-defined]
                "match_role_id": role_id, "trust_policy": TRUST.replace("ec2", "lambda")})

    def set_last_use_only() -> None:
        with store.write() as tx:
            tx.roles._c.execute(sql_roles._UPDATE, {  # type: ignore[attr-defined]
                "match_role_id": role_id, "last_used_region": "eu-west-1"})

    assert _moved(store, set_trust_policy_only) == {"B"}
    assert _moved(store, set_last_use_only) == set()


def test_memberships_attachments_and_deletions_move_their_account(store: SqlStore, req: Requests) -> None:
    clock = FixedClock()
    groups, policies, roles = GroupService(store), ManagedPolicyService(store), RoleService(store)
    assert _moved(store, lambda: groups.create_group(req(B), "g")) == {"B"}
    assert _moved(store, lambda: groups.add_user_to_group(req(B), "g", "alice")) == {"B"}
    arn = policies.create_policy(req(A), "p", ALLOW).policy.arn
    assert _moved(store, lambda: policies.attach(req(A), "Role", "app", arn)) == {"A"}
    assert _moved(store, lambda: policies.attach(req(A), "Role", "app",
                                                 "arn:aws:iam::aws:policy/ReadOnlyAccess")) == {"A"}
    assert _moved(store, lambda: policies.detach(req(A), "Role", "app", arn)) == {"A"}
    policies.detach(req(A), "Role", "app", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    sql_generation._ACCOUNT_OF_ID.clear()  # as in a process that never wrote this role before
    assert _moved(store, lambda: roles.delete_role(req(A), "app")) == {"A"}  # the role's row was read before it went


def test_a_write_that_names_no_account_moves_the_global_generation(store: SqlStore) -> None:
    def raw() -> None:
        with store.write() as tx:
            tx.roles._c.execute(insert(t.resource_tags).values(  # type: ignore[attr-defined]
                resource_id="not-an-entity", key="k", key_lower="k", value="v", position=0))

    assert _moved(store, raw) == {"global"}


def test_dev_reset_moves_the_global_generation(store: SqlStore) -> None:
    assert "global" in _moved(store, store.reset)


class _Counting:
    def __init__(self, store: SqlStore) -> None:
        self.reads = 0
        real = store.read

        @contextmanager
        def read() -> Iterator[object]:
            self.reads += 1
            with real() as tx:
                yield tx

        store.read = read  # type: ignore[method-assign]


def test_a_write_in_one_account_leaves_the_other_accounts_entries_valid(store: SqlStore, req: Requests) -> None:
    cache = EffectivePolicies(store)
    b_role = cache.role(Snapshot(store.invalidation), B, "app")
    a_role = cache.role(Snapshot(store.invalidation), A, "app")
    assert b_role is not None and a_role is not None and a_role.identity == ()
    counting = _Counting(store)
    RoleService(store).put_role_policy(req(A), "app", "p", ALLOW)
    assert cache.role(Snapshot(store.invalidation), B, "app") is b_role and counting.reads == 0
    rebuilt = cache.role(Snapshot(store.invalidation), A, "app")
    assert rebuilt is not None and len(rebuilt.identity) == 1 and counting.reads == 1


def test_a_write_in_an_account_is_seen_by_the_next_request_of_another_process(store: SqlStore,
                                                                              tmp_path: Path, req: Requests) -> None:
    other = _open(tmp_path / "scopes.db")  # another worker: its own engine and caches on the same file
    try:
        cache = EffectivePolicies(store)
        assert cache.role(Snapshot(store.invalidation), A, "app").identity == ()  # type: ignore[union-attr]
        RoleService(other).put_role_policy(req(A), "app", "p", ALLOW)
        assert len(cache.role(Snapshot(store.invalidation), A, "app").identity) == 1  # type: ignore[union-attr]
    finally:
        other.close()


def test_a_request_reads_each_scope_once() -> None:
    asked: list[str] = []

    class Port:
        def stamp(self, account_id: str) -> tuple[int, int]:
            asked.append(account_id)
            return (1, 1)

    snapshot = Snapshot(Port())
    for _ in range(3):
        snapshot.stamp(A)
    snapshot.stamp(B)
    assert asked == [A, B] and snapshot.reads == 2
