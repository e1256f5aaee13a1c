"""Issuance records committed by the event loop that answers them, once per turn, when the store is free.

A credential issuance answered on the event loop waits for its audit record's commit (docs/adr/0044). Handed to
the audit writer thread, each commit costs the loop a wake-up and the process two threads contending for the
GIL, and on this kind of machine a loop that waits idle runs the next request slower (docs/adr/0046). On
SQLite a commit is a local file's sync, a fraction of a millisecond, so the loop commits the records of the
requests it handled together itself, between two turns — as Redis's event loop writes and syncs its
append-only file before it answers the clients of a turn (``appendfsync always``,
https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/) — and answers them afterwards.

The loop never waits for another writer: it takes the store's write lock only if nobody holds it
(``AuditLog.append(wait=False)``). When another worker, the bookkeeping writer or a change holds it, the loop
goes on with other work and tries again every ``RETRY_SECONDS`` with what arrived meanwhile; after
``PATIENCE_SECONDS`` of finding it busy the batch goes to the audit writer thread, which waits for the lock in the
loop's stead, and its callers wait for that thread's commit. A batch waits —
at most ``linger`` — while another request this loop has begun is still on its way to its record
(``expecting``), so that one commit carries it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

from rolegate.core.batching import MAX_BATCH, BatchWriter, Ticket

__all__ = ["PATIENCE_SECONDS", "RETRY_SECONDS", "LoopCommits"]

T = TypeVar("T")

#: How long a batch that found the store busy is tried again on the loop before the writer thread takes it, and
#: how often: another writer's commit takes a fraction of a millisecond to a few.
PATIENCE_SECONDS = 0.005
RETRY_SECONDS = 0.0002


class LoopCommits(Generic[T]):
    """``submit(item)`` on ``loop``: ``try_write(items)`` runs the turn's items on the loop (True: done; False:
    the store is busy, and they go to ``fallback`` as one item of its own, built by ``join``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, try_write: Callable[[Sequence[T]], bool],
                 fallback: BatchWriter[T], join: Callable[[Sequence[T]], T], *, linger: float,
                 patience: float = PATIENCE_SECONDS) -> None:
        self._loop = loop
        self._try_write = try_write
        self._fallback = fallback
        self._join = join
        self._linger = linger
        self._queue: list[tuple[T, Ticket]] = []
        self._expected = 0  # requests this loop has begun that have not yet reached their record
        self._scheduled = False
        self._deadline: asyncio.TimerHandle | None = None
        self._patience = patience
        self._busy_since: float | None = None  # when the store was first found busy for the batch at the front

    @contextmanager
    def expecting(self) -> Iterator[None]:
        """Around a request, from its start on this loop until its record is submitted (or it needs none)."""
        self._expected += 1
        try:
            yield
        finally:
            self._expected -= 1
            if not self._expected and self._queue:
                self._schedule()

    def submit(self, item: T) -> Ticket:
        ticket = Ticket()
        self._queue.append((item, ticket))
        if len(self._queue) == 1:
            self._deadline = self._loop.call_later(self._linger, self._flush, True)
        if not self._expected or len(self._queue) >= MAX_BATCH:
            self._schedule()
        return ticket

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush, False)

    def _flush(self, overdue: bool) -> None:
        if not overdue:
            self._scheduled = False
            if self._expected and len(self._queue) < MAX_BATCH:
                return  # the last of them to reach its record schedules it again; the deadline bounds the wait
        if not self._queue:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        if self._queue:
            self._schedule()
        items = [item for item, _ in batch]
        try:
            written = self._try_write(items)
        except BaseException as exc:  # every caller of the batch hears of it; none is told it succeeded
            _complete(batch, exc)
            if not isinstance(exc, Exception):
                raise
            return
        if written:
            self._busy_since = None
            _complete(batch, None)
            return
        now = self._loop.time()
        if self._busy_since is None:
            self._busy_since = now
        if now - self._busy_since < self._patience:
            # Another writer's commit is under way (most often the other worker's): try again shortly, with what
            # arrives meanwhile, rather than hand the batch to a thread that would queue behind it.
            self._queue[:0] = batch
            if self._deadline is None:
                self._deadline = self._loop.call_later(RETRY_SECONDS, self._flush, True)
            return
        self._busy_since = None
        try:
            handed = self._fallback.submit(self._join(items))
        except Exception as exc:  # the writer is closed: the server is stopping
            _complete(batch, exc)
            return
        handed.on_done(lambda: _complete(batch, handed.error))


def _complete(batch: Sequence[tuple[object, Ticket]], error: BaseException | None) -> None:
    for _, ticket in batch:
        ticket.complete(error)
