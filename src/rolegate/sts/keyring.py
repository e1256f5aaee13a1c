"""The session key ring: the keys session tokens are sealed with, kept in the store (sealed under the master
key) and cached in memory.

The newest key is the primary and seals new tokens. ``rotate`` adds a new primary and marks the old one
superseded; a superseded key keeps verifying until the longest session it could have sealed has expired
(``MAX_SESSION_SECONDS`` after it was superseded), then it is dropped. Workers notice a rotation made by
another process when they meet a token under an unknown key id (checked at most once a second, so a flood
of forged key ids cannot turn into a flood of reads) and, for the primary, within ``refresh_seconds``.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

from rolegate.core.clock import Clock
from rolegate.store.ports import DuplicateKeyError

from .entities import SessionKeyRecord
from .ports import KeyRingStore
from .tokens import KEY_ID_BYTES, RingKey

# The longest session STS issues: GetSessionToken / GetFederationToken, 129,600 s (36 hours) (STS API
# reference, GetSessionToken "DurationSeconds"). A clock-skew margin on top.
MAX_SESSION_SECONDS = 129_600
_GRACE = dt.timedelta(seconds=MAX_SESSION_SECONDS + 900)


class KeyRing:
    def __init__(self, store: KeyRingStore, clock: Clock, *, refresh_seconds: float = 30.0,
                 miss_interval_seconds: float = 1.0) -> None:
        self._store = store
        self._clock = clock
        self._refresh = refresh_seconds
        self._miss_interval = miss_interval_seconds
        self._lock = threading.Lock()
        self._keys: dict[bytes, RingKey] = {}
        self._primary: RingKey | None = None
        self._loaded_at = -1e18  # monotonic time of the last load
        self._last_miss_load = -1e18

    # --- KeySource ---------------------------------------------------------------------------------

    def primary(self) -> RingKey:
        if self._primary is None or time.monotonic() - self._loaded_at > self._refresh:
            self._load(create_if_empty=True)
        assert self._primary is not None
        return self._primary

    def find(self, key_id: bytes) -> RingKey | None:
        key = self._keys.get(key_id)
        if key is not None:
            return key
        now = time.monotonic()
        if now - self._last_miss_load < self._miss_interval:
            return None
        self._last_miss_load = now
        self._load(create_if_empty=False)
        return self._keys.get(key_id)

    # --- management --------------------------------------------------------------------------------

    def rotate(self) -> SessionKeyRecord:
        """Make a new primary key; the previous ones keep verifying until their sessions have expired."""
        now = self._clock.now().replace(microsecond=0)
        new = _new_key(now)
        with self._store.write() as tx:
            for old in tx.session_keys.list_all():
                if old.superseded_at is None:
                    tx.session_keys.supersede(old.key_id, now)
                elif now - old.superseded_at > _GRACE:
                    tx.session_keys.delete(old.key_id)
            tx.session_keys.create(new)
        self._load(create_if_empty=False)
        return new

    def records(self) -> list[SessionKeyRecord]:
        """The keys as stored (for ``rolegate keys list``); material included, never print it."""
        with self._store.read() as tx:
            return tx.session_keys.list_all()

    def _load(self, *, create_if_empty: bool) -> None:
        with self._store.read() as tx:
            records = tx.session_keys.list_all()
        if not records and create_if_empty:
            records = [self._create_first()]
        now = self._clock.now()
        live = [r for r in records if r.superseded_at is None or now - r.superseded_at <= _GRACE]
        keys = {bytes.fromhex(r.key_id): RingKey(bytes.fromhex(r.key_id), r.material) for r in live}
        # Primary: the newest key not superseded (or, if a concurrent rotation left none, the newest).
        current = [r for r in live if r.superseded_at is None] or live
        with self._lock:
            self._keys = keys
            if current:
                newest = max(current, key=lambda r: (r.created_at, r.key_id))
                self._primary = keys[bytes.fromhex(newest.key_id)]
            self._loaded_at = time.monotonic()

    def _create_first(self) -> SessionKeyRecord:
        # Two workers may race to create the first key: both keys are valid; the newest becomes primary.
        key = _new_key(self._clock.now().replace(microsecond=0))
        try:
            with self._store.write() as tx:
                if tx.session_keys.list_all():
                    return tx.session_keys.list_all()[-1]
                tx.session_keys.create(key)
        except DuplicateKeyError:  # pragma: no cover - 32 random bits colliding
            pass
        return key


def _new_key(now: dt.datetime) -> SessionKeyRecord:
    return SessionKeyRecord(key_id=os.urandom(KEY_ID_BYTES).hex(), material=os.urandom(32), created_at=now)
