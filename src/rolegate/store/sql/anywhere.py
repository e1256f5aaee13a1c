"""The SQL repository of IAM Roles Anywhere trust anchors (``rolesanywhere_trust_anchors``)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, select, update

from rolegate.anywhere.entities import NotificationSetting, TrustAnchorRecord
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
