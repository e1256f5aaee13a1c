"""The SQL repository of the audit trail's store copy: records inserted (in the transaction of the change they
describe, or alone), completed with their response, read in commit order by the file drain, looked up newest
first for LookupEvents, and deleted after the retention period
(docs/adr/0041-audit-record-commits-with-its-change.md)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from rolegate.core.errors import AuditUnavailable
from rolegate.store.engine import resource_failure

from rolegate.store import schema as t
from rolegate.store.ports import AuditEvent

from .rows import grouped, utc
from .write_lock import WriterBusy

_E = t.audit_events
_R = t.audit_event_resources
_M = t.audit_marks

# Built once: every audited write adds rows through them. On PostgreSQL one statement for a batch of events, the
# seqs coming back in the batch's order (SQLAlchemy's "insertmanyvalues" with RETURNING); SQLite: ``_insert_sqlite``.
_INSERT_EVENTS = insert(_E).returning(_E.c.seq, sort_by_parameter_order=True)
_INSERT_RESOURCES = insert(_R)
_COMPLETE = update(_E).where(_E.c.event_id == bindparam("id")).values(record=bindparam("rec"), complete=True)
_SEQ_OF = select(_E.c.seq).where(_E.c.event_id == bindparam("id"))
_AFTER = select(_E).where(_E.c.seq > bindparam("seq")).order_by(_E.c.seq).limit(bindparam("n"))

#: LookupEvents' attribute keys and the column each filters (API_LookupAttribute.html); the two resource keys
#: filter on ``audit_event_resources``.
ATTRIBUTE_COLUMNS = {"EventId": _E.c.event_id, "EventName": _E.c.event_name, "EventSource": _E.c.event_source,
                     "Username": _E.c.username, "AccessKeyId": _E.c.access_key_id, "ReadOnly": _E.c.read_only}
RESOURCE_COLUMNS = {"ResourceType": _R.c.resource_type, "ResourceName": _R.c.resource_name}


def _utc_naive(when: dt.datetime) -> dt.datetime:
    # One spelling for every stored and compared time, so SQLite's text comparison orders them as times.
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None)


class SqlAuditEvents:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add(self, events: Sequence[AuditEvent]) -> None:
        insert_events(self._c, events)

    def complete(self, event: AuditEvent) -> bool:
        """Write the whole record ``event`` over its request half (and its resources, which the response may add);
        False when no such row exists."""
        seq = self._c.execute(_SEQ_OF, {"id": event.event_id}).scalar_one_or_none()
        if seq is None:
            return False
        self._c.execute(_COMPLETE, {"id": event.event_id, "rec": event.record})
        self._c.execute(delete(_R).where(_R.c.seq == seq))
        _insert_resources(self._c, [(seq, event)])
        return True

    def after(self, seq: int, limit: int, *, with_resources: bool = True) -> list[tuple[int, AuditEvent]]:
        """Up to ``limit`` records committed after ``seq``, in commit order; without their resources (one query
        fewer) unless ``with_resources``."""
        rows = self._c.execute(_AFTER, {"seq": seq, "n": limit}).all()
        return self._events(rows, with_resources=with_resources)

    def lookup(self, account_id: str, *, key: str | None, value: Any, start: dt.datetime, end: dt.datetime,
               before: tuple[dt.datetime, int] | None, limit: int) -> list[tuple[int, AuditEvent]]:
        """``account_id``'s records with ``start <= eventTime <= end`` matching the one attribute (if any), newest
        first, after the page position ``before`` ((time, seq) of the last record of the previous page)."""
        q = select(_E).where(_E.c.recipient_account_id == account_id,
                             _E.c.event_time >= _utc_naive(start), _E.c.event_time <= _utc_naive(end))
        if key in ATTRIBUTE_COLUMNS:
            q = q.where(ATTRIBUTE_COLUMNS[key] == value)
        elif key in RESOURCE_COLUMNS:
            q = q.where(exists().where(_R.c.seq == _E.c.seq, RESOURCE_COLUMNS[key] == value))
        if before is not None:
            when, seq = _utc_naive(before[0]), before[1]
            q = q.where(or_(_E.c.event_time < when, and_(_E.c.event_time == when, _E.c.seq < seq)))
        rows = self._c.execute(q.order_by(_E.c.event_time.desc(), _E.c.seq.desc()).limit(limit)).all()
        return self._events(rows)

    def delete_before(self, cutoff: dt.datetime, *, up_to_seq: int) -> int:
        """Delete records older than ``cutoff`` that the drain has already handed on (``seq <= up_to_seq``)."""
        doomed = select(_E.c.seq).where(_E.c.event_time < _utc_naive(cutoff), _E.c.seq <= up_to_seq)
        self._c.execute(delete(_R).where(_R.c.seq.in_(doomed)))  # explicitly: no reliance on ON DELETE CASCADE
        return int(self._c.execute(delete(_E).where(_E.c.event_time < _utc_naive(cutoff),
                                                    _E.c.seq <= up_to_seq)).rowcount)

    def mark(self, consumer: str) -> int:
        """The last ``seq`` ``consumer`` has handed on (0 before its first)."""
        found = self._c.execute(select(_M.c.seq).where(_M.c.consumer == consumer)).scalar_one_or_none()
        return int(found) if found is not None else 0

    def set_mark(self, consumer: str, seq: int) -> None:
        if not self._c.execute(update(_M).where(_M.c.consumer == consumer).values(seq=seq)).rowcount:
            self._c.execute(insert(_M).values(consumer=consumer, seq=seq))

    def _events(self, rows: Sequence[Any], *, with_resources: bool = True) -> list[tuple[int, AuditEvent]]:
        if not rows:
            return []
        resources = grouped(
            (str(r.seq), (r.resource_type, r.resource_name))
            for r in self._c.execute(select(_R).where(_R.c.seq.in_([row.seq for row in rows]))
                                     .order_by(_R.c.seq, _R.c.position))) if with_resources else {}
        # Rows unpacked as tuples, in the table's column order: a Row's attribute lookup per column cost the drain
        # more than reading the record did.
        return [(int(seq), AuditEvent(
            event_id=event_id, event_time=utc(event_time), event_name=event_name, event_source=event_source,
            username=username, access_key_id=access_key_id, read_only=bool(read_only),
            recipient_account_id=recipient_account_id, resources=tuple(resources.get(str(seq), ())), record=record,
            complete=bool(complete)))
            for (seq, event_id, event_time, event_name, event_source, username, access_key_id, read_only,
                 recipient_account_id, complete, record) in rows]


class SqlAuditLog:
    """Records written alone — a credential issuance's, whose call changed nothing — in a lean transaction of
    their own per batch (``SqlStore._lean_write``): two statements for the whole batch and one commit, no unit of
    work. Right only because no cache is derived from ``audit_events`` (it is no invalidation scope) and every
    insert still runs under the one write lock, so ``seq`` order stays commit order for the drain
    (docs/adr/0044-issuance-records-in-lean-batches.md)."""

    def __init__(self, open_write: Callable[..., AbstractContextManager[Connection]], *, local: bool) -> None:
        self._open_write = open_write
        self.local = local

    def append(self, events: Sequence[AuditEvent], *, wait: bool = True) -> bool:
        if not events:
            return True
        try:
            with self._open_write(wait=wait) as conn, refused_as_unavailable():
                insert_events(conn, events)
        except WriterBusy:
            return False
        return True


def insert_events(conn: Connection, events: Sequence[AuditEvent]) -> None:
    """Insert ``events`` and their resources: one statement for the events, one for every resource."""
    if not events:
        return
    rows = [(e.event_id, _utc_naive(e.event_time), e.event_name, e.event_source, e.username, e.access_key_id,
             e.read_only, e.recipient_account_id, e.complete, e.record) for e in events]
    if conn.dialect.name == "sqlite":
        seqs: Sequence[int] = _insert_sqlite(conn, rows)
    else:
        seqs = [int(s) for s in conn.execute(_INSERT_EVENTS, [dict(zip(_EVENT_COLUMNS, row)) for row in rows])
                .scalars().all()]
    _insert_resources(conn, list(zip(seqs, events)))


def _insert_resources(conn: Connection, rows: Sequence[tuple[int, AuditEvent]]) -> None:
    """The resources of each (seq, event), in one statement (per chunk on SQLite)."""
    resources = [(seq, i, kind, name) for seq, event in rows for i, (kind, name) in enumerate(event.resources)]
    if not resources:
        return
    if conn.dialect.name == "sqlite":
        for chunk in _chunks(resources, _SQLITE_ROWS_PER_STATEMENT):
            conn.exec_driver_sql(_sqlite_insert_sql(_R.name, _RESOURCE_COLUMNS, len(chunk)),
                                 tuple(v for row in chunk for v in row))
    else:
        conn.execute(_INSERT_RESOURCES, [dict(zip(_RESOURCE_COLUMNS, row)) for row in resources])


_EVENT_COLUMNS = ("event_id", "event_time", "event_name", "event_source", "username", "access_key_id", "read_only",
                  "recipient_account_id", "complete", "record")
_RESOURCE_COLUMNS = ("seq", "position", "resource_type", "resource_name")
# Under SQLite's default limit of 32,766 bound parameters per statement (https://www.sqlite.org/limits.html, #9).
_SQLITE_ROWS_PER_STATEMENT = 1000


def _insert_sqlite(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """One multi-row INSERT per chunk, its seqs read from the last rowid: ``seq`` is an AUTOINCREMENT key, so
    each new row's is one more than the largest ever used (https://www.sqlite.org/autoinc.html), and inside the
    write transaction nothing else inserts between the rows of one statement — they are consecutive. (SQLite
    leaves the order of RETURNING rows unspecified, and SQLAlchemy's ordered RETURNING falls back to a
    statement per row.)"""
    seqs: list[int] = []
    for chunk in _chunks(rows, _SQLITE_ROWS_PER_STATEMENT):
        cursor = conn.exec_driver_sql(_sqlite_insert_sql(_E.name, _EVENT_COLUMNS, len(chunk)),
                                      tuple(_sqlite_value(v) for row in chunk for v in row))
        last = cursor.lastrowid
        assert last is not None
        seqs.extend(range(last - len(chunk) + 1, last + 1))
    return seqs


def _sqlite_value(value: Any) -> Any:
    # As SQLAlchemy's SQLite DateTime type stores it (a driver-level statement bypasses the type), so that the
    # text comparisons of LookupEvents' time range order every row alike.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, dt.datetime) else value


@functools.lru_cache(maxsize=64)
def _sqlite_insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    one = "(" + ",".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({','.join(columns)}) VALUES " + ",".join([one] * rows)


def _chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


@contextmanager
def refused_as_unavailable() -> Iterator[None]:
    """A record the database refuses for a reason of its own (a constraint, a trigger) is ``AuditUnavailable``
    (503); a full disk or a held lock stays the store's failure, with its reason."""
    try:
        yield
    except DBAPIError as exc:
        if resource_failure(exc) is not None:
            raise
        raise AuditUnavailable(f"the audit record could not be inserted: {type(exc.orig).__name__}") from exc
