"""One rolegate writer at a time on a SQLite file, handed over without SQLite's sleeps.

SQLite runs one write transaction at a time. A writer that finds the database locked waits in SQLite's busy
handler, which sleeps 1, 2, 5, 10, 15, 20, 25 … ms between tries (``sqliteDefaultBusyCallback``,
https://www.sqlite.org/c3ref/busy_timeout.html); so whenever two of rolegate's writers met — the group
committer's open group and a lean transaction in one process, or the writers of two workers — the second paid
milliseconds for a lock held a fraction of one. Measured under AssumeRole with the audit on (one worker):
``BEGIN IMMEDIATE`` waited 0.7 ms at the median, 6 ms at p90 and 36–105 ms at p99
(docs/adr/0044-issuance-records-in-lean-batches.md).

Here rolegate's writers queue *before* ``BEGIN IMMEDIATE``: the threads of a process on a lock, the processes
on an ``flock`` of a file beside the database (``<database>-writelock``, 0600), which the kernel drops when its
holder dies, so a worker killed mid-transaction never leaves it held. Another process's hold is polled with a
backoff capped at ``MAX_POLL_SECONDS``: ``flock`` cannot wait with a timeout, and the wait must stay bounded by
the busy timeout (past it the store answers 503 ``STORE_BUSY``, as SQLite's own wait did). SQLite's lock and busy
timeout still guard against writers outside rolegate.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

MAX_POLL_SECONDS = 0.0005
_FIRST_POLL_SECONDS = 0.00002


class WriteLockTimeout(Exception):
    """Another writer held the lock past the busy timeout."""


class WriterBusy(Exception):
    """A write that was not to wait found another writer holding the lock; nothing was written."""


class WriteLock:
    """``acquire()`` before a write transaction begins, ``release()`` once it has committed or rolled back —
    from any thread (the group committer's last writer closes the group another thread opened)."""

    def __init__(self, path: Path | None, timeout_seconds: float) -> None:
        self._threads = threading.Lock()
        self._timeout = timeout_seconds
        self._fd: int | None = None
        if path is not None:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def acquire(self) -> None:
        deadline = time.monotonic() + self._timeout
        if not self._threads.acquire(timeout=self._timeout):
            raise WriteLockTimeout()
        if self._fd is None:
            return
        pause = _FIRST_POLL_SECONDS
        try:
            while True:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WriteLockTimeout() from None
                    time.sleep(pause)
                    pause = min(pause * 2, MAX_POLL_SECONDS)
        except BaseException:
            self._threads.release()
            raise

    def try_acquire(self) -> bool:
        """``acquire`` if no other writer holds the lock at this moment; False, at once, if one does: for a caller
        that must not wait (an event loop committing its own records, docs/adr/0046)."""
        if not self._threads.acquire(blocking=False):
            return False
        if self._fd is None:
            return True
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            self._threads.release()
            return False
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
