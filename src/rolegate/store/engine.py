"""Creating the SQLAlchemy engine for a database URL, and bringing its schema to the newest migration.

SQLite is tuned for a durable single-node store: WAL journal, ``synchronous=FULL`` (an acknowledged
commit survives a crash of the process and of the machine), foreign keys on, a busy timeout, and
``BEGIN IMMEDIATE`` for writes so that concurrent writers queue instead of failing mid-transaction.

PostgreSQL (``postgresql+psycopg://``, the ``rolegate[postgresql]`` extra) is the shared store of many nodes
(docs/adr/0035-postgresql-isolation-and-retries.md): a pool sized by setting, every statement bounded by
``statement_timeout``, reads in one REPEATABLE READ snapshot, and writes one at a time across all nodes — each
write transaction first takes one transaction-scoped advisory lock, then runs at READ COMMITTED, so that every
statement after the lock sees every write committed before it: SQLite's single-writer semantics, under which
every check-then-act of a write (a name's uniqueness, a quota, a replayed assertion) holds. A serialization
failure or deadlock (only a writer outside rolegate can cause one) surfaces as ``STORE_CONFLICT`` for the
request to be run again. Migrations run under an advisory lock, so nodes starting together apply each once.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout

WRITE = "rolegate_write"
# A SQLite engine's busy timeout, for the writers' own queue beside the database (``store.sql.write_lock``).
BUSY_TIMEOUT_MS = "rolegate_busy_timeout_ms"
_MIGRATIONS = Path(__file__).with_name("migrations")


# What a connection of each kind runs at on PostgreSQL (docs/adr/0035-postgresql-isolation-and-retries.md).
READ_ISOLATION = "REPEATABLE READ"
WRITE_ISOLATION = "READ COMMITTED"
# The advisory lock every write transaction takes first ("rolegatw" in ASCII): one writer at a time.
WRITE_LOCK = 0x726F6C6567617477


def create_store_engine(url: str, *, busy_timeout_ms: int = 10_000, pool_size: int = 10,
                        statement_timeout_ms: int = 5_000, connect_timeout_seconds: int = 5) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms)
    if make_url(url).get_backend_name() == "postgresql":
        return _postgresql_engine(url, pool_size, statement_timeout_ms, connect_timeout_seconds)
    # hide_parameters: an exception's text (which reaches logs) must not carry the values of a statement.
    return create_engine(url, pool_pre_ping=True, future=True, hide_parameters=True)


def _postgresql_engine(url: str, pool_size: int, statement_timeout_ms: int, connect_timeout_seconds: int) -> Engine:
    # pool_pre_ping: a connection the database dropped (a restart) is replaced, not handed to a request.
    # max_overflow=0: the pool is the bound the operator set; a burst waits pool_timeout, then is a 503, so
    # N nodes never open more than N x pool_size connections (PostgreSQL's max_connections is the budget).
    # statement_timeout: a slow database answers a clean 503 instead of piling requests up behind it.
    engine = create_engine(
        url, future=True, hide_parameters=True, pool_pre_ping=True, pool_size=pool_size, max_overflow=0,
        pool_timeout=max(1.0, statement_timeout_ms / 1000), isolation_level=READ_ISOLATION,
        connect_args={"connect_timeout": connect_timeout_seconds,
                      "options": f"-c statement_timeout={int(statement_timeout_ms)}",
                      "application_name": "rolegate"})

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE):
            # Before any read of the write: waiting here is bounded by statement_timeout (then a 503).
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    return engine


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        _private_files(Path(database))
    engine = create_engine(url, future=True, hide_parameters=True,
                           execution_options={BUSY_TIMEOUT_MS: int(busy_timeout_ms)})

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
STORE_CONFLICT = "a concurrent write conflicted with this one"
STORE_UNREACHABLE = "the database cannot be reached"
STORE_TIMEOUT = "a statement ran past statement_timeout"
# SQLite result codes (https://www.sqlite.org/rescode.html): SQLITE_FULL, and SQLITE_IOERR's extended codes
# that a write hitting ENOSPC reports; SQLITE_BUSY and SQLITE_LOCKED.
_SQLITE_FULL = {"SQLITE_FULL"}
_SQLITE_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY_RECOVERY", "SQLITE_BUSY_TIMEOUT"}
_PG_DISK_FULL = "53100"  # PostgreSQL's SQLSTATE disk_full
# PostgreSQL's SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html): serialization_failure
# and deadlock_detected are retried; connection_exception (08), operator_intervention's admin/crash shutdown
# and cannot_connect_now (57P01-57P03), too_many_connections (53300) are the database being away; query_canceled
# (57014) is statement_timeout.
_PG_CONFLICT = {"40001", "40P01"}
_PG_UNREACHABLE = {"57P01", "57P02", "57P03", "53300"}
_PG_TIMEOUT = {"57014"}


def resource_failure(exc: BaseException) -> str | None:
    """``DISK_FULL`` or ``STORE_BUSY`` when ``exc`` (or what caused it) says so; None for any other failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return DISK_FULL
        if isinstance(current, PoolTimeout):  # every pooled connection busy for pool_timeout
            return STORE_BUSY
        if isinstance(current, sqlite3.Error):
            name = getattr(current, "sqlite_errorname", "") or ""
            text = str(current).lower()
            if name in _SQLITE_FULL or "database or disk is full" in text:
                return DISK_FULL
            if name in _SQLITE_BUSY or "database is locked" in text:
                return STORE_BUSY
        sqlstate = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if sqlstate == _PG_DISK_FULL:
            return DISK_FULL
        if sqlstate in _PG_CONFLICT:
            return STORE_CONFLICT
        if sqlstate in _PG_TIMEOUT:
            return STORE_TIMEOUT
        if sqlstate in _PG_UNREACHABLE or (isinstance(sqlstate, str) and sqlstate.startswith("08")):
            return STORE_UNREACHABLE
        if _is_psycopg_operational(current, sqlstate):
            return STORE_UNREACHABLE
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def _is_psycopg_operational(exc: BaseException, sqlstate: object) -> bool:
    """A psycopg OperationalError without a SQLSTATE: the server never answered (refused, reset, closed)."""
    if sqlstate is not None:
        return False
    return any(cls.__name__ == "OperationalError" and cls.__module__.startswith("psycopg")
               for cls in type(exc).__mro__)


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on the file system holding ``path``."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


