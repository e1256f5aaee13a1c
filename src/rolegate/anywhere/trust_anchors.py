"""Trust anchors: create (the source checked), read, list, update, enable/disable, delete, notification
settings and tags (IAM Roles Anywhere API reference, CreateTrustAnchor … DisableTrustAnchor,
PutNotificationSettings, ResetNotificationSettings, TagResource, UntagResource, ListTagsForResource).

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
from rolegate.core.pagination import decode_marker, encode_marker

from .certificates import read_ca_bundle
from .entities import TRUST_ANCHOR, NotificationSetting, TrustAnchorRecord
from .errors import ResourceNotFound, TooManyTags, ValidationException
from .ports import AnywhereStore

__all__ = ["DEFAULT_NOTIFICATIONS", "TrustAnchorPage", "TrustAnchorService", "anywhere_arn", "resource_id"]

SERVICE = "rolesanywhere.amazonaws.com"
#: The settings every trust anchor starts with (API reference, NotificationSettingDetail: the service
#: configures both expiry events, 45 days ahead, on all channels).
DEFAULT_NOTIFICATIONS = (NotificationSetting("CA_CERTIFICATE_EXPIRY", True, 45, "ALL", SERVICE),
                         NotificationSetting("END_ENTITY_CERTIFICATE_EXPIRY", True, 45, "ALL", SERVICE))
#: AWS's general tagging limit (50 user tags per resource); more is TooManyTagsException.
MAX_TAGS = 50
DEFAULT_PAGE_SIZE = 50  # rolegate's choice: the API reference gives no default
MAX_PAGE_SIZE = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class TrustAnchorPage:
    items: list[TrustAnchorRecord]
    next_token: str | None


def anywhere_arn(request: RequestContext, kind: str, resource: str) -> str:
    return f"arn:{request.partition}:rolesanywhere:{request.region}:{request.account_id}:{kind}/{resource}"


def resource_id(identifier: str, kind: str) -> str:
    """The id in an identifier that may be the id itself or the resource's ARN (``…:trust-anchor/ID``)."""
    if identifier.startswith("arn:"):
        return identifier.rsplit(f":{kind}/", 1)[-1] if f":{kind}/" in identifier else ""
    return identifier


class TrustAnchorService:
    def __init__(self, store: AnywhereStore) -> None:
        self._store = store

    def create(self, request: RequestContext, name: str, source: Mapping[str, Any], *, enabled: bool = False,
               crl_dp_revocation_enabled: bool = False, tags: Sequence[tuple[str, str]] = (),
               notification_settings: Sequence[Mapping[str, Any]] = (),
               alias_name: str | None = None) -> TrustAnchorRecord:
        _no_alias(alias_name)
        source_type, data = _read_source(source)
        _check_tags(tags)
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

    def list(self, request: RequestContext, *, next_token: str | None = None,
             page_size: int | None = None) -> TrustAnchorPage:
        size = DEFAULT_PAGE_SIZE if page_size is None else page_size
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValidationException(f"pageSize must be between 1 and {MAX_PAGE_SIZE}.")
        try:
            after = decode_marker(next_token)
        except Exception:
            raise ValidationException("Invalid nextToken.") from None
        with self._store.read() as tx:
            rows = tx.trust_anchors.page(request.account_id, after, size + 1)
        items = rows[:size]
        return TrustAnchorPage(items, encode_marker(items[-1].trust_anchor_id) if len(rows) > size else None)

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

    # --- tags, by resource ARN ---------------------------------------------------------------------

    def tag(self, request: RequestContext, arn: str, tags: Sequence[tuple[str, str]]) -> None:
        _check_tags(tags)
        with self._store.write() as tx:
            anchor = self._by_arn(tx, request, arn)
            merged = dict(anchor.tags)
            merged.update(tags)
            if len(merged) > MAX_TAGS:
                raise TooManyTags(f"A resource can have at most {MAX_TAGS} tags.")
            tx.trust_anchors.update(dataclasses.replace(anchor, tags=tuple(merged.items())))

    def untag(self, request: RequestContext, arn: str, keys: Sequence[str]) -> None:
        with self._store.write() as tx:
            anchor = self._by_arn(tx, request, arn)
            drop = set(keys)
            tx.trust_anchors.update(dataclasses.replace(anchor, tags=tuple(t for t in anchor.tags if t[0] not in drop)))

    def tags(self, request: RequestContext, arn: str) -> tuple[tuple[str, str], ...]:
        with self._store.read() as tx:
            return self._by_arn(tx, request, arn).tags

    def _by_arn(self, tx: Any, request: RequestContext, arn: str) -> TrustAnchorRecord:
        prefix = f"arn:{request.partition}:rolesanywhere:{request.region}:{request.account_id}:{TRUST_ANCHOR}/"
        if not arn.startswith(prefix):
            raise ResourceNotFound("The requested resource could not be found.")
        anchor: TrustAnchorRecord | None = tx.trust_anchors.get(request.account_id, arn[len(prefix):])
        return _existing(anchor)

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


def _check_tags(tags: Sequence[tuple[str, str]]) -> None:
    keys = [k for k, _ in tags]
    if len(set(keys)) != len(keys):
        raise ValidationException("Duplicate tag keys.")
    if any(k.lower().startswith("aws:") for k in keys):
        raise ValidationException("Tag keys starting with 'aws:' are reserved for AWS use.")
    if len(keys) > MAX_TAGS:
        raise TooManyTags(f"A resource can have at most {MAX_TAGS} tags.")


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
