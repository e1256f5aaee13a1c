"""PostgreSQL for the tests: a migrated template database per session, and a fresh copy of it per test.

The cluster is named by ``ROLEGATE_TEST_POSTGRES_URL`` (a SQLAlchemy URL of any database on it, with a role that
may create databases): ``.ci/run`` starts one with ``scripts/postgres_cluster.sh`` and sets it. Without it, a
PostgreSQL test **fails** in CI-mode (``CI`` set in the environment, as ``.ci/run`` and every CI service do) and is
skipped with that reason elsewhere, so a laptop without PostgreSQL still runs the rest while CI can never pass by
silently not running the PostgreSQL half (docs/operations.md, "Testing against PostgreSQL").

Each test's database is ``CREATE DATABASE … TEMPLATE`` the session's migrated one: a real, migrated database made
by a file copy instead of a migration run, dropped again after the test.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url, text

from rolegate.store.engine import create_store_engine, migrate

URL_VARIABLE = "ROLEGATE_TEST_POSTGRES_URL"
_counter = itertools.count()


def postgres_url() -> str:
    """The configured cluster's URL; fails (CI) or skips (elsewhere) the calling test when there is none."""
    url = os.environ.get(URL_VARIABLE)
    if url:
        return url
    message = (f"{URL_VARIABLE} is not set: start a cluster with scripts/postgres_cluster.sh and export its URL "
               "(.ci/run does both)")
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {message}", pytrace=False)
    pytest.skip(message)


def _database_url(base: str, name: str) -> str:
    return make_url(base).set(database=name).render_as_string(hide_password=False)


@contextmanager
def _admin(base: str) -> Iterator[object]:
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def create_template(base: str) -> str:
    """A new database on the cluster, migrated to head; its name. No connection to it stays open."""
    name = f"rolegate_template_{os.getpid()}"
    with _admin(base) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))  # type: ignore[attr-defined]
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # type: ignore[attr-defined]
    engine = create_store_engine(_database_url(base, name))
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return name


def drop_database(base: str, name: str) -> None:
    with _admin(base) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))  # type: ignore[attr-defined]


@contextmanager
def database_from(base: str, template: str) -> Iterator[str]:
    """A fresh copy of ``template``; yields its URL and drops it afterwards."""
    name = f"rolegate_t_{os.getpid()}_{next(_counter)}"
    with _admin(base) as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))  # type: ignore[attr-defined]
    try:
        yield _database_url(base, name)
    finally:
        drop_database(base, name)


# The one master key every node of a test's cluster shares (base64 of 32 bytes; a test value, never a real one).
TEST_MASTER_KEY = "cm9sZWdhdGUtdGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGU="


def server_env(database_url: str) -> dict[str, str]:
    """The environment that points a ``LiveServer`` at ``database_url`` as one node of many."""
    return {"ROLEGATE_DATABASE_URL": database_url, "ROLEGATE_MASTER_KEY": TEST_MASTER_KEY}


@contextmanager
def empty_database(base: str) -> Iterator[str]:
    """A new database with no tables (what a first deployment starts from); yields its URL, drops it after."""
    name = f"rolegate_empty_{os.getpid()}_{next(_counter)}"
    with _admin(base) as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # type: ignore[attr-defined]
    try:
        yield _database_url(base, name)
    finally:
        drop_database(base, name)
