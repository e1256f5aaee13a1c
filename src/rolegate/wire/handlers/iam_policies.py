"""IAM managed policy operations (IAM API reference: CreatePolicy … ListEntitiesForPolicy, the policy
version operations, and Attach/Detach/ListAttached{Role,User,Group}Policies)."""

from __future__ import annotations

from typing import Any

from rolegate.iam.policies import PolicyView, VersionView

from .common import page_out, tags_in, tags_out, url_encoded
from .registry import HandlerContext, operation


def policy_out(view: PolicyView, *, full: bool = True) -> dict[str, Any]:
    """The ``Policy`` structure; ListPolicies leaves out the description and tags, as IAM does."""
    p = view.policy
    out: dict[str, Any] = {
        "PolicyName": p.name,
        "PolicyId": p.policy_id,
        "Arn": p.arn,
        "Path": p.path,
        "DefaultVersionId": p.default_version_id,
        "AttachmentCount": view.attachment_count,
        "PermissionsBoundaryUsageCount": view.boundary_count,
        "IsAttachable": True,
        "CreateDate": p.created_at,
        "UpdateDate": p.updated_at,
    }
    if full:
        if p.description is not None:
            out["Description"] = p.description
        if p.tags:
            out["Tags"] = tags_out(p.tags)
    return out


def version_out(view: VersionView, *, with_document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"VersionId": view.version.version_id, "IsDefaultVersion": view.is_default,
                           "CreateDate": view.version.created_at}
    if with_document:
        out["Document"] = url_encoded(view.version.document)
    return out


def _caller_arn(ctx: HandlerContext) -> str | None:
    return ctx.caller.arn if ctx.caller else None


@operation("iam", "CreatePolicy")
def create_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    view = ctx.services.policies.create_policy(
        ctx.request, p["PolicyName"], p["PolicyDocument"], path=p.get("Path", "/"),
        description=p.get("Description"), tags=tags_in(p.get("Tags")))
    return {"Policy": policy_out(view)}


@operation("iam", "GetPolicy")
def get_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"Policy": policy_out(ctx.services.policies.get_policy(ctx.request, p["PolicyArn"]))}


@operation("iam", "DeletePolicy")
def delete_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.policies.delete_policy(ctx.request, p["PolicyArn"], caller_arn=_caller_arn(ctx))


@operation("iam", "ListPolicies")
def list_policies(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.policies.list_policies(
        ctx.request, scope=p.get("Scope", "All"), only_attached=bool(p.get("OnlyAttached", False)),
        path_prefix=p.get("PathPrefix", "/"), usage_filter=p.get("PolicyUsageFilter"),
        marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return page_out(page, "Policies", [policy_out(v, full=False) for v in page.items])


@operation("iam", "CreatePolicyVersion")
def create_policy_version(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    view = ctx.services.policies.create_policy_version(
        ctx.request, p["PolicyArn"], p["PolicyDocument"], set_as_default=bool(p.get("SetAsDefault", False)),
        caller_arn=_caller_arn(ctx))
    return {"PolicyVersion": version_out(view, with_document=False)}


@operation("iam", "GetPolicyVersion")
def get_policy_version(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    view = ctx.services.policies.get_policy_version(ctx.request, p["PolicyArn"], p["VersionId"])
    return {"PolicyVersion": version_out(view)}


@operation("iam", "ListPolicyVersions")
def list_policy_versions(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.policies.list_policy_versions(ctx.request, p["PolicyArn"], marker=p.get("Marker"),
                                                      max_items=p.get("MaxItems"))
    return page_out(page, "Versions", [version_out(v, with_document=False) for v in page.items])


@operation("iam", "DeletePolicyVersion")
def delete_policy_version(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.policies.delete_policy_version(ctx.request, p["PolicyArn"], p["VersionId"],
                                                caller_arn=_caller_arn(ctx))


@operation("iam", "SetDefaultPolicyVersion")
def set_default_policy_version(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.policies.set_default_policy_version(ctx.request, p["PolicyArn"], p["VersionId"],
                                                     caller_arn=_caller_arn(ctx))


@operation("iam", "TagPolicy")
def tag_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.policies.tag_policy(ctx.request, p["PolicyArn"], tags_in(p["Tags"]), caller_arn=_caller_arn(ctx))


@operation("iam", "UntagPolicy")
def untag_policy(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.policies.untag_policy(ctx.request, p["PolicyArn"], p["TagKeys"], caller_arn=_caller_arn(ctx))


@operation("iam", "ListPolicyTags")
def list_policy_tags(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.policies.list_policy_tags(ctx.request, p["PolicyArn"], marker=p.get("Marker"),
                                                  max_items=p.get("MaxItems"))
    return page_out(page, "Tags", tags_out(tuple(page.items)))


@operation("iam", "ListEntitiesForPolicy")
def list_entities_for_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.policies.list_entities_for_policy(
        ctx.request, p["PolicyArn"], entity_filter=p.get("EntityFilter"), path_prefix=p.get("PathPrefix", "/"),
        usage_filter=p.get("PolicyUsageFilter"), marker=p.get("Marker"), max_items=p.get("MaxItems"))
    out: dict[str, Any] = {
        "PolicyGroups": [{"GroupName": e.name, "GroupId": e.entity_id} for e in page.items if e.kind == "Group"],
        "PolicyUsers": [{"UserName": e.name, "UserId": e.entity_id} for e in page.items if e.kind == "User"],
        "PolicyRoles": [{"RoleName": e.name, "RoleId": e.entity_id} for e in page.items if e.kind == "Role"],
        "IsTruncated": page.is_truncated,
    }
    if page.marker:
        out["Marker"] = page.marker
    return out


def _register_attachments(kind: str, name_param: str) -> None:
    """Attach/Detach/ListAttached{kind}Policies: the same three operations for roles, users and groups."""

    def attach(ctx: HandlerContext, p: dict[str, Any]) -> None:
        ctx.services.policies.attach(ctx.request, kind, p[name_param], p["PolicyArn"])

    def detach(ctx: HandlerContext, p: dict[str, Any]) -> None:
        ctx.services.policies.detach(ctx.request, kind, p[name_param], p["PolicyArn"])

    def list_attached(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
        page = ctx.services.policies.list_attached(ctx.request, kind, p[name_param],
                                                   path_prefix=p.get("PathPrefix", "/"), marker=p.get("Marker"),
                                                   max_items=p.get("MaxItems"))
        return page_out(page, "AttachedPolicies",
                        [{"PolicyName": a.name, "PolicyArn": a.arn} for a in page.items])

    operation("iam", f"Attach{kind}Policy")(attach)
    operation("iam", f"Detach{kind}Policy")(detach)
    operation("iam", f"ListAttached{kind}Policies")(list_attached)


for _kind in ("Role", "User", "Group"):
    _register_attachments(_kind, f"{_kind}Name")
