"""The key ring: sealed at rest, rotated without breaking live sessions, old keys retired after the longest session."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from sqlalchemy import select

from rolegate.core import ids
from rolegate.core.clock import FixedClock
from rolegate.core.errors import InvalidClientTokenId
from rolegate.store import schema as t
from rolegate.store.sql import SqlStore
from rolegate.sts.keyring import MAX_SESSION_SECONDS, KeyRing
from rolegate.sts.tokens import USER, SessionClaims, SessionCodec

from .conftest import ACCOUNT, START


def _claims(hours: float = 1) -> SessionClaims:
    return SessionClaims(kind=USER, account_id=ACCOUNT,
                         access_key_id=ids.new_access_key_id(ACCOUNT, prefix=ids.SESSION_KEY), issued_at=START,
                         expires_at=START + dt.timedelta(hours=hours), principal_id="AIDAEXAMPLE",
                         principal_arn=f"arn:aws:iam::{ACCOUNT}:user/u", principal_name="u")


def test_first_use_creates_one_key_sealed_at_rest(ring: KeyRing, store: SqlStore) -> None:
    key = ring.primary()
    assert [r.key_id for r in ring.records()] == [key.key_id_hex]
    with store._engine.connect() as conn:  # type: ignore[attr-defined]
        stored = conn.execute(select(t.session_keys.c.material_sealed)).scalars().all()
    assert len(stored) == 1 and stored[0].startswith("v1:")  # sealed under the master key
    assert base64.b64encode(key.material).decode() not in stored[0]


def test_rotation_keeps_live_sessions_working(ring: KeyRing, codec: SessionCodec) -> None:
    before = codec.seal(_claims())
    old = ring.primary().key_id
    ring.rotate()
    assert ring.primary().key_id != old
    after = codec.seal(_claims())
    codec.open(before.session_token, before.claims.access_key_id)
    codec.open(after.session_token, after.claims.access_key_id)


def test_rotation_in_another_process_is_seen_by_this_one(store: SqlStore, clock: FixedClock, codec: SessionCodec,
                                                         ring: KeyRing) -> None:
    ring.primary()
    other_process = KeyRing(store, clock)
    other_codec = SessionCodec(other_process, clock)
    other_process.rotate()
    sealed = other_codec.seal(_claims())  # under a key this process has not loaded yet
    claims, _ = codec.open(sealed.session_token, sealed.claims.access_key_id)
    assert claims == sealed.claims


def test_superseded_key_is_retired_after_the_longest_session(ring: KeyRing, codec: SessionCodec,
                                                             clock: FixedClock, store: SqlStore) -> None:
    sealed = codec.seal(_claims(hours=100))  # longer than any real session, to isolate key retirement
    ring.rotate()
    clock.advance(MAX_SESSION_SECONDS)
    codec.open(sealed.session_token, sealed.claims.access_key_id)  # still inside the grace period
    clock.advance(3600)
    fresh = KeyRing(store, clock)
    with pytest.raises(InvalidClientTokenId):
        SessionCodec(fresh, clock).open(sealed.session_token, sealed.claims.access_key_id)
    ring.rotate()  # prunes keys past their grace from the store
    assert len(ring.records()) == 2
