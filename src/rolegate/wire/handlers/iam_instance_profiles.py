"""IAM instance-profile operations (IAM API reference: CreateInstanceProfile … ListInstanceProfileTags)."""

from __future__ import annotations

from typing import Any

from rolegate.iam.instance_profiles import InstanceProfile

from .iam_roles import role_out
from .common import page_out, tags_in, tags_out, tags_page_out
from .registry import HandlerContext, operation


def instance_profile_out(ip: InstanceProfile) -> dict[str, Any]:
    """The ``InstanceProfile`` structure; its roles are full ``Role`` structures, as IAM returns them."""
    p = ip.profile
    out: dict[str, Any] = {
        "Path": p.path,
        "InstanceProfileName": p.name,
        "InstanceProfileId": p.instance_profile_id,
        "Arn": p.arn,
        "CreateDate": p.created_at,
        "Roles": [role_out(r) for r in ip.roles],
    }
    if p.tags:
        out["Tags"] = tags_out(p.tags)
    return out




@operation("iam", "CreateInstanceProfile")
def create_instance_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    ip = ctx.services.instance_profiles.create_instance_profile(
        ctx.request, p["InstanceProfileName"], path=p.get("Path", "/"), tags=tags_in(p.get("Tags")))
    return {"InstanceProfile": instance_profile_out(ip)}


@operation("iam", "GetInstanceProfile")
def get_instance_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    ip = ctx.services.instance_profiles.get_instance_profile(ctx.request, p["InstanceProfileName"])
    return {"InstanceProfile": instance_profile_out(ip)}


@operation("iam", "DeleteInstanceProfile")
def delete_instance_profile(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.instance_profiles.delete_instance_profile(ctx.request, p["InstanceProfileName"])


@operation("iam", "ListInstanceProfiles")
def list_instance_profiles(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.instance_profiles.list_instance_profiles(
        ctx.request, path_prefix=p.get("PathPrefix", "/"), marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return page_out(page, "InstanceProfiles", [instance_profile_out(ip) for ip in page.items])


@operation("iam", "ListInstanceProfilesForRole")
def list_instance_profiles_for_role(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.instance_profiles.list_instance_profiles_for_role(
        ctx.request, p["RoleName"], marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return page_out(page, "InstanceProfiles", [instance_profile_out(ip) for ip in page.items])


@operation("iam", "AddRoleToInstanceProfile")
def add_role_to_instance_profile(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.instance_profiles.add_role(ctx.request, p["InstanceProfileName"], p["RoleName"])


@operation("iam", "RemoveRoleFromInstanceProfile")
def remove_role_from_instance_profile(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.instance_profiles.remove_role(ctx.request, p["InstanceProfileName"], p["RoleName"])


@operation("iam", "TagInstanceProfile")
def tag_instance_profile(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.instance_profiles.tag_instance_profile(ctx.request, p["InstanceProfileName"],
                                                        tags_in(p["Tags"]))


@operation("iam", "UntagInstanceProfile")
def untag_instance_profile(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.instance_profiles.untag_instance_profile(ctx.request, p["InstanceProfileName"], p["TagKeys"])


@operation("iam", "ListInstanceProfileTags")
def list_instance_profile_tags(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    ip = ctx.services.instance_profiles.get_instance_profile(ctx.request, p["InstanceProfileName"])
    return tags_page_out(ip.profile.tags, p)
