"""IAM account-wide views (IAM API reference: GetAccountAuthorizationDetails, GetAccountSummary)."""

from __future__ import annotations

from typing import Any

from rolegate.iam.account_views import GroupDetail, PolicyDetail, RoleDetail, UserDetail
from rolegate.iam.policies import AttachedPolicy

from .iam_groups import group_out
from .iam_instance_profiles import instance_profile_out
from .iam_policies import policy_out, version_out
from .iam_roles import role_out
from .iam_users import user_out
from .common import url_encoded
from .registry import HandlerContext, operation


def _inline_out(policies: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"PolicyName": name, "PolicyDocument": url_encoded(doc)} for name, doc in policies]


def _attached_out(attached: tuple[AttachedPolicy, ...]) -> list[dict[str, str]]:
    return [{"PolicyName": a.name, "PolicyArn": a.arn} for a in attached]


def user_detail_out(d: UserDetail) -> dict[str, Any]:
    return {**user_out(d.user), "UserPolicyList": _inline_out(d.inline_policies), "GroupList": list(d.group_names),
            "AttachedManagedPolicies": _attached_out(d.attached)}


def group_detail_out(d: GroupDetail) -> dict[str, Any]:
    return {**group_out(d.group), "GroupPolicyList": _inline_out(d.inline_policies),
            "AttachedManagedPolicies": _attached_out(d.attached)}


def role_detail_out(d: RoleDetail) -> dict[str, Any]:
    out = role_out(d.role)
    # RoleDetail has no Description or MaxSessionDuration (IAM API reference, RoleDetail).
    out.pop("Description", None)
    out.pop("MaxSessionDuration")
    return {**out, "InstanceProfileList": [instance_profile_out(ip) for ip in d.instance_profiles],
            "RolePolicyList": _inline_out(d.inline_policies), "AttachedManagedPolicies": _attached_out(d.attached)}


def policy_detail_out(d: PolicyDetail) -> dict[str, Any]:
    # ManagedPolicyDetail: the Policy fields with the description but no tags, plus every version's document.
    out = policy_out(d.view, full=False)
    if d.view.policy.description is not None:
        out["Description"] = d.view.policy.description
    out["PolicyVersionList"] = [version_out(v) for v in d.versions]
    return out


@operation("iam", "GetAccountAuthorizationDetails")
def get_account_authorization_details(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    details = ctx.services.account_views.authorization_details(
        ctx.request, filters=p.get("Filter") or (), marker=p.get("Marker"), max_items=p.get("MaxItems"))
    out: dict[str, Any] = {
        "UserDetailList": [user_detail_out(d) for d in details.users],
        "GroupDetailList": [group_detail_out(d) for d in details.groups],
        "RoleDetailList": [role_detail_out(d) for d in details.roles],
        "Policies": [policy_detail_out(d) for d in details.policies],
        "IsTruncated": details.is_truncated,
    }
    if details.marker:
        out["Marker"] = details.marker
    return out


@operation("iam", "GetAccountSummary")
def get_account_summary(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"SummaryMap": ctx.services.account_views.summary(ctx.request)}
