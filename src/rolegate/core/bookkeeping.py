"""Bookkeeping writes off the request path: last-used times and the like, queued and written in batches by one
background thread, so no request — and no event loop — waits for a store write, an fsync or a lock held by
another process to record that something was used.

What goes through here is bookkeeping only: data AWS itself documents as lagging ("Last accessed information
... may lag", IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html),
whose loss costs at most one batch of freshness. Writes a client is told succeeded never go through here.

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
        self._queue: list[Callable[[T], None]] = []
        self._submitted = 0
        self._done = 0
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, job: Callable[[T], None]) -> None:
        """Queue ``job``; returns at once."""
        with self._cond:
            if self._closed:
                raise RuntimeError("bookkeeping is closed")
            self._queue.append(job)
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

    def _write(self, batch: list[Callable[[T], None]]) -> None:
        try:
            with self._open() as tx:
                for job in batch:
                    job(tx)
            return
        except Exception:
            if len(batch) == 1:
                log.warning("could not write bookkeeping", exc_info=True)
                return
        for job in batch:
            self._write([job])
