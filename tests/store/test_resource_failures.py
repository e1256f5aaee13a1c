"""The store's answer to a failure of the machine rather than of the request (issue 10, item 6): a full disk
or a write lock held past the busy timeout is ``StoreUnavailable`` (AWS's retryable 503) with the reason
for the log, and changes nothing; any other failure stays what it is."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy.exc

from rolegate.core.errors import StoreUnavailable
from rolegate.store.engine import DISK_FULL, STORE_BUSY, create_store_engine, resource_failure
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore
from rolegate.store.sql import unit_of_work
from tests.migrated import copy_database
from tests.postgres import database_from

from .test_sql_store import _account


def _wrapped(orig: Exception) -> sqlalchemy.exc.OperationalError:
    return sqlalchemy.exc.OperationalError("INSERT INTO roles ...", {}, orig)


@pytest.mark.parametrize(("exc", "reason"), [
    (sqlite3.OperationalError("database or disk is full"), DISK_FULL),
    (_wrapped(sqlite3.OperationalError("database or disk is full")), DISK_FULL),
    (OSError(errno.ENOSPC, "No space left on device"), DISK_FULL),
    (_wrapped(sqlite3.OperationalError("database is locked")), STORE_BUSY),
    (_wrapped(sqlite3.OperationalError("no such table: roles")), None),
    (RuntimeError("database or disk is full"), None),  # words alone, from no database, mean nothing
    (OSError(errno.EACCES, "Permission denied"), None),
])
def test_what_counts_as_a_resource_failure(exc: Exception, reason: str | None) -> None:
    assert resource_failure(exc) == reason


def test_a_cause_further_down_the_chain_is_found() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("alembic could not write") from inner
    except RuntimeError as outer:
        assert resource_failure(outer) == DISK_FULL


def test_a_write_lock_held_past_the_busy_timeout_is_store_unavailable_and_changes_nothing(
        migrated_database: Path, tmp_path: Path) -> None:
    url = copy_database(migrated_database, tmp_path / "store.db")
    store = SqlStore(create_store_engine(url, busy_timeout_ms=50), Sealer(b"k" * 32))
    holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable) as info, store.write() as tx:
            _account(tx)
        assert (info.value.code, info.value.status, info.value.reason) == ("ServiceUnavailable", 503, STORE_BUSY)
        assert store.write_blocked() is None  # a held lock is not a full disk: readiness stays
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with store.read() as tx:
        assert tx.accounts.get("111122223333") is None
    store.close()


def test_sql_parameters_are_not_part_of_an_error_s_text(migrated_database: Path, tmp_path: Path) -> None:
    url = copy_database(migrated_database, tmp_path / "store.db")
    engine = create_store_engine(url)
    with pytest.raises(sqlalchemy.exc.DBAPIError) as info, engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO no_such_table VALUES (?)", ("a-secret-value",))
    assert "a-secret-value" not in str(info.value)
    engine.dispose()


@pytest.fixture
def postgres_store(postgres_template: tuple[str, str]) -> Iterator[tuple[SqlStore, sqlalchemy.Engine]]:
    base, template = postgres_template
    with database_from(base, template) as url:
        engine = create_store_engine(url)
        store = SqlStore(engine, Sealer(b"k" * 32))
        yield store, engine
        store.close()


def test_a_full_postgresql_disk_drains_the_node_for_a_while_then_offers_it_again(
        postgres_store: tuple[SqlStore, sqlalchemy.Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    # The database server's disk is not ours to look at: PostgreSQL's own disk_full (SQLSTATE 53100), raised here
    # by a trigger as the server raises it when a write finds no space, is what the node goes by.
    store, engine = postgres_store
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(
            "CREATE FUNCTION no_space() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$"))
        conn.execute(sqlalchemy.text(
            "CREATE TRIGGER no_space BEFORE INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION no_space()"))
    assert store.write_blocked() is None
    with pytest.raises(StoreUnavailable) as info, store.write() as tx:
        _account(tx)
    assert (info.value.status, info.value.reason) == (503, DISK_FULL)
    assert store.write_blocked() == DISK_FULL  # /readyz: the balancer stops sending this node writes that would fail
    monkeypatch.setattr(unit_of_work, "SERVER_DISK_FULL_HOLD_SECONDS", 0.0)
    assert store.write_blocked() is None  # after the hold it is offered traffic again, to find out
    monkeypatch.undo()
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("DROP TRIGGER no_space ON accounts"))
    with store.write() as tx:
        _account(tx)  # space is back: the write goes through ...
    assert store.write_blocked() is None  # ... and readiness is back at once
