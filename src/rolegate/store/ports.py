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
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, TypeVar


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
