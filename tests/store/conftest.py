"""The storage suite runs against every configured backend: SQLite always, PostgreSQL when
``ROLEGATE_TEST_POSTGRES_URL`` names one. Every backend must pass the same tests (Vault's habit)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rolegate.store.engine import create_store_engine, migrate
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore
from tests.migrated import copy_database

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("ROLEGATE_TEST_POSTGRES_URL") else [])


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database: for SQLite a copy of the session's template, for PostgreSQL the named one."""
    if request.param == "sqlite":
        return copy_database(request.getfixturevalue("migrated_database"), tmp_path / "store.db")
    return os.environ["ROLEGATE_TEST_POSTGRES_URL"]


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    engine = create_store_engine(store_url)
    if not store_url.startswith("sqlite"):
        migrate(engine)  # a shared PostgreSQL database: brought to the newest migration (a no-op when it is)
    s = SqlStore(engine, Sealer(b"k" * 32))
    s.reset()
    yield s
    s.close()
