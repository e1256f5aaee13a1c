"""What the audit recorder writes to: the sink's interface, its failure, and the numbers the metrics read.

``append(records)`` writes a request's records (buffered by the OS: a kill -9 of the process loses none) and
returns a sequence number; ``durable(seq)`` returns once an fsync covers it, shared by the writers waiting
meanwhile (the group commit of ADR 0018, applied to the log); ``close()`` flushes and closes. A read's records
are appended and not waited for (issue 15 allows them to be buffered). A failed write or fsync raises
``AuditUnavailable`` to every writer waiting on it; the caller turns that into an AWS-shaped 503.

The one implementation is ``rolegate.audit.files.TrailWriter``: CloudTrail's log-file layout, rotation and
signed digests (docs/adr/0042-audit-log-files-and-digests.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rolegate.core.errors import AuditUnavailable

__all__ = ["AuditSink", "AuditStats", "AuditUnavailable"]


@dataclass(slots=True)
class AuditStats:
    """What the metrics read (issue 15, item 4): plain numbers, updated under the sink's lock."""

    records_written: int = 0
    fsyncs: int = 0
    last_fsync_seconds: float = 0.0
    total_fsync_seconds: float = 0.0
    failures: int = 0

    backlog: int = 0  # records appended but not yet covered by an fsync


class AuditSink(Protocol):
    stats: AuditStats

    def append(self, records: Iterable[dict[str, Any]], *, encoded: Sequence[str] | None = None) -> int:
        """``encoded``: the records' JSON text, one per record, when the caller has it already."""
        ...
    def durable(self, seq: int) -> None: ...
    def written_before_start(self) -> frozenset[str]:
        """Event ids a stopped process had made durable in the files, found when this sink started."""
        ...
    def close(self) -> None: ...
