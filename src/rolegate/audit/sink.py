"""The audit log file: records appended as JSON lines, made durable by one fsync shared by concurrent writers.

``append`` writes a request's records to the file (buffered by the OS) and returns the sequence number of
its last line; ``durable(seq)`` returns once an fsync covers that line. Writers that call ``durable`` while
another writer's fsync is in progress wait for it and then share the next one: the group commit of
ADR 0018, applied to the log file. A read's records are appended and not waited for (the issue allows them
to be buffered); they reach the disk with the next durable write's fsync or within ``flush_seconds``.

A failed write or fsync raises ``AuditUnavailable`` to every writer waiting on it; the caller turns that
into an AWS-shaped 503. ``stats`` holds the plain values the metrics read (write latency, backlog).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rolegate.core.errors import AuditUnavailable

__all__ = ["AuditStats", "AuditUnavailable", "JsonlSink"]


@dataclass(slots=True)
class AuditStats:
    """What the metrics read (issue 15, item 4): plain numbers, updated under the sink's lock."""

    records_written: int = 0
    fsyncs: int = 0
    last_fsync_seconds: float = 0.0
    total_fsync_seconds: float = 0.0
    failures: int = 0

    backlog: int = 0  # records appended but not yet covered by an fsync


class JsonlSink:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        # A raw descriptor held for the process's life (an app built by a test and never shut down leaks no
        # file object); O_APPEND keeps each write whole at the end.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.chmod(path, 0o600)  # records name principals and parameters: readable by the service only
        self._lock = threading.Lock()  # guards the file position and the counters
        self._sync_lock = threading.Lock()  # one fsync at a time; waiters share the next
        self._written = 0
        self._synced = 0
        self.stats = AuditStats()

    def append(self, records: Iterable[dict[str, Any]]) -> int:
        lines = b"".join(json.dumps(r, separators=(",", ":"), default=str).encode() + b"\n" for r in records)
        with self._lock:
            try:
                os.write(self._fd, lines)  # into the OS: a kill -9 of this process no longer loses it
            except OSError as err:
                self.stats.failures += 1
                raise AuditUnavailable(f"audit log write failed: {err}") from err
            self._written += 1
            self.stats.records_written += lines.count(b"\n")
            self.stats.backlog = self._written - self._synced
            return self._written

    def durable(self, seq: int) -> None:
        """Return once the line numbered ``seq`` is on disk (fsync'd), sharing an fsync with other writers."""
        if self._synced >= seq:
            return
        with self._sync_lock:
            if self._synced >= seq:
                return  # the fsync we waited behind covered us
            with self._lock:
                target = self._written
            started = time.perf_counter()
            try:
                os.fsync(self._fd)
            except OSError as err:
                with self._lock:
                    self.stats.failures += 1
                raise AuditUnavailable(f"audit log fsync failed: {err}") from err
            spent = time.perf_counter() - started
            with self._lock:
                self._synced = max(self._synced, target)
                self.stats.fsyncs += 1
                self.stats.last_fsync_seconds = spent
                self.stats.total_fsync_seconds += spent
                self.stats.backlog = self._written - self._synced

    def close(self) -> None:
        with self._lock:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
