"""IAM access key operations (IAM API reference: CreateAccessKey … GetAccessKeyLastUsed).

Without UserName each operation acts on the calling user's keys (the root user's, for the root caller).
Only CreateAccessKey ever returns a secret; listings never do.
"""

from __future__ import annotations

from typing import Any

from rolegate.iam.access_keys import KeyOwner

from .common import implicit_user_name, page_out
from .registry import HandlerContext, operation


def _user_name(ctx: HandlerContext, p: dict[str, Any]) -> str | None:
    return implicit_user_name(ctx, p.get("UserName"))


def _owner_name(owned: KeyOwner) -> dict[str, str]:
    # A root key has no user name to show.
    return {"UserName": owned.user.name} if owned.user else {}


@operation("iam", "CreateAccessKey")
def create_access_key(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    owned = ctx.services.access_keys.create_access_key(ctx.request, _user_name(ctx, p))
    key = owned.key
    return {"AccessKey": {**_owner_name(owned), "AccessKeyId": key.access_key_id, "Status": key.status,
                          "SecretAccessKey": key.secret_access_key, "CreateDate": key.created_at}}


@operation("iam", "UpdateAccessKey")
def update_access_key(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.access_keys.update_access_key(ctx.request, _user_name(ctx, p), p["AccessKeyId"], p["Status"])


@operation("iam", "DeleteAccessKey")
def delete_access_key(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.access_keys.delete_access_key(ctx.request, _user_name(ctx, p), p["AccessKeyId"])


@operation("iam", "ListAccessKeys")
def list_access_keys(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    user, page = ctx.services.access_keys.list_access_keys(ctx.request, _user_name(ctx, p),
                                                           marker=p.get("Marker"), max_items=p.get("MaxItems"))
    owner = {"UserName": user.name} if user else {}
    return page_out(page, "AccessKeyMetadata", [
        {**owner, "AccessKeyId": k.access_key_id, "Status": k.status, "CreateDate": k.created_at}
        for k in page.items])


@operation("iam", "GetAccessKeyLastUsed")
def get_access_key_last_used(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    owned = ctx.services.access_keys.get_access_key_last_used(ctx.request, p["AccessKeyId"])
    key = owned.key
    # ServiceName and Region are "N/A" for a key never used (IAM API reference, AccessKeyLastUsed).
    last_used: dict[str, Any] = {"ServiceName": key.last_used_service or "N/A",
                                 "Region": key.last_used_region or "N/A"}
    if key.last_used_at:
        last_used["LastUsedDate"] = key.last_used_at
    return {**_owner_name(owned), "AccessKeyLastUsed": last_used}
