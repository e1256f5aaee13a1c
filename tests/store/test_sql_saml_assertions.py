"""The record of redeemed SAML assertions: one redemption per key until it expires, shared through the store
(so every worker and node sees it), claimed many at a time, and expired records removed as new ones arrive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from rolegate.store import schema as t
from rolegate.store.sql import SqlStore
from rolegate.store.sql import sts as sts_sql

NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)


def claim(store: SqlStore, key: str, expires: dt.datetime, now: dt.datetime = NOW) -> bool:
    [first] = store.saml_assertions.claim_many([(key, expires)], now)
    return first


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


def test_a_batch_answers_each_claim_and_the_first_of_a_repeated_key_wins(store: SqlStore, store_url: str) -> None:
    expires = NOW + dt.timedelta(minutes=5)
    assert claim(store, "f" * 64, expires)
    answers = store.saml_assertions.claim_many(
        [("g" * 64, expires), ("f" * 64, expires), ("h" * 64, expires), ("g" * 64, expires)], NOW)
    assert answers == [True, False, True, False]
    assert rows(store_url) == 3
    assert not claim(store, "h" * 64, expires)


def test_a_record_left_after_its_expiry_is_taken_over_in_place(store: SqlStore, store_url: str) -> None:
    """Expired records are swept once a minute, not every batch: until then, the claim itself treats an expired
    record as absent, and a live one as taken."""
    claim(store, "i" * 64, NOW + dt.timedelta(seconds=10))
    later = NOW + dt.timedelta(seconds=30)  # inside the sweep interval: the expired record is still there
    assert rows(store_url) == 1
    assert claim(store, "i" * 64, later + dt.timedelta(minutes=5), later)
    assert rows(store_url) == 1
    assert not claim(store, "i" * 64, later + dt.timedelta(minutes=5), later + dt.timedelta(seconds=1))


def test_expired_records_are_swept_at_most_once_a_minute(store: SqlStore, store_url: str) -> None:
    claim(store, "j" * 64, NOW + dt.timedelta(seconds=5))
    claim(store, "k" * 64, NOW + dt.timedelta(hours=1), NOW + dt.timedelta(seconds=30))
    assert rows(store_url) == 2  # j has expired, but the last sweep was 30 s ago
    claim(store, "l" * 64, NOW + dt.timedelta(hours=1), NOW + sts_sql.SWEEP_INTERVAL)
    assert rows(store_url) == 2  # swept: j is gone; k and l remain


def test_a_failed_batch_records_nothing(store: SqlStore, store_url: str) -> None:
    """The batch is one transaction: an error before its commit leaves no record of its claims, which a
    later batch can then make."""
    expires = NOW + dt.timedelta(minutes=5)
    log = store.saml_assertions
    real_open = log._open_write

    @contextmanager
    def failing_write() -> Iterator[Any]:
        with real_open() as conn:
            yield conn
            raise OSError("disk I/O error")  # after the statements, before the commit

    log._open_write = failing_write  # type: ignore[method-assign]
    try:
        with pytest.raises(OSError):
            log.claim_many([("m" * 64, expires)], NOW)
    finally:
        log._open_write = real_open  # type: ignore[method-assign]
    assert rows(store_url) == 0
    assert claim(store, "m" * 64, expires)
