"""IAM service last accessed operations (IAM API reference: GenerateServiceLastAccessedDetails,
GetServiceLastAccessedDetails, GetServiceLastAccessedDetailsWithEntities). A report is complete when generated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rolegate.iam.entities import AccessReportJobRecord
from rolegate.iam.last_accessed import SERVICE_LEVEL

from .common import page_out
from .registry import HandlerContext, operation

_TIMES = ("LastAuthenticated", "LastAccessedTime")


def _job_out(job: AccessReportJobRecord) -> dict[str, Any]:
    return {"JobStatus": "COMPLETED", "JobCreationDate": job.created_at, "JobCompletionDate": job.completed_at}


def _dated(item: dict[str, Any]) -> dict[str, Any]:
    """A stored report entry with its ISO times as datetimes (the codec serializes the model's timestamps)."""
    out: dict[str, Any] = {k: dt.datetime.fromisoformat(v) if k in _TIMES else v for k, v in item.items()}
    if "TrackedActionsLastAccessed" in item:
        out["TrackedActionsLastAccessed"] = [_dated(a) for a in item["TrackedActionsLastAccessed"]]
    return out


@operation("iam", "GenerateServiceLastAccessedDetails")
def generate_service_last_accessed_details(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"JobId": ctx.services.last_accessed.generate(ctx.request, p["Arn"], p.get("Granularity", SERVICE_LEVEL))}


@operation("iam", "GetServiceLastAccessedDetails")
def get_service_last_accessed_details(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    job, page = ctx.services.last_accessed.services(ctx.request, p["JobId"], marker=p.get("Marker"),
                                                    max_items=p.get("MaxItems"))
    return {**_job_out(job), "JobType": job.granularity,
            **page_out(page, "ServicesLastAccessed", [_dated(s) for s in page.items])}


@operation("iam", "GetServiceLastAccessedDetailsWithEntities")
def get_service_last_accessed_details_with_entities(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    job, page = ctx.services.last_accessed.entities(ctx.request, p["JobId"], p["ServiceNamespace"],
                                                    marker=p.get("Marker"), max_items=p.get("MaxItems"))
    return {**_job_out(job), **page_out(page, "EntityDetailsList", [_dated(e) for e in page.items])}


@operation("iam", "ListPoliciesGrantingServiceAccess")
def list_policies_granting_service_access(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    # Every namespace's policies fit one page (at most 200 namespaces of a few policies each): no Marker.
    entries = ctx.services.last_accessed.policies_granting(ctx.request, p["Arn"], p["ServiceNamespaces"])
    return {"PoliciesGrantingServiceAccess": entries, "IsTruncated": False}
