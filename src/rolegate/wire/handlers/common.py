"""What handler modules share: the IAM shapes every entity uses (tags, pages, URL-encoded documents) and the
user a request means when it names none."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rolegate.core.pagination import Page
from rolegate.iam.paging import page_by_position
from rolegate.iam.users import implied_user_name

from .registry import HandlerContext


def url_encoded(document: str) -> str:
    """Policy documents come back URL-encoded, as IAM returns them (RFC 3986; boto3 decodes them)."""
    return quote(document, safe="-_.!~*'()")


def tags_out(tags: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags]


def tags_in(tags: list[dict[str, str]] | None) -> list[tuple[str, str]]:
    return [(t["Key"], t["Value"]) for t in tags or ()]


def page_out(page: Page[Any], key: str, items: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {key: items, "IsTruncated": page.is_truncated}
    if page.marker:
        out["Marker"] = page.marker
    return out


def tags_page_out(tags: tuple[tuple[str, str], ...], p: dict[str, Any]) -> dict[str, Any]:
    """A List…Tags answer: the resource's tags paged by Marker/MaxItems (the marker is an offset)."""
    page = page_by_position(tags, p.get("Marker"), p.get("MaxItems"))
    return page_out(page, "Tags", tags_out(tuple(page.items)))


def implicit_user_name(ctx: HandlerContext, user_name: str | None) -> str | None:
    """``iam.users.implied_user_name`` for this request's caller: the user meant when UserName is left out."""
    assert ctx.caller is not None
    return implied_user_name(user_name, ctx.caller.principal_type, ctx.caller.user_name)
