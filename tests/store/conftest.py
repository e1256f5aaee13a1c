"""The storage suite runs against every backend: SQLite, and PostgreSQL (``tests.postgres``: required in CI,
skipped with its reason elsewhere when no cluster is configured). Every backend must pass the same tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rolegate.store.engine import create_store_engine
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore
from tests.migrated import copy_database
from tests.postgres import database_from

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own: a copy of the session's template (a SQLite file, a PostgreSQL template)."""
    if request.param == "sqlite":
        yield copy_database(request.getfixturevalue("migrated_database"), tmp_path / "store.db")
        return
    base, template = request.getfixturevalue("postgres_template")
    with database_from(base, template) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    engine = create_store_engine(store_url)
    s = SqlStore(engine, Sealer(b"k" * 32))
    s.reset()
    yield s
    s.close()
