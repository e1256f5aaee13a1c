"""Domain-service fixtures: real SQLite store in a temporary directory, and a clock the test controls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rolegate.core.clock import FixedClock
from rolegate.iam.accounts import AccountService
from rolegate.iam.roles import RoleService
from rolegate.store.engine import create_store_engine, migrate
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore

ACCOUNT = "111122223333"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'iam.db'}")
    migrate(engine)
    s = SqlStore(engine, Sealer(b"m" * 32))
    yield s
    s.close()


@pytest.fixture
def accounts(store: SqlStore, clock: FixedClock) -> AccountService:
    svc = AccountService(store, clock)
    svc.create_account("test", ACCOUNT)
    return svc


@pytest.fixture
def roles(store: SqlStore, clock: FixedClock, accounts: AccountService) -> RoleService:
    return RoleService(store, clock)
