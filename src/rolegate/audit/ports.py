"""The storage the audit trail reads and writes through: the store copy of the records (``audit_events``) and
the transaction protocols its services take. ``rolegate.store.sql`` implements them (ADR 0014)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from rolegate.store.ports import AuditEvent, Store, UnitOfWork


class AuditEventRepository(Protocol):
    def add(self, events: Sequence[AuditEvent]) -> None: ...
    def complete(self, event: AuditEvent) -> bool:
        """Replace the request half of ``event`` (same id) by the whole record; False when there is none."""
        ...
    def after(self, seq: int, limit: int, *, with_resources: bool = True) -> list[tuple[int, AuditEvent]]:
        """Records committed after ``seq``, in commit order (without their ``resources`` unless asked)."""
        ...
    def lookup(self, account_id: str, *, key: str | None, value: Any, start: dt.datetime, end: dt.datetime,
               before: tuple[dt.datetime, int] | None, limit: int) -> list[tuple[int, AuditEvent]]:
        """The account's records in the time range matching the attribute ``key`` (one of LookupEvents'),
        newest first, after the page position ``before``."""
        ...
    def delete_before(self, cutoff: dt.datetime, *, up_to_seq: int) -> int: ...
    def mark(self, consumer: str) -> int: ...
    def set_mark(self, consumer: str, seq: int) -> None: ...


class AuditTransaction(Protocol):
    @property
    def audit_events(self) -> AuditEventRepository: ...


class AuditUnitOfWork(AuditTransaction, UnitOfWork, Protocol):
    pass


class AuditLog(Protocol):
    #: Whether a commit is a local file's sync (SQLite), short enough for an event loop to run itself between
    #: two turns, rather than a round trip to a database server (docs/adr/0046).
    local: bool

    def append(self, events: Sequence[AuditEvent], *, wait: bool = True) -> bool:
        """Insert ``events`` in a write transaction of their own; durable when this returns True, or raises (a
        store failure, or ``AuditUnavailable``) with none of them kept. Not to ``wait``: False, with nothing
        written, when another writer holds the store's write lock."""
        ...


class AuditStore(Store[AuditTransaction, AuditUnitOfWork], Protocol):
    """The store the trail lives in, with the log that records written alone (a credential issuance's: nothing
    else in its transaction) take instead of a unit of work (docs/adr/0044-issuance-records-in-lean-batches.md)."""

    @property
    def audit_log(self) -> AuditLog: ...
