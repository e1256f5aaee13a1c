"""Service-linked role operations (IAM API reference: CreateServiceLinkedRole, DeleteServiceLinkedRole,
GetServiceLinkedRoleDeletionStatus)."""

from __future__ import annotations

from typing import Any

from .iam_roles import role_out
from .registry import HandlerContext, operation


@operation("iam", "CreateServiceLinkedRole")
def create_service_linked_role(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    role = ctx.services.service_linked_roles.create_service_linked_role(
        ctx.request, p["AWSServiceName"], description=p.get("Description"), custom_suffix=p.get("CustomSuffix"))
    out = role_out(role)
    out.pop("RoleLastUsed")  # a new role has no last-use block, as in CreateRole
    return {"Role": out}


@operation("iam", "DeleteServiceLinkedRole")
def delete_service_linked_role(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    task_id = ctx.services.service_linked_roles.delete_service_linked_role(ctx.request, p["RoleName"])
    return {"DeletionTaskId": task_id}


@operation("iam", "GetServiceLinkedRoleDeletionStatus")
def get_service_linked_role_deletion_status(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    task = ctx.services.service_linked_roles.deletion_status(ctx.request, p["DeletionTaskId"])
    out: dict[str, Any] = {"Status": task.status}
    if task.reason:
        out["Reason"] = {"Reason": task.reason}
    return out
