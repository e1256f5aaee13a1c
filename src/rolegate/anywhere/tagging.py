"""Tags of any Roles Anywhere resource, found by its ARN: trust anchors, profiles, CRLs (IAM Roles Anywhere
API reference, TagResource, UntagResource, ListTagsForResource). An ARN of another account, region or kind,
or of a resource that does not exist, is ``ResourceNotFoundException``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from rolegate.authz import RequestContext

from .common import MAX_TAGS, check_tags
from .documents import Documents
from .entities import CRL, PROFILE, TRUST_ANCHOR, CrlRecord, ProfileRecord
from .errors import ResourceNotFound, TooManyTags
from .ports import AnywhereStore, AnywhereUnitOfWork

__all__ = ["TaggingService"]



class TaggingService:
    def __init__(self, store: AnywhereStore) -> None:
        self._store = store

    def tag(self, request: RequestContext, arn: str, tags: Sequence[tuple[str, str]]) -> None:
        check_tags(tags)

        def add(current: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
            merged = dict(current)
            merged.update(tags)
            if len(merged) > MAX_TAGS:
                raise TooManyTags(f"A resource can have at most {MAX_TAGS} tags.")
            return tuple(merged.items())

        self._change(request, arn, add)

    def untag(self, request: RequestContext, arn: str, keys: Sequence[str]) -> None:
        drop = set(keys)
        self._change(request, arn, lambda current: tuple(t for t in current if t[0] not in drop))

    def tags(self, request: RequestContext, arn: str) -> tuple[tuple[str, str], ...]:
        kind, rid = _parse(request, arn)
        with self._store.read() as tx:
            if kind == TRUST_ANCHOR:
                anchor = tx.trust_anchors.get(request.account_id, rid)
                if anchor is None:
                    raise _not_found()
                return anchor.tags
            record = _find(Documents(tx.anywhere_documents), kind, request.account_id, rid)
            return record.tags

    def _change(self, request: RequestContext, arn: str, change: Any) -> None:
        kind, rid = _parse(request, arn)
        with self._store.write() as tx:
            if kind == TRUST_ANCHOR:
                anchor = tx.trust_anchors.get(request.account_id, rid)
                if anchor is None:
                    raise _not_found()
                tx.trust_anchors.update(dataclasses.replace(anchor, tags=change(anchor.tags)))
                return
            self._change_document(tx, request, kind, rid, change)

    @staticmethod
    def _change_document(tx: AnywhereUnitOfWork, request: RequestContext, kind: str, rid: str, change: Any) -> None:
        docs = Documents(tx.anywhere_documents)
        record = _find(docs, kind, request.account_id, rid)
        parent = None
        if isinstance(record, CrlRecord):
            parent = record.trust_anchor_arn.rsplit("/", 1)[-1]
        docs.update(dataclasses.replace(record, tags=change(record.tags)), parent_id=parent)


def _find(docs: Documents, kind: str, account_id: str, rid: str) -> ProfileRecord | CrlRecord:
    record: ProfileRecord | CrlRecord | None
    record = docs.find(ProfileRecord, account_id, rid) if kind == PROFILE else docs.find(CrlRecord, account_id, rid)
    if record is None:
        raise _not_found()
    return record


def _parse(request: RequestContext, arn: str) -> tuple[str, str]:
    prefix = f"arn:{request.partition}:rolesanywhere:{request.region}:{request.account_id}:"
    kind, _, rid = arn[len(prefix):].partition("/") if arn.startswith(prefix) else ("", "", "")
    if kind not in (TRUST_ANCHOR, PROFILE, CRL) or not rid:
        raise _not_found()
    return kind, rid


def _not_found() -> ResourceNotFound:
    return ResourceNotFound("The requested resource could not be found.")
