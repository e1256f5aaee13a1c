"""Trust anchors: create (the source checked), read, list, update, enable/disable, delete, notification
settings and tags (IAM Roles Anywhere API reference, CreateTrustAnchor … DisableTrustAnchor,
PutNotificationSettings, ResetNotificationSettings; tags are ``anywhere.tagging``'s).

Only ``CERTIFICATE_BUNDLE`` sources are served: an ``AWS_ACM_PCA`` source names a private CA in AWS
Certificate Manager, which does not exist here, and ``SELF_SIGNED_REPOSITORY`` is reserved for AWS; both
are a ``ValidationException`` saying so (a rolegate choice: AWS would look the CA up). Aliases
(``aliasName``) are not served either, and are refused the same way rather than dropped.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from rolegate.authz import RequestContext

from .certificates import read_ca_bundle
from .common import anywhere_arn, check_tags, next_token, page_start, resource_id
from .entities import TRUST_ANCHOR, NotificationSetting, TrustAnchorRecord
from .errors import ResourceNotFound, ValidationException
from .ports import AnywhereStore

__all__ = ["DEFAULT_NOTIFICATIONS", "TrustAnchorPage", "TrustAnchorService"]

SERVICE = "rolesanywhere.amazonaws.com"
#: The settings every trust anchor starts with (API reference, NotificationSettingDetail: the service
#: configures both expiry events, 45 days ahead, on all channels).
DEFAULT_NOTIFICATIONS = (NotificationSetting("CA_CERTIFICATE_EXPIRY", True, 45, "ALL", SERVICE),
                         NotificationSetting("END_ENTITY_CERTIFICATE_EXPIRY", True, 45, "ALL", SERVICE))


@dataclasses.dataclass(frozen=True, slots=True)
class TrustAnchorPage:
    items: list[TrustAnchorRecord]
    next_token: str | None


class TrustAnchorService:
    def __init__(self, store: AnywhereStore) -> None:
        self._store = store

    def create(self, request: RequestContext, name: str, source: Mapping[str, Any], *, enabled: bool = False,
               crl_dp_revocation_enabled: bool = False, tags: Sequence[tuple[str, str]] = (),
               notification_settings: Sequence[Mapping[str, Any]] = (),
               alias_name: str | None = None) -> TrustAnchorRecord:
        _no_alias(alias_name)
        source_type, data = _read_source(source)
        check_tags(tags)
        anchor_id = str(uuid.uuid4())
        anchor = TrustAnchorRecord(
            account_id=request.account_id, trust_anchor_id=anchor_id,
            arn=anywhere_arn(request, TRUST_ANCHOR, anchor_id), name=name, source_type=source_type,
            certificate_data=data, enabled=enabled, crl_dp_revocation_enabled=crl_dp_revocation_enabled,
            created_at=request.timestamp, updated_at=request.timestamp,
            notification_settings=_put_settings(DEFAULT_NOTIFICATIONS, notification_settings, request.account_id),
            tags=tuple(tags))
        with self._store.write() as tx:
            tx.trust_anchors.create(anchor)
        return anchor

    def get(self, request: RequestContext, identifier: str) -> TrustAnchorRecord:
        with self._store.read() as tx:
            return _existing(tx.trust_anchors.get(request.account_id, resource_id(identifier, TRUST_ANCHOR)))

    def list(self, request: RequestContext, *, token: str | None = None,
             page_size: int | None = None) -> TrustAnchorPage:
        after, size = page_start(token, page_size)
        with self._store.read() as tx:
            rows = tx.trust_anchors.page(request.account_id, after, size + 1)
        return TrustAnchorPage(rows[:size], next_token([r.trust_anchor_id for r in rows], size))

    def update(self, request: RequestContext, identifier: str, *, name: str | None = None,
               source: Mapping[str, Any] | None = None, crl_dp_revocation_enabled: bool | None = None,
               alias_name: str | None = None) -> TrustAnchorRecord:
        _no_alias(alias_name)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if source is not None:
            changes["source_type"], changes["certificate_data"] = _read_source(source)
        if crl_dp_revocation_enabled is not None:
            changes["crl_dp_revocation_enabled"] = crl_dp_revocation_enabled
        return self._change(request, identifier, **changes)

    def set_enabled(self, request: RequestContext, identifier: str, enabled: bool) -> TrustAnchorRecord:
        return self._change(request, identifier, enabled=enabled)

    def delete(self, request: RequestContext, identifier: str) -> TrustAnchorRecord:
        with self._store.write() as tx:
            anchor = _existing(tx.trust_anchors.get(request.account_id, resource_id(identifier, TRUST_ANCHOR)))
            tx.trust_anchors.delete(request.account_id, anchor.trust_anchor_id)
        return anchor

    def put_notification_settings(self, request: RequestContext, identifier: str,
                                  settings: Sequence[Mapping[str, Any]]) -> TrustAnchorRecord:
        with self._store.write() as tx:
            anchor = _existing(tx.trust_anchors.get(request.account_id, resource_id(identifier, TRUST_ANCHOR)))
            changed = dataclasses.replace(anchor, updated_at=request.timestamp, notification_settings=_put_settings(
                anchor.notification_settings, settings, request.account_id))
            tx.trust_anchors.update(changed)
        return changed

    def reset_notification_settings(self, request: RequestContext, identifier: str,
                                    keys: Sequence[Mapping[str, Any]]) -> TrustAnchorRecord:
        """Each (event, channel) named goes back to the service's default."""
        defaults = {s.event: s for s in DEFAULT_NOTIFICATIONS}
        with self._store.write() as tx:
            anchor = _existing(tx.trust_anchors.get(request.account_id, resource_id(identifier, TRUST_ANCHOR)))
            named = {k["event"] for k in keys}
            kept = [s for s in anchor.notification_settings if s.event not in named]
            kept.extend(defaults[event] for event in sorted(named) if event in defaults)
            changed = dataclasses.replace(anchor, updated_at=request.timestamp, notification_settings=tuple(
                sorted(kept, key=lambda s: s.event)))
            tx.trust_anchors.update(changed)
        return changed

    def _change(self, request: RequestContext, identifier: str, **changes: Any) -> TrustAnchorRecord:
        with self._store.write() as tx:
            anchor = _existing(tx.trust_anchors.get(request.account_id, resource_id(identifier, TRUST_ANCHOR)))
            changed = dataclasses.replace(anchor, updated_at=request.timestamp, **changes)
            tx.trust_anchors.update(changed)
        return changed


