"""Bookkeeping writes off the request path: last-used times and the like, queued and written in batches by one
background thread, so no request — and no event loop — waits for a store write, an fsync or a lock held by
another process to record that something was used.

What goes through here unwaited is bookkeeping only: data AWS itself documents as lagging ("Last accessed
information ... may lag", IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html),
whose loss costs at most one batch of freshness. The one write a client waits for here is a credential issuance's
audit record (``submit_waited``, docs/adr/0041-audit-record-commits-with-its-change.md): its ``Written`` is set only
after the transaction holding it committed, or with the error that kept it out, so concurrent issuances share one
commit the way group commit shares one (ADR 0018) without a second batching mechanism.

A reader that shows bookkeeping (GetAccessKeyLastUsed, GetRole's RoleLastUsed, the credential report) calls
``catch_up`` first (``settle``, bounded), from a worker thread, so a client that made a call and then asks
about it sees it, as the tests and an operator at a console would expect.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

# The standard library's logger: core imports nothing else (rolegate.obs.logging routes it through the chain).
log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BATCH = 256
# How long a reader waits for queued bookkeeping before it reads what is written: while another process holds
# the write lock the queue cannot drain, and GetRole must not wait out every queued write's busy timeout.
CATCH_UP_SECONDS = 2.0


class Written:
    """The outcome of a waited job: set once its transaction committed (``error`` None) or failed."""

    __slots__ = ("_event", "_callbacks", "_lock", "error")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.error: BaseException | None = None

    def wait(self) -> None:
        """Block until the job's transaction ended; raise its error if it failed."""
        self._event.wait()
        if self.error is not None:
            raise self.error

    def when_done(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (on the writer's thread, or now if already done) once the outcome is known."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def _set(self, error: BaseException | None) -> None:
        with self._lock:
            self.error = error
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


class Bookkeeping(Generic[T]):
    """Jobs ``job(tx)`` run in batches, each batch in one transaction opened by ``open_batch``.

    If a batch's transaction fails, its jobs are retried one by one, so one bad job (its key deleted meanwhile)
    does not take the others down; a job that fails alone is dropped with a warning.
    """

    def __init__(self, open_batch: Callable[[], AbstractContextManager[T]], *, max_batch: int = MAX_BATCH,
                 name: str = "rolegate-bookkeeping") -> None:
        self._open = open_batch
        self._max = max_batch
        self._name = name
        self._cond = threading.Condition()
        self._queue: list[tuple[Callable[[T], None], Written | None]] = []
        self._submitted = 0
        self._done = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, job: Callable[[T], None]) -> None:
        """Queue ``job``; returns at once."""
        self._enqueue(job, None)

    def submit_waited(self, job: Callable[[T], None]) -> Written:
        """Queue ``job``; the ``Written`` returned tells when its transaction committed, or why it did not."""
        written = Written()
        self._enqueue(job, written)
        return written

    def _enqueue(self, job: Callable[[T], None], written: Written | None) -> None:
        with self._cond:
            if self._closed:
                raise RuntimeError("bookkeeping is closed")
            self._queue.append((job, written))
            self._submitted += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every job submitted before this call has been written (or dropped); False on timeout.
        Blocks: call it from a worker thread, never the event loop."""
        with self._cond:
            target = self._submitted
            return self._cond.wait_for(lambda: self._done >= target, timeout)

    def catch_up(self) -> None:
        """What a reader that shows bookkeeping calls first: ``settle``, bounded by ``CATCH_UP_SECONDS``."""
        self.settle(CATCH_UP_SECONDS)

    def pending(self) -> int:
        with self._cond:
            return self._submitted - self._done

    def close(self) -> None:
        """Write what is queued, then stop the thread (at shutdown, before the store closes)."""
        self.settle()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue) or self._closed)
                if not self._queue:
                    return
                batch, self._queue = self._queue[:self._max], self._queue[self._max:]
            try:
                self._write(batch)
            finally:
                with self._cond:
                    self._done += len(batch)
                    self._cond.notify_all()

    def _write(self, batch: list[tuple[Callable[[T], None], Written | None]]) -> None:
        try:
            with self._open() as tx:
                for job, _ in batch:
                    job(tx)
        except Exception as exc:
            if len(batch) == 1:
                job, written = batch[0]
                if written is not None:
                    written._set(exc)  # the waiter says so (a 503); not a bookkeeping warning
                else:
                    log.warning("could not write bookkeeping", exc_info=True)
                return
            for one in batch:
                self._write([one])
            return
        for _, written in batch:
            if written is not None:
                written._set(None)
