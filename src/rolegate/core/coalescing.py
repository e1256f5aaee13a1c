"""Coalescing: calls that threads make at the same time run as one batch, and each caller gets its own answer.

The leader/follower scheme group commit uses (``store/sql/group_commit.py``), one level up: a caller whose item
finds no batch running becomes the leader and runs every item queued so far with one call of the batch
function; callers that arrive meanwhile queue, and the first of them leads the next batch once this one is
done. Nobody waits for a timer, a lone caller runs at once, and under load a batch holds everything that
arrived while the previous one ran (at most ``max_batch``).

A caller returns only after the batch that holds its item has returned, with that item's result; if the batch
raises, every caller of that batch gets the error. So when the batch function is a durable write, no caller
hears "done" before its own item is durable. Used where a per-call write is the cost of a request: the SAML
replay record (``rolegate.sts.sessions``), where one transaction for many redemptions replaces a transaction,
savepoint and statements each (bench/README.md, "AssumeRoleWithSAML").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 256


class _Slot(Generic[T, R]):
    __slots__ = ("item", "done", "result", "error")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class Coalescer(Generic[T, R]):
    """``call(item)`` runs ``run_batch([item, …])`` together with the items of concurrent callers.

    ``run_batch`` gets the items in arrival order and must return one result per item, in the same order.
    """

    def __init__(self, run_batch: Callable[[Sequence[T]], Sequence[R]], *, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._run_batch = run_batch
        self._max = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Slot[T, R]] = []
        self._running = False

    def call(self, item: T) -> R:
        """The result of ``item``, once the batch holding it has run; that batch's error if it raised. Blocks:
        call it from a worker thread, never the event loop."""
        slot: _Slot[T, R] = _Slot(item)
        with self._cond:
            self._queue.append(slot)
            while not slot.done:
                if self._running:
                    self._cond.wait()
                    continue
                # Lead: take what is queued (this caller's item among it, unless more than a batch is ahead).
                self._running = True
                batch, self._queue = self._queue[:self._max], self._queue[self._max:]
                self._cond.release()
                try:
                    self._lead(batch)
                finally:
                    self._cond.acquire()
                    self._running = False
                    self._cond.notify_all()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]  # R itself may be an optional type

    def _lead(self, batch: list[_Slot[T, R]]) -> None:
        try:
            results = self._run_batch([s.item for s in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} items returned {len(results)} results")
        except BaseException as exc:  # every caller of the batch hears of it; none is told it succeeded
            for s in batch:
                s.error, s.done = exc, True
            return
        for s, result in zip(batch, results):
            s.result, s.done = result, True
