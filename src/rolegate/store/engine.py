"""Creating the SQLAlchemy engine for a database URL, and bringing its schema to the newest migration.

SQLite is tuned for a durable single-node store: WAL journal, ``synchronous=FULL`` (an acknowledged
commit survives a crash of the process and of the machine), foreign keys on, a busy timeout, and
``BEGIN IMMEDIATE`` for writes so that concurrent writers queue instead of failing mid-transaction.
"""

from __future__ import annotations

import os
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
    return create_engine(url, pool_pre_ping=True, future=True)


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        _private_files(Path(database))
    engine = create_engine(url, future=True)

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


def migrate(engine: Engine) -> None:
    """Apply every pending Alembic migration (called on start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.connect().execution_options(**{WRITE: True}) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
