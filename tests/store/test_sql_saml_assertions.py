"""The record of redeemed SAML assertions: one redemption per key until it expires, shared through the store
(so every worker and node sees it), and expired records removed as new ones arrive."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, func, select

from rolegate.store import schema as t
from rolegate.store.sql import SqlStore

NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


def claim(store: SqlStore, key: str, expires: dt.datetime, now: dt.datetime = NOW) -> bool:
    with store.write() as tx:
        return tx.saml_assertions.claim(key, expires, now)


def rows(store_url: str) -> int:
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.saml_assertions)).scalar_one())
    finally:
        engine.dispose()


def test_an_assertion_is_claimed_once_until_it_expires(store: SqlStore) -> None:
    expires = NOW + dt.timedelta(minutes=5)
    assert claim(store, "a" * 64, expires)
    assert not claim(store, "a" * 64, expires, NOW + dt.timedelta(minutes=4))
    assert claim(store, "b" * 64, expires)


def test_expired_records_are_removed_when_the_next_is_claimed(store: SqlStore, store_url: str) -> None:
    claim(store, "c" * 64, NOW + dt.timedelta(minutes=1))
    claim(store, "d" * 64, NOW + dt.timedelta(hours=1))
    assert rows(store_url) == 2
    assert claim(store, "e" * 64, NOW + dt.timedelta(hours=1), NOW + dt.timedelta(minutes=2))
    assert rows(store_url) == 2  # c expired and is gone; d and e remain
