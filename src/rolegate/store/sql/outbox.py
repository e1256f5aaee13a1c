"""The SQL outbox: a unit of work's records inserted on its own connection, inside its transaction, so they
commit with the change they describe or roll back with it (ADR 0015)."""

from __future__ import annotations

import json

from sqlalchemy import Connection, insert

from rolegate.store import schema as t
from rolegate.store.ports import OutboxRecord

# Built once: a write that records its audit event adds one row per request.
_INSERT = insert(t.outbox)


class SqlOutbox:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add(self, record: OutboxRecord) -> None:
        # Serialized before the insert: a payload JSON cannot hold fails here, inside the write, and the
        # whole unit of work rolls back rather than committing a change without its record.
        payload = json.dumps(record.payload, sort_keys=True, separators=(",", ":"))
        self._c.execute(_INSERT, {"kind": record.kind, "payload": payload, "created_at": record.created_at})