def _existing(anchor: TrustAnchorRecord | None) -> TrustAnchorRecord:
    if anchor is None:
        raise ResourceNotFound("Trust anchor not found.")
    return anchor


def _no_alias(alias_name: str | None) -> None:
    if alias_name:
        raise ValidationException("Trust anchor aliases are not supported by this service.")


def _read_source(source: Mapping[str, Any]) -> tuple[str, str]:
    source_type = source.get("sourceType")
    data = source.get("sourceData") or {}
    if source_type == "AWS_ACM_PCA" or "acmPcaArn" in data:
        raise ValidationException("AWS_ACM_PCA trust anchors are not supported: there is no AWS Private CA "
                                  "here. Use a CERTIFICATE_BUNDLE source with your CA certificate.")
    if source_type == "SELF_SIGNED_REPOSITORY":
        raise ValidationException("SELF_SIGNED_REPOSITORY trust anchors are reserved for AWS.")
    pem = data.get("x509CertificateData")
    if source_type != "CERTIFICATE_BUNDLE" or not pem:
        raise ValidationException("A trust anchor source needs sourceType CERTIFICATE_BUNDLE and "
                                  "sourceData.x509CertificateData.")
    read_ca_bundle(pem)
    return "CERTIFICATE_BUNDLE", pem


def _put_settings(current: Sequence[NotificationSetting], new: Sequence[Mapping[str, Any]],
                  account_id: str) -> tuple[NotificationSetting, ...]:
    """``current`` with each new setting replacing the one of its event (channel ``ALL`` is the only one)."""
    by_event = {s.event: s for s in current}
    for item in new:
        old = by_event.get(item["event"])
        threshold = item.get("threshold", old.threshold if old is not None else None)
        by_event[item["event"]] = NotificationSetting(item["event"], bool(item["enabled"]), threshold,
                                                      item.get("channel", "ALL"), account_id)
    return tuple(by_event[e] for e in sorted(by_event))
