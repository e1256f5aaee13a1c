"""Domain-service fixtures: a real, migrated SQLite store of the test's own, and a clock the test controls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rolegate.core.clock import FixedClock
from rolegate.iam.accounts import AccountService
from rolegate.iam.roles import RoleService
from rolegate.store.engine import create_store_engine
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
def accounts(store: SqlStore, clock: FixedClock) -> AccountService:
    svc = AccountService(store, clock)
    svc.create_account("test", ACCOUNT)
    return svc


@pytest.fixture
def roles(store: SqlStore, clock: FixedClock, accounts: AccountService) -> RoleService:
    return RoleService(store, clock)
