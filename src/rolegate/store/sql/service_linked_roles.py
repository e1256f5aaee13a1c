"""The SQL repository of service-linked-role deletion tasks (DeleteServiceLinkedRole's DeletionTaskId)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from rolegate.iam.entities import ServiceRoleDeletionRecord
from rolegate.store import schema as t

from .rows import insert_row, utc

_D = t.service_linked_role_deletions


class SqlServiceRoleDeletions:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, task: ServiceRoleDeletionRecord) -> None:
        insert_row(self._c, _D, task_id=task.task_id, account_id=task.account_id, role_name=task.role_name,
                status=task.status, reason=task.reason, created_at=task.created_at)

    def get(self, task_id: str) -> ServiceRoleDeletionRecord | None:
        r = self._c.execute(select(_D).where(_D.c.task_id == task_id)).first()
        if r is None:
            return None
        return ServiceRoleDeletionRecord(task_id=r.task_id, account_id=r.account_id, role_name=r.role_name,
                                         status=r.status, reason=r.reason, created_at=utc(r.created_at))
