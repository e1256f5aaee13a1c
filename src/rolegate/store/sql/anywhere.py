"""The SQL repositories of IAM Roles Anywhere: trust anchors (``rolesanywhere_trust_anchors``) and the profiles,
CRLs and subjects kept as documents (``rolesanywhere_resources``)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from rolegate.anywhere.entities import SUBJECT, NotificationSetting, TrustAnchorRecord
from rolegate.anywhere.ports import StoredDocument
from rolegate.store import schema as t

from .rows import insert_row, utc


class SqlTrustAnchors:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, anchor: TrustAnchorRecord) -> None:
        insert_row(self._c, t.rolesanywhere_trust_anchors, trust_anchor_id=anchor.trust_anchor_id,
                   account_id=anchor.account_id, created_at=anchor.created_at, **_values(anchor))

    def get(self, account_id: str, trust_anchor_id: str) -> TrustAnchorRecord | None:
        c = t.rolesanywhere_trust_anchors.c
        row = self._c.execute(select(t.rolesanywhere_trust_anchors).where(
            c.account_id == account_id, c.trust_anchor_id == trust_anchor_id)).first()
        return _record(row) if row is not None else None

    def page(self, account_id: str, after: str | None, limit: int) -> list[TrustAnchorRecord]:
        c = t.rolesanywhere_trust_anchors.c
        q = select(t.rolesanywhere_trust_anchors).where(c.account_id == account_id)
        if after is not None:
            q = q.where(c.trust_anchor_id > after)
        return [_record(r) for r in self._c.execute(q.order_by(c.trust_anchor_id).limit(limit))]

    def update(self, anchor: TrustAnchorRecord) -> None:
        c = t.rolesanywhere_trust_anchors.c
        self._c.execute(update(t.rolesanywhere_trust_anchors).where(
            c.account_id == anchor.account_id, c.trust_anchor_id == anchor.trust_anchor_id).values(**_values(anchor)))

    def delete(self, account_id: str, trust_anchor_id: str) -> None:
        c = t.rolesanywhere_trust_anchors.c
        self._c.execute(delete(t.rolesanywhere_trust_anchors).where(
            c.account_id == account_id, c.trust_anchor_id == trust_anchor_id))


def _values(anchor: TrustAnchorRecord) -> dict[str, Any]:
    document = {
        "arn": anchor.arn, "sourceType": anchor.source_type, "certificateData": anchor.certificate_data,
        "enabled": anchor.enabled, "crlDpRevocationEnabled": anchor.crl_dp_revocation_enabled,
        "notificationSettings": [[s.event, s.enabled, s.threshold, s.channel, s.configured_by]
                                 for s in anchor.notification_settings],
        "tags": [list(tag) for tag in anchor.tags],
    }
    return {"name": anchor.name, "document": json.dumps(document), "updated_at": anchor.updated_at}


def _record(row: Any) -> TrustAnchorRecord:
    doc = json.loads(row.document)
    return TrustAnchorRecord(
        account_id=row.account_id, trust_anchor_id=row.trust_anchor_id, arn=doc["arn"], name=row.name,
        source_type=doc["sourceType"], certificate_data=doc["certificateData"], enabled=doc["enabled"],
        crl_dp_revocation_enabled=doc["crlDpRevocationEnabled"], created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        notification_settings=tuple(NotificationSetting(*s) for s in doc["notificationSettings"]),
        tags=tuple((k, v) for k, v in doc["tags"]))


class SqlAnywhereDocuments:
    """``rolesanywhere_resources`` (profiles, CRLs) and ``rolesanywhere_subjects``, as documents."""

    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, doc: StoredDocument) -> None:
        insert_row(self._c, _table(doc.kind), resource_id=doc.resource_id, kind=doc.kind,
                   account_id=doc.account_id, parent_id=doc.parent_id, created_at=doc.created_at,
                   name=doc.name, document=json.dumps(doc.document), updated_at=doc.updated_at)

    def get(self, kind: str, account_id: str, resource_id: str) -> StoredDocument | None:
        c = _table(kind).c
        row = self._c.execute(select(_table(kind)).where(
            c.kind == kind, c.account_id == account_id, c.resource_id == resource_id)).first()
        return _document(row) if row is not None else None

    def page(self, kind: str, account_id: str, after: str | None, limit: int) -> list[StoredDocument]:
        c = _table(kind).c
        q = select(_table(kind)).where(c.kind == kind, c.account_id == account_id)
        if after is not None:
            q = q.where(c.resource_id > after)
        return [_document(r) for r in self._c.execute(q.order_by(c.resource_id).limit(limit))]

    def by_parent(self, kind: str, account_id: str, parent_id: str) -> list[StoredDocument]:
        c = _table(kind).c
        return [_document(r) for r in self._c.execute(select(_table(kind)).where(
            c.kind == kind, c.account_id == account_id, c.parent_id == parent_id))]

    def by_name(self, kind: str, account_id: str, name: str) -> StoredDocument | None:
        c = _table(kind).c
        row = self._c.execute(select(_table(kind)).where(
            c.kind == kind, c.account_id == account_id, c.name == name)).first()
        return _document(row) if row is not None else None

    def update(self, doc: StoredDocument) -> None:
        c = _table(doc.kind).c
        self._c.execute(update(_table(doc.kind)).where(
            c.kind == doc.kind, c.account_id == doc.account_id, c.resource_id == doc.resource_id).values(
            name=doc.name, document=json.dumps(doc.document), updated_at=doc.updated_at))

    def delete(self, kind: str, account_id: str, resource_id: str) -> None:
        c = _table(kind).c
        self._c.execute(delete(_table(kind)).where(
            c.kind == kind, c.account_id == account_id, c.resource_id == resource_id))


def _table(kind: str) -> Table:
    return t.rolesanywhere_subjects if kind == SUBJECT else t.rolesanywhere_resources


def _document(row: Any) -> StoredDocument:
    return StoredDocument(row.kind, row.account_id, row.resource_id, row.name, row.parent_id, utc(row.created_at),
                          utc(row.updated_at), json.loads(row.document))
