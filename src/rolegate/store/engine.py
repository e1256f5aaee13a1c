"""Creating the SQLAlchemy engine for a database URL, and bringing its schema to the newest migration.

SQLite is tuned for a durable single-node store: WAL journal, ``synchronous=FULL`` (an acknowledged
commit survives a crash of the process and of the machine), foreign keys on, a busy timeout, and
``BEGIN IMMEDIATE`` for writes so that concurrent writers queue instead of failing mid-transaction.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url

WRITE = "rolegate_write"
_MIGRATIONS = Path(__file__).with_name("migrations")


def create_store_engine(url: str, *, busy_timeout_ms: int = 10_000) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms)
    # hide_parameters: an exception's text (which reaches logs) must not carry the values of a statement.
    return create_engine(url, pool_pre_ping=True, future=True, hide_parameters=True)


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        _private_files(Path(database))
    engine = create_engine(url, future=True, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:  # a DB-API connection: untyped
        # Let SQLAlchemy's "begin" event decide how a transaction starts (see below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")

    return engine


def _private_files(database: Path) -> None:
    """The database file and its WAL and shared-memory files, readable by their owner only (0600).

    The store holds sealed secrets and every policy; SQLite creates ``-wal`` and ``-shm`` with the main file's
    permissions, so creating the main file 0600 before SQLite opens it covers all three. Files an older
    release left group- or world-readable are tightened.
    """
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))  # an empty file is an empty database
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


# Why a store could not do its work when the cause is the machine, not the request: the operator's words.
DISK_FULL = "the disk holding the database is full"
STORE_BUSY = "the database is locked by another writer"
# SQLite result codes (https://www.sqlite.org/rescode.html): SQLITE_FULL, and SQLITE_IOERR's extended codes
# that a write hitting ENOSPC reports; SQLITE_BUSY and SQLITE_LOCKED.
_SQLITE_FULL = {"SQLITE_FULL"}
_SQLITE_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_TIMEOUT"}
_PG_DISK_FULL = "53100"  # PostgreSQL's SQLSTATE disk_full


def resource_failure(exc: BaseException) -> str | None:
    """``DISK_FULL`` or ``STORE_BUSY`` when ``exc`` (or what caused it) says so; None for any other failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return DISK_FULL
        if isinstance(current, sqlite3.Error):
            name = getattr(current, "sqlite_errorname", "") or ""
            text = str(current).lower()
            if name in _SQLITE_FULL or "database or disk is full" in text:
                return DISK_FULL
            if name in _SQLITE_BUSY or "database is locked" in text:
                return STORE_BUSY
        if getattr(current, "sqlstate", None) == _PG_DISK_FULL or getattr(current, "pgcode", None) == _PG_DISK_FULL:
            return DISK_FULL
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on the file system holding ``path``."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def migrate(engine: Engine) -> None:
    """Apply every pending Alembic migration (called on start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.connect().execution_options(**{WRITE: True}) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
