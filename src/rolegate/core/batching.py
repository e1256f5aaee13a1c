"""A writer thread that runs what callers submit in batches, and tells each caller when its own item is done.

``Coalescer`` (``core/coalescing.py``) lets the calling threads lead their batches themselves; that needs a
caller that may block. A request answered on the event loop may not, yet its answer can depend on a durable
write (a credential issuance's audit record: docs/adr/0044-issuance-records-in-lean-batches.md). Here one
thread of the process takes everything queued, runs it with one call of the batch function, and completes the
items' tickets: a thread waits on its ticket, the event loop asks to be called back (``on_done``, from the
writer thread: the loop's side wraps it in ``call_soon_threadsafe``). Nobody waits for a timer: a lone item is
written at once, and under load a batch holds everything that arrived while the previous one ran (at most
``max_batch``).

A commit's cost is mostly fixed (its fsync, and the pages it writes), so fewer, fuller batches cost less per item.
With ``linger``, a batch about to run waits — at most that long — while work that is about to submit is under way
(``expecting``: the event loop handling a request), as PostgreSQL's ``commit_delay`` waits only while
``commit_siblings`` other transactions are active
(https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-COMMIT-DELAY). When every caller is already
waiting on the writer, nothing more can come and the batch runs at once: a lone request never waits for it.

A ticket is done only after the batch holding its item returned; if the batch raised, every ticket of that
batch carries the error, so no caller hears "done" before its item is durable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_BATCH = 256


class Ticket:
    """One submitted item: ``wait()`` blocks until its batch has run (raising the batch's error, if any);
    ``on_done(fn)`` calls ``fn`` once it has (at once if it already has), on whichever thread completes it."""

    __slots__ = ("_lock", "_done", "error", "_callbacks", "_event")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = False
        self.error: BaseException | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._event: threading.Event | None = None

    @property
    def done(self) -> bool:
        return self._done

    def on_done(self, fn: Callable[[], None]) -> None:
        with self._lock:
            if not self._done:
                self._callbacks.append(fn)
                return
        fn()

    def wait(self) -> None:
        with self._lock:
            if not self._done and self._event is None:
                self._event = threading.Event()
            event = self._event
        if event is not None:
            event.wait()
        if self.error is not None:
            raise self.error

    def complete(self, error: BaseException | None) -> None:
        """Mark the item done (with the error of its batch, if any) and call back whoever waits for it."""
        with self._lock:
            self.error, self._done = error, True
            callbacks, self._callbacks = self._callbacks, []
            event = self._event
        if event is not None:
            event.set()
        for fn in callbacks:
            try:
                fn()
            except Exception:  # the waiter is gone (its event loop closed): the writer goes on for the others
                log.warning("a batch writer's callback failed", exc_info=True)


class BatchWriter(Generic[T]):
    """``submit(item)`` queues ``item`` for ``run_batch([item, …])``, run on this writer's own thread (started
    on the first submit, a daemon named ``name``). ``close()`` runs what is queued, then stops the thread."""

    def __init__(self, run_batch: Callable[[Sequence[T]], None], *, name: str, max_batch: int = MAX_BATCH,
                 linger: float = 0.0) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if linger < 0:
            raise ValueError("linger must not be negative")
        self._run_batch = run_batch
        self._name = name
        self._max = max_batch
        self._linger = linger
        self._cond = threading.Condition()
        self._queue: list[tuple[T, Ticket]] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self._expected = 0  # pieces of work under way that may submit (``expecting``)
        self._lingering = False  # the writer waits for them: a submit wakes it only once the batch is full

    @contextmanager
    def expecting(self) -> Iterator[None]:
        """Around work that may submit an item: while it is under way, a batch about to run waits for it (at most
        ``linger``) so that one commit carries its item too."""
        with self._cond:
            self._expected += 1
        try:
            yield
        finally:
            with self._cond:
                self._expected -= 1
                if not self._expected and self._lingering:
                    self._cond.notify()

    def submit(self, item: T) -> Ticket:
        ticket = Ticket()
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self._name} is closed")
            self._queue.append((item, ticket))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            if not self._lingering or len(self._queue) >= self._max:
                self._cond.notify()
        return ticket

    def close(self) -> None:
        with self._cond:
            self._closed = True
            thread = self._thread
            self._cond.notify()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return  # closed, and everything submitted has run
                self._gather()
                batch, self._queue = self._queue[:self._max], self._queue[self._max:]
            error: BaseException | None = None
            try:
                self._run_batch([item for item, _ in batch])
            except BaseException as exc:  # every caller of the batch hears of it; none is told it succeeded
                error = exc
            for _, ticket in batch:
                ticket.complete(error)

    def _gather(self) -> None:
        """With the condition held and something queued: wait, at most ``linger``, while work that may submit is
        under way and the batch is not full."""
        if not self._linger or not self._expected:
            return
        deadline = time.monotonic() + self._linger
        try:
            while self._expected and len(self._queue) < self._max and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._lingering = True
                self._cond.wait(left)
        finally:
            self._lingering = False
