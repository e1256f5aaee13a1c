"""Subjects: each end-entity certificate subject that created a session, with when it was last seen and the
certificates (and instance properties) it presented (IAM Roles Anywhere API reference, ListSubjects,
GetSubject). CreateSession records them, as queued bookkeeping; these operations wait for it, then read."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from rolegate.authz import RequestContext

from .common import next_token, page_start
from .documents import Documents
from .entities import SubjectRecord
from .ports import AnywhereStore

__all__ = ["SubjectPage", "SubjectService"]


@dataclasses.dataclass(frozen=True, slots=True)
class SubjectPage:
    items: list[SubjectRecord]
    next_token: str | None


class SubjectService:
    def __init__(self, store: AnywhereStore, catch_up: Callable[[], None] = lambda: None) -> None:
        self._store = store
        self._catch_up = catch_up  # queued subject records land first (``SessionService.catch_up``)

    def get(self, request: RequestContext, subject_id: str) -> SubjectRecord:
        self._catch_up()
        with self._store.read() as tx:
            return Documents(tx.anywhere_documents).get(SubjectRecord, request.account_id, subject_id)

    def list(self, request: RequestContext, *, token: str | None = None,
             page_size: int | None = None) -> SubjectPage:
        after, size = page_start(token, page_size)
        self._catch_up()
        with self._store.read() as tx:
            rows = Documents(tx.anywhere_documents).page(SubjectRecord, request.account_id, after, size + 1)
        return SubjectPage(rows[:size], next_token([r.subject_id for r in rows], size))
