"""IAM user operations (IAM API reference: CreateUser … ListUserPolicies, user tags and boundary)."""

from __future__ import annotations

from typing import Any

from rolegate.core.arns import account_root_arn
from rolegate.iam.entities import UserRecord

from .common import implicit_user_name, page_out, tags_in, tags_out, url_encoded
from .registry import HandlerContext, operation


def user_out(user: UserRecord, *, full: bool = True) -> dict[str, Any]:
    """The ``User`` structure. Listings leave out boundary and tags, as IAM documents for ListUsers."""
    out: dict[str, Any] = {"Path": user.path, "UserName": user.name, "UserId": user.user_id, "Arn": user.arn,
                           "CreateDate": user.created_at}
    if full:
        if user.permissions_boundary_arn:
            out["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                          "PermissionsBoundaryArn": user.permissions_boundary_arn}
        if user.tags:
            out["Tags"] = tags_out(user.tags)
    return out




@operation("iam", "CreateUser")
def create_user(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    user = ctx.services.users.create_user(ctx.request, p["UserName"], path=p.get("Path", "/"),
                                          permissions_boundary_arn=p.get("PermissionsBoundary"),
                                          tags=tags_in(p.get("Tags")))
    return {"User": user_out(user)}


@operation("iam", "GetUser")
def get_user(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    name = implicit_user_name(ctx, p.get("UserName"))
    if name is None:
        # The root user: its id is the account id and its ARN the account's root ARN; it has no name or path.
        account = ctx.services.accounts.get_account(ctx.request.account_id)
        assert account is not None
        return {"User": {"UserId": account.account_id, "Arn": account_root_arn(account.account_id, account.partition),
                         "CreateDate": account.created_at}}
    return {"User": user_out(ctx.services.users.get_user(ctx.request, name))}


@operation("iam", "ListUsers")
def list_users(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.users.list_users(ctx.request, path_prefix=p.get("PathPrefix", "/"),
                                         marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return page_out(page, "Users", [user_out(u, full=False) for u in page.items])


@operation("iam", "UpdateUser")
def update_user(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.users.update_user(ctx.request, p["UserName"], new_path=p.get("NewPath"),
                                   new_name=p.get("NewUserName"))


@operation("iam", "DeleteUser")
def delete_user(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.users.delete_user(ctx.request, p["UserName"])


@operation("iam", "TagUser")
def tag_user(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.users.tag_user(ctx.request, p["UserName"], tags_in(p["Tags"]))


@operation("iam", "UntagUser")
def untag_user(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.users.untag_user(ctx.request, p["UserName"], p["TagKeys"])


@operation("iam", "ListUserTags")
def list_user_tags(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.users.list_user_tags(ctx.request, p["UserName"], marker=p.get("Marker"),
                                             max_items=p.get("MaxItems"))
    return page_out(page, "Tags", tags_out(tuple(page.items)))


@operation("iam", "PutUserPermissionsBoundary")
def put_user_permissions_boundary(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.users.put_permissions_boundary(ctx.request, p["UserName"], p["PermissionsBoundary"])


@operation("iam", "DeleteUserPermissionsBoundary")
def delete_user_permissions_boundary(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.users.delete_permissions_boundary(ctx.request, p["UserName"])


@operation("iam", "PutUserPolicy")
def put_user_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.users.put_user_policy(ctx.request, p["UserName"], p["PolicyName"], p["PolicyDocument"])


@operation("iam", "GetUserPolicy")
def get_user_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    user, document = ctx.services.users.get_user_policy(ctx.request, p["UserName"], p["PolicyName"])
    return {"UserName": user.name, "PolicyName": p["PolicyName"], "PolicyDocument": url_encoded(document)}


@operation("iam", "DeleteUserPolicy")
def delete_user_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.users.delete_user_policy(ctx.request, p["UserName"], p["PolicyName"])


@operation("iam", "ListUserPolicies")
def list_user_policies(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.users.list_user_policies(ctx.request, p["UserName"], marker=p.get("Marker"),
                                                 max_items=p.get("MaxItems"))
    return page_out(page, "PolicyNames", page.items)
