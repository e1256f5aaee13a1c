"""The policy generation counter: bumped by every write transaction that changes what authorization reads.

Authorization caches each principal's effective policies and each resource's facts (ARN with path, tags,
boundary) per worker; a cache entry is valid while the one-row counter still reads as it did when the entry
was built. Rather than trusting every domain service to remember a call, the store notices it: a
``before_execute`` hook flags a write connection when an INSERT, UPDATE or DELETE touches any table not in
``_UNTRACKED``, and ``SqlStore.write()`` bumps the counter in that same transaction before it commits, so the
change and the new generation become visible together, to every process.

Untracked (they never change a decision, and some are written on hot paths): the counter itself, and
last-use bookkeeping — an UPDATE of ``roles`` or ``access_keys`` that sets only ``last_used_*`` columns
(RoleLastUsed, GetAccessKeyLastUsed). Access keys are otherwise tracked: authentication caches each key and
its owner by generation too, so creating, deactivating or deleting a key is seen by the next request.
A new table is tracked by default: forgetting to list a hot table costs cache hits, never correctness.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from sqlalchemy import Connection, Engine, event, select, update
from sqlalchemy.sql.dml import Update, UpdateBase

from . import schema as t

_TOUCHED = "rolegate.policy_touched"
_UNTRACKED = frozenset({"policy_generation"})
_BOOKKEEPING = {"roles": frozenset({"last_used_at", "last_used_region"}),
                "access_keys": frozenset({"last_used_at", "last_used_service", "last_used_region"})}
_ROW = 1


class SqlPolicyGeneration:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def current(self) -> int:
        value = self._c.execute(select(t.policy_generation.c.generation)
                                .where(t.policy_generation.c.id == _ROW)).scalar()
        return int(value) if value is not None else 0

    def bump(self) -> None:
        bump(self._c)


def bump(conn: Connection) -> None:
    g = t.policy_generation
    done = conn.execute(update(g).where(g.c.id == _ROW).values(generation=g.c.generation + 1)).rowcount
    if not done:  # the row went missing (a hand-edited database); restart far from any cached value
        conn.execute(g.insert().values(id=_ROW, generation=1))


_CURRENT_SQL = "SELECT generation FROM policy_generation WHERE id = 1"


class GenerationReader:
    """The per-request read of the generation, as cheap as the database allows.

    Authorization makes this read on every request, so it skips SQLAlchemy's statement and pool machinery
    (several times the cost of the query): for a SQLite file each thread keeps its own autocommit connection
    with the statement prepared, and the read is one implicit read transaction of a one-row table. Other
    databases use a raw pooled connection.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        url = engine.url
        self._sqlite_path = url.database if url.get_backend_name() == "sqlite" and url.database not in (
            None, "", ":memory:") else None
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def current(self) -> int:
        if self._sqlite_path is None:
            return read_current(self._engine)
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._sqlite_path, isolation_level=None, check_same_thread=False,
                                   timeout=10.0, cached_statements=16)
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        row = conn.execute(_CURRENT_SQL).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()


def read_current(engine: Engine) -> int:
    """The generation, read on a raw pooled connection outside any transaction."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        try:
            cur.execute(_CURRENT_SQL)
            row = cur.fetchone()
        finally:
            cur.close()
    finally:
        raw.close()
    return int(row[0]) if row else 0


def start(conn: Connection) -> None:
    """Watch this write transaction's statements (read connections carry no listener, so reads pay nothing)."""
    conn.info[_TOUCHED] = False
    if not event.contains(conn, "before_execute", _note_write):
        event.listen(conn, "before_execute", _note_write)


def finish(conn: Connection) -> None:
    """Bump the generation if this write transaction touched a tracked table; call before commit."""
    if conn.info.pop(_TOUCHED, False):
        bump(conn)


def _note_write(conn: Connection, clause: Any, multiparams: Any, params: Any, execution_options: Any) -> None:
    if not isinstance(clause, UpdateBase) or conn.info.get(_TOUCHED, True):
        return  # not DML, already flagged, or not inside SqlStore.write()
    name = getattr(getattr(clause, "table", None), "name", None)
    if name in _UNTRACKED:
        return
    bookkeeping = _BOOKKEEPING.get(name)  # type: ignore[arg-type]
    if bookkeeping is not None and isinstance(clause, Update) and _set_columns(clause) <= bookkeeping:
        return
    conn.info[_TOUCHED] = True


def _set_columns(clause: Update) -> frozenset[str]:
    values = getattr(clause, "_values", None) or {}
    return frozenset(getattr(k, "key", k) for k in values)
