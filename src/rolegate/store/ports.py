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
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
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
