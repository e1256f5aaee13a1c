"""A bounded cache whose entries are valid while their stamp is: the one primitive behind every cache
kept honest by the store's invalidation generations (``rolegate.store.invalidation``).

An entry is stored with the stamp its data was read under and returned only to a reader holding the same
stamp; a reader with a newer stamp misses and rebuilds. Entries of other stamps (other accounts) stay. The
cache is cleared when full, which is cheaper than tracking recency and rare at these sizes.
Thread-safe under the GIL: single dict operations are atomic, and a lost race only costs a rebuild.
A cache given a ``name`` (one of ``rolegate.core.telemetry.CACHES``) records each lookup as a hit or a miss.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from . import telemetry

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
S = TypeVar("S", bound=Hashable)


class StampedCache(Generic[K, S, V]):
    __slots__ = ("_entries", "_max", "_name")

    def __init__(self, max_entries: int, *, name: str | None = None) -> None:
        self._max = max_entries
        self._name = name
        self._entries: dict[K, tuple[S, V]] = {}

    def get(self, key: K, stamp: S) -> tuple[bool, V | None]:
        """(True, value) when ``key`` holds an entry of ``stamp``; (False, None) otherwise."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] == stamp:
            if self._name is not None:
                telemetry.cache_lookup(self._name, True)
            return True, hit[1]
        if self._name is not None:
            telemetry.cache_lookup(self._name, False)
        return False, None

    def put(self, key: K, stamp: S, value: V) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (stamp, value)

    def get_or_build(self, key: K, stamp: S, build: Callable[[], V], *, keep: Callable[[V], bool] | None = None) -> V:
        """The entry of ``stamp`` for ``key``, built (and kept, unless ``keep`` says no) when absent."""
        hit = self._entries.get(key)
        if hit is not None and hit[0] == stamp:
            if self._name is not None:
                telemetry.cache_lookup(self._name, True)
            return hit[1]
        if self._name is not None:
            telemetry.cache_lookup(self._name, False)
        value = build()
        if keep is None or keep(value):
            self.put(key, stamp, value)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
