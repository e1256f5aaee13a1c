"""The SQL repository of the audit trail's store copy: records inserted (in the transaction of the change they
describe, or alone), completed with their response, read in commit order by the file drain, looked up newest
first for LookupEvents, and deleted after the retention period
(docs/adr/0041-audit-record-commits-with-its-change.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, exists, insert, or_, select, update

from rolegate.store import schema as t
from rolegate.store.ports import AuditEvent

from .rows import grouped, utc

_E = t.audit_events
_R = t.audit_event_resources
_M = t.audit_marks

# Built once: every audited write adds rows through them.
_INSERT_EVENT = insert(_E)
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
        for event in events:
            result = self._c.execute(_INSERT_EVENT, {
                "event_id": event.event_id, "event_time": _utc_naive(event.event_time),
                "event_name": event.event_name, "event_source": event.event_source, "username": event.username,
                "access_key_id": event.access_key_id, "read_only": event.read_only,
                "recipient_account_id": event.recipient_account_id, "complete": event.complete,
                "record": event.record})
            key = result.inserted_primary_key
            assert key is not None
            self._add_resources(int(key[0]), event.resources)

    def _add_resources(self, seq: int, resources: Sequence[tuple[str, str]]) -> None:
        if resources:
            self._c.execute(_INSERT_RESOURCES, [{"seq": seq, "position": i, "resource_type": kind,
                                                 "resource_name": name} for i, (kind, name) in enumerate(resources)])

    def complete(self, event: AuditEvent) -> bool:
        """Write the whole record ``event`` over its request half (and its resources, which the response may add);
        False when no such row exists."""
        seq = self._c.execute(_SEQ_OF, {"id": event.event_id}).scalar_one_or_none()
        if seq is None:
            return False
        self._c.execute(_COMPLETE, {"id": event.event_id, "rec": event.record})
        self._c.execute(delete(_R).where(_R.c.seq == seq))
        self._add_resources(seq, event.resources)
        return True

    def after(self, seq: int, limit: int) -> list[tuple[int, AuditEvent]]:
        """Up to ``limit`` records committed after ``seq``, in commit order."""
        rows = self._c.execute(_AFTER, {"seq": seq, "n": limit}).all()
        return self._events(rows)

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

    def _events(self, rows: Sequence[Any]) -> list[tuple[int, AuditEvent]]:
        if not rows:
            return []
        resources = grouped(
            (str(r.seq), (r.resource_type, r.resource_name))
            for r in self._c.execute(select(_R).where(_R.c.seq.in_([row.seq for row in rows]))
                                     .order_by(_R.c.seq, _R.c.position)))
        return [(int(r.seq), AuditEvent(
            event_id=r.event_id, event_time=utc(r.event_time), event_name=r.event_name,
            event_source=r.event_source, username=r.username, access_key_id=r.access_key_id,
            read_only=bool(r.read_only), recipient_account_id=r.recipient_account_id,
            resources=tuple(resources.get(str(r.seq), ())), record=r.record, complete=bool(r.complete)))
            for r in rows]
