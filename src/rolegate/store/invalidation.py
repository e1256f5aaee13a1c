"""The invalidation port: scoped generations that tell a worker's caches whether what they hold is current.

A cache entry built from one account's data is stamped with that account's ``Stamp`` — the store's global
generation and the account's own — read *before* the entry's data (so the data is at least as new as its
stamp). It is current while a fresh read of the same scope gives the same stamp. A write moves the
generation of every account whose rows it touched, in its own transaction; a write whose account cannot be
told (and ``--dev`` reset) moves the global one, which every stamp includes. So a write in account A leaves
account B's entries valid, and nothing is ever wrongly kept (docs/adr/0017-scoped-invalidation.md).

``Invalidation`` is what a store implements (SQLite and PostgreSQL by reading two counters in one statement:
``store.sql_generation``; PostgreSQL nodes may later keep the counters in memory from LISTEN/NOTIFY).
``Snapshot`` is one request's view: it reads each scope at most once, so a request costs one read (two for a
cross-account AssumeRole), and none when nothing cached is consulted.
"""

from __future__ import annotations

from typing import Protocol

Stamp = tuple[int, int]  # (global generation, the account's generation)


class Invalidation(Protocol):
    def stamp(self, account_id: str) -> Stamp:
        """The current stamp of ``account_id``'s scope: one round trip to the store."""
        ...


class Snapshot:
    """One request's stamps, read on first use per account and then held for the rest of the request."""

    __slots__ = ("_source", "_stamps")

    def __init__(self, source: Invalidation) -> None:
        self._source = source
        self._stamps: dict[str, Stamp] = {}

    def stamp(self, account_id: str) -> Stamp:
        found = self._stamps.get(account_id)
        if found is None:
            found = self._stamps[account_id] = self._source.stamp(account_id)
        return found

    @property
    def reads(self) -> int:
        """How many scopes this request has read (each one store round trip)."""
        return len(self._stamps)
