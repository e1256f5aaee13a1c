"""The storage seam under every domain: a store hands out transactions to read and units of work to write.

``read()`` gives a consistent snapshot; ``write()`` a serialized read-modify-write whose changes commit
together or not at all — every mutation of one API call happens inside one ``write()`` block. A unit of work
also carries an outbox: a record added to it is inserted in the same transaction as the change, so whatever
consumes the outbox later (the audit trail) sees exactly the changes that committed (ADR 0015).

This module knows no domain. Each domain declares the repositories it reads and writes, and the transaction
protocols that bundle them, in its own ``ports`` module (``rolegate.iam.ports``, ``rolegate.sts.ports``), and
parameterizes ``Store`` with them; the SQL adapters (``rolegate.store.sql``) implement them all (ADR 0014).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol, TypeVar

from rolegate.core.errors import StoreConflict


class DuplicateKeyError(Exception):
    """An insert collided with a unique key; the domain turns it into ``EntityAlreadyExists``."""


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A fact about a change, to be handed on after its transaction commits (nothing consumes it yet).

    ``payload`` must be JSON-serializable; ``kind`` tells a consumer how to read it.
    """

    kind: str
    payload: Mapping[str, object]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit record as the store keeps it: the CloudTrail record (``record``, JSON) and the columns
    LookupEvents filters on, taken from it by the audit package (docs/adr/0041-audit-record-commits-with-its-change.md).

    ``complete`` is false for a record written before its response was known (the change's own transaction):
    it is whole but for ``responseElements``, until the recorder completes it."""

    event_id: str
    event_time: dt.datetime
    event_name: str
    event_source: str
    username: str | None
    access_key_id: str | None
    read_only: bool
    recipient_account_id: str
    resources: tuple[tuple[str, str], ...]  # LookupEvents' Resources: (ResourceType, ResourceName)
    record: str
    complete: bool


class CarriedEvents:
    """The audit events a request's first committed write carries in its own transaction.

    A store's outermost ``write()`` inserts them before it commits, if no earlier write of the request has, and
    sets ``committed`` once that commit succeeded; a write that rolls back leaves them to the next write (or to
    the recorder, which then writes them itself). Given a function, the events are built only when a write first
    asks for them: a call that writes nothing (most credential issuances) never pays for its request half."""

    __slots__ = ("_events", "_make", "committed")

    def __init__(self, events: tuple[AuditEvent, ...] | Callable[[], tuple[AuditEvent, ...]]) -> None:
        self._events = events if isinstance(events, tuple) else None
        self._make = None if isinstance(events, tuple) else events
        self.committed = False

    @property
    def built(self) -> bool:
        return self._events is not None

    @property
    def events(self) -> tuple[AuditEvent, ...]:
        if self._events is None:
            assert self._make is not None
            self._events = self._make()
        return self._events


_carried: ContextVar[CarriedEvents | None] = ContextVar("rolegate_store_carried_events", default=None)


@contextmanager
def carrying(events: CarriedEvents) -> Iterator[None]:
    """While the block runs (one request's handle stage, on its thread), writes carry ``events``."""
    token = _carried.set(events)
    try:
        yield
    finally:
        _carried.reset(token)


def carried_events() -> CarriedEvents | None:
    """The events the current write must insert with its change, or None (none, or already committed)."""
    found = _carried.get()
    return found if found is not None and not found.committed else None


class Outbox(Protocol):
    def add(self, record: OutboxRecord) -> None:
        """Insert ``record`` in the unit of work's own transaction: it commits with the change or not at all."""
        ...


class UnitOfWork(Protocol):
    """What a write has beyond its domain's repositories."""

    @property
    def outbox(self) -> Outbox: ...


T_co = TypeVar("T_co", covariant=True)
W_co = TypeVar("W_co", bound=UnitOfWork, covariant=True)


class ReadStore(Protocol[T_co]):
    """A store a service only reads from."""

    def read(self) -> AbstractContextManager[T_co]: ...


class Store(ReadStore[T_co], Protocol[T_co, W_co]):
    """A store whose reads see the transaction protocol ``T_co`` and whose writes see ``W_co``.

    A domain names both (e.g. ``Store[IamTransaction, IamUnitOfWork]``): ``W_co`` is ``T_co`` plus the
    outbox, which only a write has.
    """

    def write(self) -> AbstractContextManager[W_co]: ...


# --- running a request again after a write conflict ------------------------------------------------------
# A write that loses a serialization failure or deadlock (PostgreSQL, against a writer outside rolegate's write
# lock) is rolled back whole and raises ``StoreConflict``; the work that made it may run again — but only if none of its earlier writes committed,
# or running it again would repeat them. A store notes each commit here (``note_commit``); ``run_retrying``
# counts them around one attempt (docs/adr/0035-postgresql-isolation-and-retries.md).

MAX_ATTEMPTS = 4
_BACKOFF_SECONDS = 0.005

_commits: ContextVar[list[int] | None] = ContextVar("rolegate_store_commits", default=None)

R = TypeVar("R")


def note_commit() -> None:
    """Called by a store after each commit of a write."""
    counter = _commits.get()
    if counter is not None:
        counter[0] += 1


def run_retrying(work: Callable[[], R], *, attempts: int = MAX_ATTEMPTS) -> R:
    """``work()``, run again after a ``StoreConflict`` while it has committed nothing, up to ``attempts`` in all.

    Each pause is random (full jitter, doubling) so that the writers that collided do not collide again in
    step; the last conflict is raised (a retryable 503 to a client, whose SDK retries it)."""
    outer = _commits.get()  # an enclosing attempt: it must see this one's commits too
    for attempt in range(1, attempts + 1):
        counter = [0]
        token = _commits.set(counter)
        try:
            return work()
        except StoreConflict:
            if attempt == attempts or counter[0]:
                raise
        finally:
            _commits.reset(token)
            if outer is not None:
                outer[0] += counter[0]
        time.sleep(random.uniform(0, _BACKOFF_SECONDS * 2 ** attempt))
    raise AssertionError("unreachable")  # the loop returns or raises
