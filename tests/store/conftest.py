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

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("ROLEGATE_TEST_POSTGRES_URL") else [])


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = os.environ["ROLEGATE_TEST_POSTGRES_URL"]
    engine = create_store_engine(url)
    migrate(engine)
    s = SqlStore(engine, Sealer(b"k" * 32))
    s.reset()
    yield s
    s.close()
