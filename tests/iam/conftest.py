"""Domain-service fixtures: a real, migrated SQLite store of the test's own, a clock the test controls, and
the requests domain methods are called with."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rolegate.authz import Authorizer, Caller, RequestContext
from rolegate.authz.caller import root_caller
from rolegate.core.clock import FixedClock
from rolegate.iam.effective_policies import EffectivePolicies
from rolegate.iam.accounts import AccountService
from rolegate.iam.roles import RoleService
from rolegate.store.engine import create_store_engine
from rolegate.store.invalidation import Snapshot
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore
from tests.migrated import copy_database

ACCOUNT = "111122223333"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store(tmp_path: Path, migrated_database: Path) -> Iterator[SqlStore]:
    engine = create_store_engine(copy_database(migrated_database, tmp_path / "iam.db"))
    s = SqlStore(engine, Sealer(b"m" * 32))
    yield s
    s.close()


@pytest.fixture
def authz(store: SqlStore, clock: FixedClock) -> Authorizer:
    """The decision service the server wires in (it builds each request's context)."""
    return Authorizer(EffectivePolicies(store), clock, store.invalidation)


Requests = Callable[..., RequestContext]


def request_of(authz: Authorizer, who: Caller | str, region: str | None = None) -> RequestContext:
    """A new request at the clock's time, as the endpoint builds it, of ``who``: a ``Caller``, or an account
    id for that account's root user."""
    caller = root_caller(who, None, "us-east-1") if isinstance(who, str) else who
    request = authz.request(caller, "test-request")
    return dataclasses.replace(request, region=region) if region is not None else request


@pytest.fixture
def req(authz: Authorizer) -> Requests:
    """``req(who, region=None)``: ``request_of`` with the test's decision service."""
    return lambda who, region=None: request_of(authz, who, region)


def internal(store: SqlStore, clock: FixedClock) -> RequestContext:
    """The context rolegate's own work runs in (bootstrap, CLI), here a test's set-up creating accounts."""
    return RequestContext.internal("rolegate-test-setup", None, clock.now(), Snapshot(store.invalidation))


@pytest.fixture
def internal_request(store: SqlStore, clock: FixedClock) -> RequestContext:
    """``internal`` for a test that creates accounts itself."""
    return internal(store, clock)


@pytest.fixture
def accounts(store: SqlStore, clock: FixedClock) -> AccountService:
    svc = AccountService(store)
    svc.create_account(internal(store, clock), "test", ACCOUNT)
    return svc


@pytest.fixture
def roles(store: SqlStore, accounts: AccountService) -> RoleService:
    return RoleService(store)