# The keys of the advisory locks nodes take around migrations and the bootstrap (any constants: "rolegate"
# and "rolegatf" in ASCII).
MIGRATION_LOCK = 0x726F6C6567617465
STARTUP_LOCK = 0x726F6C6567617466


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, one node at a time inside (a session advisory lock, released when the block ends or the
    connection dies); elsewhere nothing: SQLite's processes start from one ``serve``."""
    with _advisory_lock(engine, STARTUP_LOCK):
        yield


@contextmanager
def _advisory_lock(engine: Engine, key: int) -> Iterator[None]:
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:  # not a write connection: it takes no write lock
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({key})")
        conn.commit()
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")
            conn.commit()


def migrate(engine: Engine) -> None:
    """Apply every pending Alembic migration (called on start).

    On PostgreSQL under a session advisory lock: nodes starting together queue here, and each one after the
    first finds the schema at head and does nothing (SQLite's ``BEGIN IMMEDIATE`` does the same for processes
    sharing a file)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    # The lock is held on a connection of its own, which takes no write lock: holding the migration lock inside
    # a write transaction would deadlock with a node that holds the write lock and waits for the migration lock.
    with _advisory_lock(engine, MIGRATION_LOCK), engine.connect().execution_options(**{WRITE: True}) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


# The advisory lock the one audit drainer of all nodes holds ("rolegatd" in ASCII).
DRAIN_LOCK = 0x726F6C6567617464


class ConsumerLock:
    """A lock one process of all those sharing a store holds for as long as it lives (the audit drain's,
    docs/adr/0041-audit-record-commits-with-its-change.md): on PostgreSQL a session advisory lock on a connection
    kept open (the server releases it if the process dies); beside a SQLite database an ``flock`` on a file next
    to it (the kernel releases it if the process dies)."""

    def __init__(self, engine: Engine, lock_file: Path, key: int = DRAIN_LOCK) -> None:
        self._engine = engine
        self._path = lock_file
        self._key = key
        self._conn: Connection | None = None
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._engine.dialect.name == "postgresql":
            if self._conn is not None:
                try:
                    self._conn.exec_driver_sql("SELECT 1")  # the session (and its lock) still alive
                    self._conn.commit()
                    return True
                except Exception:
                    self.release()
            conn = self._engine.connect()
            try:
                held = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({self._key})").scalar())
                conn.commit()
            except BaseException:
                conn.close()
                raise
            if held:
                self._conn = conn
            else:
                conn.close()
            return held
        if self._fd is not None:
            return True
        import fcntl

        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({self._key})")
                conn.commit()
            except Exception:
                pass  # a dead session holds no lock
            finally:
                conn.close()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock
