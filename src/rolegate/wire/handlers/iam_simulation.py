"""IAM's policy simulator (IAM API reference: SimulatePrincipalPolicy, SimulateCustomPolicy,
GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy). The rules are ``rolegate.analysis.simulation``'s;
the output is AWS's shape only — rolegate's explanation is the CLI's (docs/spec/simulation.md)."""

from __future__ import annotations

from typing import Any

from rolegate.analysis.positions import Position
from rolegate.analysis.simulation import EvaluationResult, MatchedStatement, ResourceResult, context_entries
from rolegate.core.pagination import Page

from .registry import HandlerContext, operation


def _position(position: Position) -> dict[str, int]:
    return {"Line": position.line, "Column": position.column}


def _statement(matched: MatchedStatement) -> dict[str, Any]:
    out: dict[str, Any] = {"SourcePolicyId": matched.policy_id, "SourcePolicyType": matched.source_type}
    if matched.start is not None and matched.end is not None:
        out["StartPosition"] = _position(matched.start)
        out["EndPosition"] = _position(matched.end)
    return out


def _details(result: ResourceResult, out: dict[str, Any]) -> None:
    out["MatchedStatements"] = [_statement(m) for m in result.matched]
    out["MissingContextValues"] = list(result.missing_context)
    if result.details is not None:
        out["EvalDecisionDetails"] = dict(result.details)
    if result.allowed_by_boundary is not None:
        out["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": result.allowed_by_boundary}


def evaluation_result_out(evaluation: EvaluationResult) -> dict[str, Any]:
    result = evaluation.result
    out: dict[str, Any] = {"EvalActionName": evaluation.action, "EvalResourceName": evaluation.resource,
                           "EvalDecision": result.decision}
    _details(result, out)
    if result.allowed_by_organizations is not None:
        out["OrganizationsDecisionDetail"] = {"AllowedByOrganizations": result.allowed_by_organizations}
    if evaluation.resource_specific:
        specific: dict[str, Any] = {"EvalResourceName": result.resource, "EvalResourceDecision": result.decision}
        _details(result, specific)
        out["ResourceSpecificResults"] = [specific]
    return out


def _simulation_out(page: Page[EvaluationResult]) -> dict[str, Any]:
    out: dict[str, Any] = {"EvaluationResults": [evaluation_result_out(e) for e in page.items],
                           "IsTruncated": page.is_truncated}
    if page.marker:
        out["Marker"] = page.marker
    return out


def _common(p: dict[str, Any]) -> dict[str, Any]:
    return {"permissions_boundary_policy_input_list": p.get("PermissionsBoundaryPolicyInputList"),
            "resource_arns": p.get("ResourceArns"), "resource_policy": p.get("ResourcePolicy"),
            "resource_owner": p.get("ResourceOwner"), "caller_arn": p.get("CallerArn"),
            "context_entries": context_entries(p.get("ContextEntries")),
            "resource_handling_option": p.get("ResourceHandlingOption"),
            "max_items": p.get("MaxItems"), "marker": p.get("Marker")}


@operation("iam", "SimulatePrincipalPolicy")
def simulate_principal_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _simulation_out(ctx.services.simulation.simulate_principal_policy(
        ctx.request, p["PolicySourceArn"], p["ActionNames"], policy_input_list=p.get("PolicyInputList"),
        policy_exclusion_list=p.get("PolicyExclusionList"), **_common(p)))


@operation("iam", "SimulateCustomPolicy")
def simulate_custom_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _simulation_out(ctx.services.simulation.simulate_custom_policy(
        ctx.request, p["PolicyInputList"], p["ActionNames"],
        ordered_organization_policy_input_list=[level.get("ServiceControlPolicyInputList") or []
                                                for level in p.get("OrderedOrganizationPolicyInputList") or ()],
        **_common(p)))


@operation("iam", "GetContextKeysForPrincipalPolicy")
def get_context_keys_for_principal_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"ContextKeyNames": ctx.services.simulation.context_keys_for_principal_policy(
        ctx.request, p["PolicySourceArn"], p.get("PolicyInputList"))}


@operation("iam", "GetContextKeysForCustomPolicy")
def get_context_keys_for_custom_policy(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"ContextKeyNames": ctx.services.simulation.context_keys_for_custom_policy(
        ctx.request, p["PolicyInputList"])}
