"""The neutral case format (docs/reference/policy-cases.md) adapted to the engine.

``evaluate_case`` takes one decoded JSON case and returns ``{"id", "decision"[, "error"],
"explanation"}``. A case that cannot be evaluated (unparsable policy, unknown operator, a request
without the required fields) is decided ``Error`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rolegate.core.errors import AwsError
from rolegate.policy.compiled import CompiledPolicy, compile_policy
from rolegate.policy.decision import Outcome
from rolegate.policy.evaluate import PolicySet, evaluate, is_trust_governed
from rolegate.policy.request import FEDERATED_USER, ROLE, SESSION, Request, UnknownCaller


class CaseError(ValueError):
    """The case itself is not well formed."""


def _documents(case: Mapping[str, Any], field: str) -> list[Any]:
    value = case.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CaseError(f"{field} must be a list")
    return value


def _compile(document: Any, kind: str, where: str) -> CompiledPolicy:
    if not isinstance(document, Mapping):
        raise CaseError(f"{where}: a policy document must be a JSON object")
    try:
        # A case's documents are held to the grammar IAM enforces when it stores them, trust-policy
        # actions included: a trust policy naming other actions describes a role that cannot exist
        # (spec R69; docs/adr/0008-trust-policy-corners.md).
        return compile_policy(document, kind=kind)
    except AwsError as exc:
        raise CaseError(f"{where}: {exc.code}: {exc.message}") from None


def _levels(case: Mapping[str, Any], field: str, kind: str) -> list[list[CompiledPolicy]]:
    levels = []
    for n, level in enumerate(_documents(case, field)):
        if not isinstance(level, list):
            raise CaseError(f"{field}[{n}] must be a list of documents")
        levels.append([_compile(doc, kind, f"{field}[{n}][{i}]") for i, doc in enumerate(level)])
    return levels


def case_request(case: Mapping[str, Any]) -> Request:
    raw = case.get("request")
    if not isinstance(raw, Mapping):
        raise CaseError("request must be an object")
    for name in ("principal", "action", "resource", "resourceAccount"):
        if not isinstance(raw.get(name), str):
            raise CaseError(f"request.{name} must be a string")
    context = raw.get("context") or {}
    if not isinstance(context, Mapping):
        raise CaseError("request.context must be an object")
    for key, value in context.items():
        if not isinstance(value, str) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise CaseError(f"request.context[{key!r}] must be a string or a list of strings")
    try:
        return Request.of(
            principal=raw["principal"],
            action=raw["action"],
            resource=raw["resource"],
            resource_account=raw["resourceAccount"],
            context=context,
        )
    except UnknownCaller as exc:
        raise CaseError(str(exc)) from None


def _check_policy_types(request: Request, identity: list[Any], boundaries: list[Any], sessions: list[Any], scps: list[Any]) -> None:
    """Spec R5, R54: a case may not give a caller a policy type it cannot have."""
    if len(boundaries) > 1:
        raise CaseError("permissionBoundaries holds at most one document")
    if not request.is_iam_caller and (identity or boundaries or sessions):
        raise CaseError(f"a {request.kind} caller has no identity policies, boundary or session policies")
    if request.is_root and (identity or boundaries or sessions):
        raise CaseError("the root user has no identity policies, boundary or session policies")
    if sessions and request.kind not in (SESSION, ROLE, FEDERATED_USER):
        raise CaseError(f"session policies do not apply to a {request.kind} caller")
    if scps and not request.is_iam_caller:
        raise CaseError(f"SCPs do not apply to a {request.kind} caller")


def case_policy_set(case: Mapping[str, Any], request: Request) -> PolicySet:
    identity = _documents(case, "identityPolicies")
    boundaries = _documents(case, "permissionBoundaries")
    sessions = _documents(case, "sessionPolicies")
    scp_levels = _documents(case, "scps")
    _check_policy_types(request, identity, boundaries, sessions, scp_levels)
    resource_doc = case.get("resourcePolicy")
    trust = is_trust_governed(request.action_lower)
    if trust and resource_doc is None:
        raise CaseError("sts:AssumeRole* needs the role's trust policy in resourcePolicy")
    resource = None
    if resource_doc is not None:
        resource = _compile(resource_doc, "trust" if trust else "resource", "resourcePolicy")
    return PolicySet(
        identity=[_compile(d, "identity", f"identityPolicies[{i}]") for i, d in enumerate(identity)],
        resource=resource,
        boundary=_compile(boundaries[0], "boundary", "permissionBoundaries[0]") if boundaries else None,
        session=[_compile(d, "session", f"sessionPolicies[{i}]") for i, d in enumerate(sessions)],
        scps=_levels(case, "scps", "scp"),
        rcps=_levels(case, "rcps", "rcp"),
    )


def evaluate_case(case: dict[str, Any], *, explain: bool = True) -> dict[str, Any]:
    """Decide one neutral-format case: ``{"id", "decision", ["error"], ["explanation"]}``."""
    case_id = case.get("id") if isinstance(case, Mapping) else None
    try:
        if not isinstance(case, Mapping):
            raise CaseError("a case must be a JSON object")
        request = case_request(case)
        decision = evaluate(request, case_policy_set(case, request))
    except CaseError as exc:
        return {"id": case_id, "decision": Outcome.ERROR.value, "error": str(exc)}
    out: dict[str, Any] = {"id": case_id, "decision": decision.outcome.value}
    if explain:
        out["explanation"] = decision.explanation()
    return out


def evaluate_cases(cases: Sequence[dict[str, Any]], *, explain: bool = False) -> list[dict[str, Any]]:
    return [evaluate_case(case, explain=explain) for case in cases]
