"""IAM Roles Anywhere trust anchor, notification settings and tag operations (API reference: CreateTrustAnchor
… DisableTrustAnchor, PutNotificationSettings, ResetNotificationSettings, TagResource, UntagResource,
ListTagsForResource)."""

from __future__ import annotations

from typing import Any

from rolegate.anywhere.entities import TrustAnchorRecord

from .registry import HandlerContext, operation

SERVICE = "rolesanywhere"


def _detail(anchor: TrustAnchorRecord) -> dict[str, Any]:
    return {
        "trustAnchorId": anchor.trust_anchor_id, "trustAnchorArn": anchor.arn, "name": anchor.name,
        "source": {"sourceType": anchor.source_type, "sourceData": {"x509CertificateData": anchor.certificate_data}},
        "enabled": anchor.enabled, "crlDpRevocationEnabled": anchor.crl_dp_revocation_enabled,
        "createdAt": anchor.created_at, "updatedAt": anchor.updated_at,
        "notificationSettings": [
            {"event": s.event, "enabled": s.enabled, "threshold": s.threshold, "channel": s.channel,
             "configuredBy": s.configured_by} for s in anchor.notification_settings],
    }


def _out(anchor: TrustAnchorRecord) -> dict[str, Any]:
    return {"trustAnchor": _detail(anchor)}


def tags_in(items: list[dict[str, str]] | None) -> list[tuple[str, str]]:
    return [(t["key"], t["value"]) for t in items or ()]


@operation(SERVICE, "CreateTrustAnchor")
def create_trust_anchor(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _out(ctx.services.trust_anchors.create(
        ctx.request, p["name"], p["source"], enabled=p.get("enabled", False),
        crl_dp_revocation_enabled=p.get("crlDpRevocationEnabled", False), tags=tags_in(p.get("tags")),
        notification_settings=p.get("notificationSettings", ()), alias_name=p.get("aliasName")))


@operation(SERVICE, "GetTrustAnchor")
def get_trust_anchor(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _out(ctx.services.trust_anchors.get(ctx.request, p["trustAnchorId"]))


@operation(SERVICE, "ListTrustAnchors")
def list_trust_anchors(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.trust_anchors.list(ctx.request, token=p.get("nextToken"), page_size=p.get("pageSize"))
    return {"trustAnchors": [_detail(a) for a in page.items], "nextToken": page.next_token}


@operation(SERVICE, "UpdateTrustAnchor")
def update_trust_anchor(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _out(ctx.services.trust_anchors.update(
        ctx.request, p["trustAnchorId"], name=p.get("name"), source=p.get("source"),
        crl_dp_revocation_enabled=p.get("crlDpRevocationEnabled"), alias_name=p.get("aliasName")))


@operation(SERVICE, "DeleteTrustAnchor")
def delete_trust_anchor(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _out(ctx.services.trust_anchors.delete(ctx.request, p["trustAnchorId"]))


@operation(SERVICE, "EnableTrustAnchor")
def enable_trust_anchor(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _out(ctx.services.trust_anchors.set_enabled(ctx.request, p["trustAnchorId"], True))


@operation(SERVICE, "DisableTrustAnchor")
def disable_trust_anchor(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _out(ctx.services.trust_anchors.set_enabled(ctx.request, p["trustAnchorId"], False))


@operation(SERVICE, "PutNotificationSettings")
def put_notification_settings(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _out(ctx.services.trust_anchors.put_notification_settings(ctx.request, p["trustAnchorId"],
                                                                     p["notificationSettings"]))


@operation(SERVICE, "ResetNotificationSettings")
def reset_notification_settings(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _out(ctx.services.trust_anchors.reset_notification_settings(ctx.request, p["trustAnchorId"],
                                                                       p["notificationSettingKeys"]))


@operation(SERVICE, "TagResource")
def tag_resource(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.anywhere_tags.tag(ctx.request, p["resourceArn"], tags_in(p["tags"]))


@operation(SERVICE, "UntagResource")
def untag_resource(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.anywhere_tags.untag(ctx.request, p["resourceArn"], p["tagKeys"])


@operation(SERVICE, "ListTagsForResource")
def list_tags_for_resource(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"tags": [{"key": k, "value": v} for k, v in ctx.services.anywhere_tags.tags(ctx.request,
                                                                                      p["resourceArn"])]}
