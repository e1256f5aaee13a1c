"""Group commit for SQLite: the writers of one process that arrive together share one durable commit.

With ``synchronous=FULL`` every commit waits for the disk, and SQLite has one writer at a time, so writes
committed one by one queue behind each other's flushes. Here each writer still runs its own unit of work,
in turn and in arrival order, but inside a SAVEPOINT of a transaction that stays open while more writers
are waiting: the last writer of the group (or the one that fills it, ``max_members``) commits once for all.
A writer returns — and so its client hears "done" — only after the commit that holds its change, so
nothing acknowledged can be lost; if that commit fails, every writer of the group gets the error and none
of their changes is kept. A writer whose own work fails rolls back to its savepoint and leaves the others'
changes in the group. The same technique databases use for their own logs (PostgreSQL's ``commit_delay``);
PostgreSQL needs none of this here, and ``SqlStore`` uses it for SQLite only.

Writers in other processes queue on SQLite's lock as before (``BEGIN IMMEDIATE``, busy timeout). A write
inside a write on the same thread joins the open group's transaction as a nested savepoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from rolegate.core import telemetry

MAX_MEMBERS = 64


class _Group:
    __slots__ = ("conn", "members", "committed", "error")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.members = 0  # writers whose work succeeded and waits for this group's commit
        self.committed = threading.Event()
        self.error: BaseException | None = None


class GroupCommitter:
    """Hands each writer a connection inside the open group's transaction; commits once per group.

    ``open_group`` opens a connection and begins the write transaction; ``before_commit`` runs once per
    group just before it commits (the invalidation bump: once per commit, not once per writer);
    ``close_group`` closes the connection once the group has committed or rolled back.
    """

    def __init__(self, open_group: Callable[[], Connection], *, before_commit: Callable[[Connection], None],
                 close_group: Callable[[Connection], None] = Connection.close,
                 max_members: int = MAX_MEMBERS) -> None:
        self._open_group = open_group
        self._close_group = close_group
        self._before_commit = before_commit
        self._max = max_members
        self._turn = threading.Lock()
        self._counter_lock = threading.Lock()
        self._waiting = 0  # writers queued for their turn: a reason to keep the group open
        self._group: _Group | None = None
        self._owner = threading.local()  # the group this thread's outer write runs in, while it runs

    @contextmanager
    def write(self) -> Iterator[Connection]:
        nested = getattr(self._owner, "group", None)
        if nested is not None:  # a write inside a write: part of the outer one
            with nested.conn.begin_nested():
                yield nested.conn
            return
        with self._counter_lock:
            self._waiting += 1
        self._turn.acquire()
        with self._counter_lock:
            self._waiting -= 1
        try:
            group = self._group
            if group is None:
                group = self._group = _Group(self._open_group())
        except BaseException:
            self._turn.release()
            raise
        failure: BaseException | None = None
        self._owner.group = group
        try:
            with group.conn.begin_nested():
                yield group.conn
            group.members += 1
        except BaseException as exc:  # rolled back to its savepoint; the group's other work stands
            failure = exc
        finally:
            self._owner.group = None
            self._hand_on(group)
        if failure is not None:
            raise failure
        group.committed.wait()
        if group.error is not None:
            raise group.error

    def _hand_on(self, group: _Group) -> None:
        """Commit the group if nobody else is waiting to join it (or it is full); then give up the turn."""
        with self._counter_lock:
            keep_open = self._waiting > 0 and group.members < self._max
        if keep_open:
            self._turn.release()  # the next writer joins this group; the last one commits
            return
        self._group = None
        try:
            if group.members:
                self._before_commit(group.conn)
                committing = time.perf_counter()
                group.conn.commit()
                telemetry.store_seconds(telemetry.COMMIT, time.perf_counter() - committing)
            else:
                group.conn.rollback()
        except BaseException as exc:
            group.error = exc
            try:
                group.conn.rollback()
            except Exception:  # the connection is gone with the failed commit; it is closed below
                pass
        finally:
            try:
                self._close_group(group.conn)
            finally:
                group.committed.set()
                self._turn.release()
