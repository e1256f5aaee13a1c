"""IAM role operations (IAM API reference: CreateRole … ListRolePolicies)."""

from __future__ import annotations

from typing import Any

from rolegate.iam.entities import RoleRecord

from .common import page_out, tags_in, tags_out, url_encoded
from .registry import HandlerContext, operation


def role_out(role: RoleRecord, *, full: bool = True) -> dict[str, Any]:
    """The ``Role`` structure. ListRoles leaves out tags, boundary and last use, as IAM does."""
    out: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": url_encoded(role.trust_policy),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description is not None:
        out["Description"] = role.description
    if full:
        if role.permissions_boundary_arn:
            out["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                          "PermissionsBoundaryArn": role.permissions_boundary_arn}
        if role.tags:
            out["Tags"] = tags_out(role.tags)
        last_used: dict[str, Any] = {}
        if role.last_used_at:
            last_used = {"LastUsedDate": role.last_used_at, "Region": role.last_used_region}
        out["RoleLastUsed"] = last_used
    return out






@operation("iam", "CreateRole")
def create_role(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    role = ctx.services.roles.create_role(
        ctx.request, p["RoleName"], p["AssumeRolePolicyDocument"], path=p.get("Path", "/"),
        description=p.get("Description"), max_session_duration=p.get("MaxSessionDuration", 3600),
        permissions_boundary_arn=p.get("PermissionsBoundary"), tags=tags_in(p.get("Tags")))
    out = role_out(role)
    out.pop("RoleLastUsed")  # CreateRole's response carries no last-use block
    return {"Role": out}


@operation("iam", "GetRole")
def get_role(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"Role": role_out(ctx.services.roles.get_role(ctx.request, p["RoleName"]))}


@operation("iam", "ListRoles")
def list_roles(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.roles.list_roles(ctx.request, path_prefix=p.get("PathPrefix", "/"),
                                         marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return page_out(page, "Roles", [role_out(r, full=False) for r in page.items])


@operation("iam", "UpdateRole")
def update_role(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    ctx.services.roles.update_role(ctx.request, p["RoleName"], description=p.get("Description"),
                                   max_session_duration=p.get("MaxSessionDuration"))
    return {}


@operation("iam", "UpdateRoleDescription")
def update_role_description(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    role = ctx.services.roles.update_role(ctx.request, p["RoleName"], description=p["Description"])
    return {"Role": role_out(role)}


@operation("iam", "DeleteRole")
def delete_role(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.roles.delete_role(ctx.request, p["RoleName"])


@operation("iam", "UpdateAssumeRolePolicy")
def update_assume_role_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.roles.update_trust_policy(ctx.request, p["RoleName"], p["PolicyDocument"])


@operation("iam", "TagRole")
def tag_role(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.roles.tag_role(ctx.request, p["RoleName"], tags_in(p["Tags"]))


@operation("iam", "UntagRole")
def untag_role(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.roles.untag_role(ctx.request, p["RoleName"], p["TagKeys"])


@operation("iam", "ListRoleTags")
def list_role_tags(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.roles.list_role_tags(ctx.request, p["RoleName"], marker=p.get("Marker"),
                                             max_items=p.get("MaxItems"))
    return page_out(page, "Tags", tags_out(tuple(page.items)))


@operation("iam", "PutRolePermissionsBoundary")
def put_role_permissions_boundary(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.roles.put_permissions_boundary(ctx.request, p["RoleName"], p["PermissionsBoundary"])


@operation("iam", "DeleteRolePermissionsBoundary")
def delete_role_permissions_boundary(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.roles.delete_permissions_boundary(ctx.request, p["RoleName"])


@operation("iam", "PutRolePolicy")
def put_role_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.roles.put_role_policy(ctx.request, p["RoleName"], p["PolicyName"], p["PolicyDocument"])


@operation("iam", "GetRolePolicy")
def get_role_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    role, document = ctx.services.roles.get_role_policy(ctx.request, p["RoleName"], p["PolicyName"])
    return {"RoleName": role.name, "PolicyName": p["PolicyName"], "PolicyDocument": url_encoded(document)}


@operation("iam", "DeleteRolePolicy")
def delete_role_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.roles.delete_role_policy(ctx.request, p["RoleName"], p["PolicyName"])


@operation("iam", "ListRolePolicies")
def list_role_policies(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.roles.list_role_policies(ctx.request, p["RoleName"], marker=p.get("Marker"),
                                                 max_items=p.get("MaxItems"))
    return page_out(page, "PolicyNames", page.items)
