"""The audit files are drained from the store copy: committed records reach the sink in commit order, once; an
incomplete record waits for its completion a grace period, then goes out marked; retention goes through the
bookkeeping writer and spares what was not handed on (docs/adr/0041-audit-record-commits-with-its-change.md).
The drain lock is tested on every backend in tests/store/test_sql_audit_events.py."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from rolegate.audit.drain import COMPLETION_GRACE, AuditDrain
from rolegate.audit.events import stored_event
from rolegate.core.bookkeeping import Bookkeeping
from rolegate.core.clock import FixedClock
from rolegate.store.engine import ConsumerLock, create_store_engine
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore
from tests.migrated import copy_database

T0 = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)


class ListSink:
    """The sink interface (``append`` → seq, ``durable``, ``close``) over a list, to see what was handed on."""

    def __init__(self, written_before: frozenset[str] = frozenset()) -> None:
        self.lines: list[dict[str, Any]] = []
        self.durable_upto = 0
        self.written_before = written_before

    def append(self, records: Iterable[dict[str, Any]], *, encoded: Sequence[str] | None = None) -> int:
        records = list(records)
        # The drain hands on each record's stored JSON with it: the files get the very text the store keeps.
        assert encoded is not None and [json.loads(text) for text in encoded] == records
        self.lines += records
        return len(self.lines)

    def durable(self, seq: int) -> None:
        self.durable_upto = seq

    def written_before_start(self) -> frozenset[str]:
        return self.written_before

    def close(self) -> None:
        pass


@pytest.fixture
def store(migrated_database: Path, tmp_path: Path) -> Iterator[SqlStore]:
    s = SqlStore(create_store_engine(copy_database(migrated_database, tmp_path / "store.db")), Sealer(b"k" * 32))
    yield s
    s.close()


def record(n: int, when: dt.datetime = T0, **extra: Any) -> dict[str, Any]:
    return {"eventID": f"00000000-0000-0000-0000-{n:012d}", "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventName": "CreateRole", "eventSource": "iam.amazonaws.com", "recipientAccountId": "123456789012",
            "userIdentity": {"type": "Root"}, "readOnly": False, "requestID": f"req-{n}", **extra}


def add(store: SqlStore, *records: dict[str, Any], complete: bool = True) -> None:
    with store.write() as uow:
        uow.audit_events.add([stored_event(r, complete=complete) for r in records])


def drain_for(store: SqlStore, tmp_path: Path, clock: FixedClock, sink: ListSink,
              name: str = "drain.lock", bookkeeping: Bookkeeping[Any] | None = None) -> AuditDrain:
    bookkeeping = bookkeeping or Bookkeeping(store.write)
    return AuditDrain(store, lambda: sink, ConsumerLock(store.engine, tmp_path / name), clock, bookkeeping,
                      retention_days=90)


def test_committed_records_reach_the_sink_in_commit_order_once(store: SqlStore, tmp_path: Path) -> None:
    add(store, record(1), record(2))
    add(store, record(3))
    sink = ListSink()
    drain = drain_for(store, tmp_path, FixedClock(T0), sink)
    assert drain.drain_once()
    assert not drain.drain_once()
    assert [r["requestID"] for r in sink.lines] == ["req-1", "req-2", "req-3"]
    assert sink.durable_upto == 3


def test_a_new_drainer_starts_after_the_mark_of_the_last(store: SqlStore, tmp_path: Path) -> None:
    add(store, record(1))
    first = ListSink()
    drain_for(store, tmp_path, FixedClock(T0), first).drain_once()
    add(store, record(2))
    second = ListSink()
    drain_for(store, tmp_path, FixedClock(T0), second, "other.lock").drain_once()
    assert [r["requestID"] for r in second.lines] == ["req-2"]


def test_records_a_stopped_drainer_made_durable_before_its_mark_are_not_handed_on_twice(
        store: SqlStore, tmp_path: Path) -> None:
    # The drainer was killed between the files' fsync of records 1 and 2 and the commit of its mark: the next
    # sink finds them in the files that drainer left open (TrailWriter.written_before_start).
    add(store, record(1), record(2), record(3))
    sink = ListSink(written_before=frozenset({record(1)["eventID"], record(2)["eventID"]}))
    drain = drain_for(store, tmp_path, FixedClock(T0), sink)
    assert drain.drain_once() == 3
    assert [r["requestID"] for r in sink.lines] == ["req-3"]
    assert not drain.drain_once()
    with store.read() as tx:
        assert tx.audit_events.mark("files") == tx.audit_events.after(0, 10)[-1][0]


def test_an_incomplete_record_waits_for_its_completion_within_the_grace_period(store: SqlStore, tmp_path: Path) -> None:
    add(store, record(1, rolegateResponseUnrecorded=True), complete=False)
    add(store, record(2))
    sink, clock = ListSink(), FixedClock(T0)
    drain = drain_for(store, tmp_path, clock, sink)
    assert not drain.drain_once()  # record 1 may still be completed, and record 2 must not pass it
    with store.write() as uow:
        uow.audit_events.complete(stored_event(record(1, responseElements={"role": {}}), complete=True))
    assert drain.drain_once()
    assert [(r["requestID"], "responseElements" in r) for r in sink.lines] == [("req-1", True), ("req-2", False)]


def test_an_incomplete_record_goes_out_marked_after_the_grace_period(store: SqlStore, tmp_path: Path) -> None:
    add(store, record(1, rolegateResponseUnrecorded=True), complete=False)
    sink, clock = ListSink(), FixedClock(T0)
    drain = drain_for(store, tmp_path, clock, sink)
    clock.advance(COMPLETION_GRACE.total_seconds() + 1)
    assert drain.drain_once()
    assert sink.lines[0]["rolegateResponseUnrecorded"] is True


def test_retention_deletes_through_the_bookkeeping_writer_only_what_was_handed_on(
        store: SqlStore, tmp_path: Path) -> None:
    old = T0 - dt.timedelta(days=100)
    add(store, record(1, old))
    sink, clock = ListSink(), FixedClock(T0)
    bookkeeping: Bookkeeping[Any] = Bookkeeping(store.write)
    drain = drain_for(store, tmp_path, clock, sink, bookkeeping=bookkeeping)
    drain.drain_once()
    add(store, record(2, old))  # old, but not yet handed on
    drain.expire_old_records()
    assert bookkeeping.settle(5)
    with store.read() as tx:
        assert [json.loads(e.record)["requestID"] for _, e in tx.audit_events.after(0, 10)] == ["req-2"]
