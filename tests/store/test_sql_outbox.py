"""A unit of work's outbox records are inserted in its own transaction: they commit with the change they
describe and roll back with it, so no committed change lacks its record and no record outlives its change."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from rolegate.iam.entities import AccountRecord
from rolegate.store import schema
from rolegate.store.engine import create_store_engine
from rolegate.store.ports import OutboxRecord
from rolegate.store.sql import SqlStore

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
ACCOUNT = AccountRecord("111122223333", "acme", T0)


@pytest.fixture
def observer(store_url: str) -> Iterator[Engine]:
    """A second engine on the same database: it sees only what committed."""
    engine = create_store_engine(store_url)
    yield engine
    engine.dispose()


def _outbox(engine: Engine) -> list[tuple[str, object, dt.datetime]]:
    with engine.connect() as conn:
        rows = conn.execute(select(schema.outbox).order_by(schema.outbox.c.id)).all()
    return [(r.kind, json.loads(r.payload), r.created_at.replace(tzinfo=dt.timezone.utc)) for r in rows]


def test_a_record_commits_with_the_change(store: SqlStore, observer: Engine) -> None:
    with store.write() as uow:
        uow.accounts.create(ACCOUNT)
        uow.outbox.add(OutboxRecord("iam.CreateAccount", {"accountId": ACCOUNT.account_id, "n": [1, 2]}, T0))

    with store.read() as tx:
        assert tx.accounts.get(ACCOUNT.account_id) == ACCOUNT
    assert _outbox(observer) == [("iam.CreateAccount", {"accountId": "111122223333", "n": [1, 2]}, T0)]


def test_a_record_rolls_back_with_the_change(store: SqlStore, observer: Engine) -> None:
    with pytest.raises(RuntimeError, match="handler failed"):
        with store.write() as uow:
            uow.accounts.create(ACCOUNT)
            uow.outbox.add(OutboxRecord("iam.CreateAccount", {"accountId": ACCOUNT.account_id}, T0))
            raise RuntimeError("handler failed after both were written")

    with store.read() as tx:
        assert tx.accounts.get(ACCOUNT.account_id) is None
    assert _outbox(observer) == []


def test_a_payload_json_cannot_hold_fails_the_write_and_keeps_nothing(store: SqlStore,
                                                                      observer: Engine) -> None:
    with pytest.raises(TypeError):
        with store.write() as uow:
            uow.accounts.create(ACCOUNT)
            uow.outbox.add(OutboxRecord("iam.CreateAccount", {"when": object()}, T0))

    with store.read() as tx:
        assert tx.accounts.list_all() == []
    assert _outbox(observer) == []


def test_records_keep_the_order_they_were_added_in(store: SqlStore, observer: Engine) -> None:
    with store.write() as uow:
        uow.outbox.add(OutboxRecord("first", {}, T0))
        uow.outbox.add(OutboxRecord("second", {}, T0))
    with store.write() as uow:
        uow.outbox.add(OutboxRecord("third", {}, T0 + dt.timedelta(seconds=1)))

    assert [kind for kind, _, _ in _outbox(observer)] == ["first", "second", "third"]
