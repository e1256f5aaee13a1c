"""Creating the SQLAlchemy engine for a database URL, and bringing its schema to the newest migration.

SQLite is tuned for a durable single-node store: WAL journal, ``synchronous=FULL`` (an acknowledged
commit survives a crash of the process and of the machine), foreign keys on, a busy timeout, and
``BEGIN IMMEDIATE`` for writes so that concurrent writers queue instead of failing mid-transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event

WRITE = "rolegate_write"
_MIGRATIONS = Path(__file__).with_name("migrations")


def create_store_engine(url: str, *, busy_timeout_ms: int = 10_000) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms)
    return create_engine(url, pool_pre_ping=True, future=True)


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
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


def migrate(engine: Engine) -> None:
    """Apply every pending Alembic migration (called on start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with engine.connect().execution_options(**{WRITE: True}) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
