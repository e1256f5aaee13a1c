"""Fixtures shared by the whole suite: a live rolegate server on a random port, AWS clients for it, and the
migrated template database the domain tests copy their stores from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import LiveServer
from tests.migrated import migrated_template
from tests.postgres import create_template, drop_database, postgres_url


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One strict-mode server for the whole run; tests use distinct names so they don't collide."""
    srv = LiveServer(tmp_path_factory.mktemp("rolegate"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def iam(server: LiveServer):  # type: ignore[no-untyped-def]
    return server.client("iam")


@pytest.fixture
def sts(server: LiveServer):  # type: ignore[no-untyped-def]
    return server.client("sts")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once per run; a test takes its own copy with ``tests.migrated.copy_database``."""
    return migrated_template(tmp_path_factory.mktemp("migrated"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[str, str]]:
    """(cluster URL, name of a database migrated once per run): ``tests.postgres.database_from`` copies it."""
    base = postgres_url()
    name = create_template(base)
    yield base, name
    drop_database(base, name)
