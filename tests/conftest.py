"""Fixtures shared by the whole suite: a live rolegate server on a random port, AWS clients for it, and the
migrated template database the domain tests copy their stores from.

With ``ROLEGATE_TEST_SERVER_STORE=postgresql`` the shared servers (``server`` here, ``two_workers`` in
``tests/e2e``) run on a PostgreSQL database of their own instead of SQLite: ``.ci/run`` runs a representative
subset of the end-to-end suite that way (the PostgreSQL smoke)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests import secrets_seen
from tests.live import LiveServer, tls_server
from tests.migrated import migrated_template
from tests.postgres import create_template, database_from, drop_database, postgres_url, server_env

SERVER_STORE_VARIABLE = "ROLEGATE_TEST_SERVER_STORE"
_LEAK_SCAN = "tests/test_no_secret_leaks.py"


def pytest_configure(config: pytest.Config) -> None:
    secrets_seen.install()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """The leak scan checks what every other test wrote, so it runs last."""
    items.sort(key=lambda item: item.nodeid.startswith(_LEAK_SCAN))


@pytest.fixture(scope="session")
def server_store(request: pytest.FixtureRequest) -> Iterator[Callable[[], dict[str, str]]]:
    """Makes the environment of one more shared server's store: {} (SQLite in its data directory) or, with
    ``ROLEGATE_TEST_SERVER_STORE=postgresql``, a fresh PostgreSQL database for it, dropped at the end."""
    if os.environ.get(SERVER_STORE_VARIABLE, "sqlite") != "postgresql":
        yield dict
        return
    base, template = request.getfixturevalue("postgres_template")
    with ExitStack() as stack:
        yield lambda: server_env(stack.enter_context(database_from(base, template)))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory,
           server_store: Callable[[], dict[str, str]]) -> Iterator[LiveServer]:
    """One strict-mode server for the whole run; tests use distinct names so they don't collide."""
    srv = LiveServer(tmp_path_factory.mktemp("rolegate"), env=server_store())
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


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server speaking HTTPS (``tls_server``), shared by the session."""
    srv = tls_server(tmp_path_factory.mktemp("rolegate-tls"))
    yield srv
    srv.stop()
