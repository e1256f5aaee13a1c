"""The audit files, derived from the store: one drainer hands committed records to the sink in commit order.

The store copy (``audit_events``) is where a record becomes durable — in the transaction of its change, or before
a credential issuance answers (docs/adr/0041-audit-record-commits-with-its-change.md). The files follow: a
background thread reads the records committed after its mark, appends them to the sink, waits for the sink's
fsync, and only then moves the mark (``audit_marks``), so every committed record reaches a file at least once.
A crash between the fsync and the mark's commit leaves that batch in the files the crashed process had open: the
next sink closes them when it starts and names their event ids (``written_before_start``), and the first pass
moves the mark past those records without handing them on again. A record is never written twice, whichever
worker of the node drains next (a drainer on another node, which cannot see this node's open files, would
write that one batch again).

One drainer at a time across every worker and node: the process that holds the drain lock (``DrainLock``: a file
lock beside a SQLite database, a PostgreSQL advisory lock) drains; the others try again now and then, so one takes
over when the holder stops. A record committed before its response was known waits, incomplete, for the recorder
to complete it; one still incomplete after ``COMPLETION_GRACE`` (its server stopped in between) is handed on as it
is, marked ``rolegateResponseUnrecorded``, so it does not hold the files up for ever.

The drainer also deletes records past the retention period (CloudTrail's event history keeps 90 days,
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html), through the bookkeeping
writer, and only records it has already handed on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from rolegate.core.bookkeeping import Bookkeeping
from rolegate.core.clock import Clock

from . import record_json
from .ports import AuditStore

__all__ = ["AuditDrain", "AuditSink", "DrainLock", "CONSUMER", "COMPLETION_GRACE"]

log = logging.getLogger(__name__)

#: The drain's name in ``audit_marks``.
CONSUMER = "files"
#: How long an incomplete record may hold the files up: completions normally follow in milliseconds (one
#: bookkeeping batch); one this late belongs to a process that stopped before completing it.
COMPLETION_GRACE = dt.timedelta(seconds=10)
BATCH = 500
# Each pass that hands records on commits its mark: polling bounds those commits, whatever the request rate.
POLL_SECONDS = 0.25
LOCK_RETRY_SECONDS = 2.0
RETENTION_EVERY = dt.timedelta(minutes=10)


class AuditSink(Protocol):
    """The file writer (``rolegate.audit.sink``): ``append`` returns a sequence number ``durable`` waits for."""

    def append(self, records: Iterable[dict[str, Any]], *, encoded: Sequence[str] | None = None) -> int: ...
    def durable(self, seq: int) -> None: ...
    def written_before_start(self) -> frozenset[str]:
        """Event ids a stopped process had made durable in the files, found when this sink started."""
        ...
    def close(self) -> None: ...


class DrainLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this process holds it (now or already)."""
        ...
    def release(self) -> None: ...


class AuditDrain:
    def __init__(self, store: AuditStore, open_sink: Callable[[], AuditSink], lock: DrainLock, clock: Clock,
                 bookkeeping: Bookkeeping[Any], *, retention_days: int) -> None:
        self._store = store
        self._open_sink = open_sink
        self._lock = lock
        self._clock = clock
        self._bookkeeping = bookkeeping
        self._retention = dt.timedelta(days=retention_days)
        self._sink: AuditSink | None = None
        # What a stopped drainer had already made durable in the files (its mark may not say so): skipped once.
        self._written: frozenset[str] = frozenset()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._holding = False
        self._last_retention: dt.datetime | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rolegate-audit-drain", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A record was committed: drain soon rather than at the next poll."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread, hand on what is committed (if this process drains), release the lock."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        try:
            if self._holding:
                while self.drain_once():
                    pass
        except Exception:
            log.warning("could not hand the last audit records on at shutdown", exc_info=True)
        finally:
            if self._sink is not None:
                self._sink.close()
            if self._holding:
                self._lock.release()
                self._holding = False

    def _run(self) -> None:
        while not self._stop.is_set():
            moved, failed = 0, False
            try:
                if not self._holding:
                    self._holding = self._lock.acquire()
                if self._holding:
                    # Opened as soon as this process drains, not at its first record: opening closes what a
                    # killed drainer left open (rolegate.audit.files), which must not wait for new traffic.
                    self._ensure_sink()
                    moved = self.drain_once()
                    self.expire_old_records()
            except Exception:
                # A full disk or an unreachable database: the records stay in the store, and the next try picks
                # them up; one warning per retry interval, not per poll.
                log.warning("audit drain failed; retrying", exc_info=True)
                failed = True
            if moved < BATCH:  # caught up: what comes next waits for the poll, so marks commit per poll, not per record
                self._wake.wait(POLL_SECONDS if self._holding and not failed else LOCK_RETRY_SECONDS)
                self._wake.clear()

    def _ensure_sink(self) -> AuditSink:
        if self._sink is None:
            self._sink = self._open_sink()
            self._written = self._sink.written_before_start()
        return self._sink

    def drain_once(self) -> int:
        """Hand the next batch of committed records on to the sink; how many records it moved past (0 when none was
        ready), counting those a stopped drainer had already written."""
        with self._store.read() as tx:
            mark = tx.audit_events.mark(CONSUMER)
            rows = tx.audit_events.after(mark, BATCH, with_resources=False)
        now = self._clock.now()
        sink = self._ensure_sink()  # first: it names what a stopped drainer had written
        batch: list[dict[str, Any]] = []
        texts: list[str] = []
        last, consumed = mark, 0
        for seq, event in rows:
            if not event.complete and now - event.event_time < COMPLETION_GRACE:
                break  # its completion is on its way: the files keep commit order
            last, consumed = seq, consumed + 1
            if event.event_id in self._written:
                # Handed on by a drainer that stopped between the files' fsync and its mark: not twice.
                continue
            batch.append(record_json.loads(event.record))
            texts.append(event.record)
        if not consumed:
            return 0
        if batch:
            sink.durable(sink.append(batch, encoded=texts))
        with self._store.write() as uow:
            uow.audit_events.set_mark(CONSUMER, last)
        # A stopped drainer's unmarked batch is at most one batch right after the mark: this pass has read past it.
        self._written = frozenset()
        return consumed

    def expire_old_records(self) -> None:
        """Submit the retention delete to the bookkeeping writer, at most once per ``RETENTION_EVERY``."""
        now = self._clock.now()
        if self._last_retention is not None and now - self._last_retention < RETENTION_EVERY:
            return
        self._last_retention = now
        cutoff = now - self._retention

        def delete(tx: Any) -> None:
            up_to = tx.audit_events.mark(CONSUMER)
            tx.audit_events.delete_before(cutoff, up_to_seq=up_to)

        try:
            self._bookkeeping.submit(delete)
        except RuntimeError:
            pass  # shutting down: the next start deletes them
