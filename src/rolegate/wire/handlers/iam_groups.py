"""IAM group operations (IAM API reference: CreateGroup … ListGroupPolicies, membership)."""

from __future__ import annotations

from typing import Any

from rolegate.iam.entities import GroupRecord

from .iam_users import user_out
from .common import page_out, url_encoded
from .registry import HandlerContext, operation


def group_out(group: GroupRecord) -> dict[str, Any]:
    return {"Path": group.path, "GroupName": group.name, "GroupId": group.group_id, "Arn": group.arn,
            "CreateDate": group.created_at}


@operation("iam", "CreateGroup")
def create_group(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    group = ctx.services.groups.create_group(ctx.request, p["GroupName"], path=p.get("Path", "/"))
    return {"Group": group_out(group)}


@operation("iam", "GetGroup")
def get_group(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    group, page = ctx.services.groups.get_group(ctx.request, p["GroupName"], marker=p.get("Marker"),
                                                max_items=p.get("MaxItems"))
    return {"Group": group_out(group), **page_out(page, "Users", [user_out(u, full=False) for u in page.items])}


@operation("iam", "ListGroups")
def list_groups(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.groups.list_groups(ctx.request, path_prefix=p.get("PathPrefix", "/"),
                                           marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return page_out(page, "Groups", [group_out(g) for g in page.items])


@operation("iam", "UpdateGroup")
def update_group(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.groups.update_group(ctx.request, p["GroupName"], new_path=p.get("NewPath"),
                                     new_name=p.get("NewGroupName"))


@operation("iam", "DeleteGroup")
def delete_group(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.groups.delete_group(ctx.request, p["GroupName"])


@operation("iam", "AddUserToGroup")
def add_user_to_group(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.groups.add_user_to_group(ctx.request, p["GroupName"], p["UserName"])


@operation("iam", "RemoveUserFromGroup")
def remove_user_from_group(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.groups.remove_user_from_group(ctx.request, p["GroupName"], p["UserName"])


@operation("iam", "ListGroupsForUser")
def list_groups_for_user(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.groups.list_groups_for_user(ctx.request, p["UserName"], marker=p.get("Marker"),
                                                    max_items=p.get("MaxItems"))
    return page_out(page, "Groups", [group_out(g) for g in page.items])


@operation("iam", "PutGroupPolicy")
def put_group_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.groups.put_group_policy(ctx.request, p["GroupName"], p["PolicyName"], p["PolicyDocument"])


@operation("iam", "GetGroupPolicy")
def get_group_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    group, document = ctx.services.groups.get_group_policy(ctx.request, p["GroupName"], p["PolicyName"])
    return {"GroupName": group.name, "PolicyName": p["PolicyName"], "PolicyDocument": url_encoded(document)}


@operation("iam", "DeleteGroupPolicy")
def delete_group_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.groups.delete_group_policy(ctx.request, p["GroupName"], p["PolicyName"])


@operation("iam", "ListGroupPolicies")
def list_group_policies(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.groups.list_group_policies(ctx.request, p["GroupName"], marker=p.get("Marker"),
                                                   max_items=p.get("MaxItems"))
    return page_out(page, "PolicyNames", page.items)
