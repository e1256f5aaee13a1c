"""The store copy of the audit trail: a request's record commits exactly with its change, a record that cannot be
inserted rolls the change back, completion replaces the request half, lookups filter and page newest first, and
retention deletes only old records the drain has handed on (docs/adr/0041-audit-record-commits-with-its-change.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy import event as sa_event

from rolegate.core.errors import AuditUnavailable
from rolegate.iam.entities import AccountRecord
from rolegate.store.engine import ConsumerLock, create_store_engine
from rolegate.store.ports import AuditEvent, CarriedEvents, carrying
from rolegate.store.sql import SqlStore

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
ACCOUNT = AccountRecord("111122223333", "acme", T0)


def event(n: int, *, when: dt.datetime = T0, name: str = "CreateRole", account: str = "111122223333",
          complete: bool = True, resources: tuple[tuple[str, str], ...] = ()) -> AuditEvent:
    return AuditEvent(event_id=f"00000000-0000-0000-0000-{n:012d}", event_time=when, event_name=name,
                      event_source="iam.amazonaws.com", username="root", access_key_id="AKIAEXAMPLE",
                      read_only=False, recipient_account_id=account, resources=resources,
                      record=f'{{"n":{n}}}', complete=complete)


@pytest.fixture
def observer(store_url: str) -> Iterator[Engine]:
    """A second store on the same database: it sees only what committed."""
    engine = create_store_engine(store_url)
    yield engine
    engine.dispose()


def committed(store: SqlStore) -> list[AuditEvent]:
    with store.read() as tx:
        return [e for _, e in tx.audit_events.after(0, 100)]


def test_carried_events_commit_with_the_change(store: SqlStore) -> None:
    carried = CarriedEvents((event(1),))
    with carrying(carried), store.write() as uow:
        uow.accounts.create(ACCOUNT)
    assert carried.committed
    with store.read() as tx:
        assert tx.accounts.get(ACCOUNT.account_id) == ACCOUNT
    assert [e.event_id for e in committed(store)] == [event(1).event_id]


def test_carried_events_roll_back_with_a_failed_change_and_ride_the_next_write(store: SqlStore) -> None:
    carried = CarriedEvents((event(1),))
    with carrying(carried):
        with pytest.raises(RuntimeError):
            with store.write() as uow:
                uow.accounts.create(ACCOUNT)
                raise RuntimeError("the handler failed after writing")
        assert not carried.committed and committed(store) == []
        with store.write() as uow:
            uow.accounts.create(ACCOUNT)
    assert carried.committed
    assert len(committed(store)) == 1


def test_only_the_first_committed_write_of_a_request_carries_its_events(store: SqlStore) -> None:
    carried = CarriedEvents((event(1),))
    with carrying(carried):
        with store.write() as uow:
            uow.accounts.create(ACCOUNT)
        with store.write() as uow:
            uow.accounts.create(AccountRecord("222233334444", "other", T0))
    assert len(committed(store)) == 1


def test_a_nested_write_leaves_the_events_to_the_outer_one(store: SqlStore) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite nests a write inside a write (a savepoint); PostgreSQL would wait on its own lock")
    carried = CarriedEvents((event(1),))
    with carrying(carried):
        with pytest.raises(RuntimeError):
            with store.write() as uow:
                with store.write() as inner:
                    inner.accounts.create(ACCOUNT)
                raise RuntimeError("the outer write fails after the inner one finished")
    assert not carried.committed
    assert committed(store) == []


def _refuse_audit_inserts(store: SqlStore) -> None:
    """A trigger that fails every insert into audit_events: the audit row cannot be written, nothing else fails."""
    with store.write() as uow:
        conn = uow.connection
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
                                 "BEGIN SELECT RAISE(ABORT, 'audit refused'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
                                 "RAISE EXCEPTION 'audit refused'; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
                                 "FOR EACH ROW EXECUTE FUNCTION refuse_audit()")


def test_a_record_that_cannot_be_inserted_rolls_its_change_back(store: SqlStore, observer: Engine) -> None:
    _refuse_audit_inserts(store)
    carried = CarriedEvents((event(1),))
    with pytest.raises(AuditUnavailable) as exc:
        with carrying(carried), store.write() as uow:
            uow.accounts.create(ACCOUNT)
    assert exc.value.status == 503 and exc.value.code == "ServiceUnavailable"
    assert not carried.committed
    with store.read() as tx:
        assert tx.accounts.get(ACCOUNT.account_id) is None
    with observer.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM accounts WHERE account_id = '111122223333'").scalar() == 0


def test_completion_replaces_the_request_half_and_its_resources(store: SqlStore) -> None:
    with store.write() as uow:
        uow.audit_events.add([event(1, complete=False, resources=(("AWS::IAM::Role", "r"),))])
    whole = AuditEvent(**{**_fields(event(1)), "record": '{"n":1,"responseElements":{}}',
                          "resources": (("AWS::IAM::Role", "r"), ("AWS::IAM::AccessKey", "ASIA1"))})
    with store.write() as uow:
        assert uow.audit_events.complete(whole)
        assert not uow.audit_events.complete(event(2))
    [found] = committed(store)
    assert found.complete and found.record == whole.record and found.resources == whole.resources


def _fields(e: AuditEvent) -> dict[str, object]:
    return {name: getattr(e, name) for name in AuditEvent.__slots__}  # type: ignore[attr-defined]


def test_lookup_filters_one_attribute_in_a_time_range_newest_first_and_pages(store: SqlStore) -> None:
    with store.write() as uow:
        uow.audit_events.add([event(i, when=T0 + dt.timedelta(seconds=i), name="AssumeRole" if i % 2 else "GetRole",
                                    resources=(("AWS::IAM::Role", f"role-{i}"),)) for i in range(1, 8)])
        uow.audit_events.add([event(99, name="AssumeRole", account="999988887777")])
    end = T0 + dt.timedelta(hours=1)
    with store.read() as tx:
        page = tx.audit_events.lookup("111122223333", key="EventName", value="AssumeRole", start=T0, end=end,
                                      before=None, limit=2)
        assert [e.event_id[-1] for _, e in page] == ["7", "5"]
        seq, last = page[-1]
        rest = tx.audit_events.lookup("111122223333", key="EventName", value="AssumeRole", start=T0, end=end,
                                      before=(last.event_time, seq), limit=10)
        assert [e.event_id[-1] for _, e in rest] == ["3", "1"]
        by_resource = tx.audit_events.lookup("111122223333", key="ResourceName", value="role-4", start=T0, end=end,
                                             before=None, limit=10)
        assert [e.event_id[-1] for _, e in by_resource] == ["4"]
        in_range = tx.audit_events.lookup("111122223333", key=None, value=None, start=T0 + dt.timedelta(seconds=2),
                                          end=T0 + dt.timedelta(seconds=3), before=None, limit=10)
        assert [e.event_id[-1] for _, e in in_range] == ["3", "2"]


def test_retention_deletes_old_records_only_once_handed_on(store: SqlStore) -> None:
    old, new = T0 - dt.timedelta(days=91), T0
    with store.write() as uow:
        uow.audit_events.add([event(1, when=old, resources=(("AWS::IAM::Role", "r"),)), event(2, when=old),
                              event(3, when=new)])
    with store.read() as tx:
        first_seq = tx.audit_events.after(0, 1)[0][0]
    with store.write() as uow:
        assert uow.audit_events.delete_before(T0 - dt.timedelta(days=90), up_to_seq=first_seq) == 1
    assert [e.event_id[-1] for e in committed(store)] == ["2", "3"]


def test_the_mark_starts_at_zero_and_moves(store: SqlStore) -> None:
    with store.write() as uow:
        assert uow.audit_events.mark("files") == 0
        uow.audit_events.set_mark("files", 7)
    with store.write() as uow:
        uow.audit_events.set_mark("files", 9)
    with store.read() as tx:
        assert tx.audit_events.mark("files") == 9


def test_a_seq_is_never_reused_after_retention_emptied_the_table(store: SqlStore) -> None:
    with store.write() as uow:
        uow.audit_events.add([event(1, when=T0 - dt.timedelta(days=91))])
    with store.read() as tx:
        [(first, _)] = tx.audit_events.after(0, 10)
    with store.write() as uow:
        uow.audit_events.set_mark("files", first)
        assert uow.audit_events.delete_before(T0, up_to_seq=first) == 1
    with store.write() as uow:
        uow.audit_events.add([event(2)])
    with store.read() as tx:
        assert [e.event_id for _, e in tx.audit_events.after(tx.audit_events.mark("files"), 10)] == [event(2).event_id]


def test_one_holder_of_the_drain_lock_at_a_time_on_every_backend(store: SqlStore, tmp_path: Path) -> None:
    """The audit drain's lock (an flock beside SQLite, a session advisory lock on PostgreSQL): a second holder
    is refused until the first lets go."""
    one, two = ConsumerLock(store.engine, tmp_path / "drain.lock"), ConsumerLock(store.engine, tmp_path / "drain.lock")
    try:
        assert one.acquire() and one.acquire()  # held: asking again is still yes
        assert not two.acquire()
        one.release()
        assert two.acquire()
    finally:
        one.release()
        two.release()


def test_records_appended_alone_commit_in_one_lean_batch_each_with_its_own_resources(store: SqlStore) -> None:
    # A credential issuance's records (docs/adr/0044): many in one transaction; every seq follows the last one, in
    # the batch's order, and each record keeps its own resources (SQLite's seqs are read from the last rowid).
    with store.write() as uow:
        uow.audit_events.add([event(1)])
    batch = [event(n, resources=(("AWS::IAM::AccessKey", f"ASIA{n}"), ("AWS::STS::AssumedRole", f"s-{n}")))
             for n in range(2, 40)]
    store.audit_log.append(batch)
    store.audit_log.append([])
    with store.read() as tx:
        rows = tx.audit_events.after(0, 100)
    assert [e.event_id for _, e in rows] == [event(1).event_id] + [e.event_id for e in batch]
    seqs = [seq for seq, _ in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert [e.resources for _, e in rows[1:]] == [e.resources for e in batch]
    assert rows[1][1].event_time == T0 and rows[1][1].complete and not rows[1][1].read_only
    with store.read() as tx:
        found = tx.audit_events.lookup("111122223333", key="ResourceName", value="s-17", start=T0,
                                       end=T0 + dt.timedelta(hours=1), before=None, limit=10)
    assert [e.event_id for _, e in found] == [event(17).event_id]


def test_a_batch_appended_alone_that_the_database_refuses_keeps_none_of_it(store: SqlStore) -> None:
    _refuse_audit_inserts(store)
    with pytest.raises(AuditUnavailable):
        store.audit_log.append([event(1), event(2)])
    assert committed(store) == []


def test_a_lookup_page_is_read_off_the_account_time_index_not_sorted(store: SqlStore) -> None:
    """Migration 0016: one account's records in a time range, newest first, come in the index's order, so a page
    stops at its 50th match instead of sorting every record of the range (both dialects; on PostgreSQL with the
    alternatives priced out, since on a table this small its planner would rightly prefer to scan and sort)."""
    with store.write() as uow:
        uow.audit_events.add([event(i, when=T0 + dt.timedelta(seconds=i)) for i in range(1, 20)])
    seen: list[tuple[str, object]] = []

    def capture(_conn: object, _cursor: object, statement: str, parameters: object, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "audit_events" in statement:
            seen.append((statement, parameters))

    engine = store.engine
    sa_event.listen(engine, "before_cursor_execute", capture)
    try:
        with store.read() as tx:
            tx.audit_events.lookup("111122223333", key="EventName", value="CreateRole", start=T0,
                                   end=T0 + dt.timedelta(hours=1), before=(T0 + dt.timedelta(seconds=9), 9), limit=5)
    finally:
        sa_event.remove(engine, "before_cursor_execute", capture)
    (statement, parameters), = seen
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "ix_audit_events_account_time" in plan and "TEMP B-TREE" not in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = " ".join(str(row[0]) for row in cursor.fetchall())
            assert "ix_audit_events_account_time" in plan and "Sort" not in plan, plan
        conn.rollback()
