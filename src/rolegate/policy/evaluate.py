"""The decision: AWS's policy evaluation logic over compiled policies.

Normative rules: docs/spec/policy-evaluation.md (R50–R68, R71–R73). Sources (IAM User Guide): "Policy
evaluation logic", "How AWS enforcement code logic evaluates requests to allow or deny access", "Policy
evaluation for requests within a single account", "Cross-account policy evaluation logic". In order:

1. an explicit Deny in any applicable policy decides (RCP, SCP, resource, identity, boundary, session);
2. SCPs (over the principal's account): every level must allow. RCPs (over the resource's account)
   only deny: AWS's ``RCPFullAWSAccess`` is attached at every level and cannot be detached (R53);
3. the role trust policy must allow ``sts:AssumeRole*`` even in the same account; root cannot assume;
   likewise a KMS key policy must allow every request on its key (R71);
4. anonymous, external and service callers need a resource-policy grant;
5. cross-account: the identity side (identity Allow, within boundary and session policy) and the
   resource policy must both allow;
6. same account: a grant naming the caller itself or everyone (direct) suffices; a grant naming the
   session's role suffices within boundary and session policy; an account grant delegates to the
   identity side, which suffices within boundary and session policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rolegate.policy.compiled import CompiledPolicy
from rolegate.policy.decision import POLICY_TYPE_PHRASES, Decision, Outcome, PolicyType, StatementRef
from rolegate.policy.document import TRUST_ACTIONS
from rolegate.policy.principals import Grade
from rolegate.policy.request import FEDERATED_USER, SERVICE, Request, is_kms_key

# Actions whose resource policy is the role trust policy, which must allow even in the same account
# ("How AWS enforcement code logic evaluates requests…": "IAM role trust policies and KMS key policies
# are exceptions…, because they must explicitly allow access for principals"; spec R65). Besides the
# AssumeRole* family, passing session tags (sts:TagSession), a source identity (sts:SetSourceIdentity)
# or a trusted-identity context (sts:SetContext) must be allowed by the trust policy too (spec R70).
# The other exception, the KMS key policy, is told by the resource, not the action (spec R71).


def is_trust_governed(action_lower: str) -> bool:
    return action_lower in TRUST_ACTIONS


@dataclass(frozen=True, slots=True)
class PolicySet:
    """All policies that apply to one request, compiled. SCPs and RCPs are levels of documents."""

    identity: Sequence[CompiledPolicy] = ()
    resource: CompiledPolicy | None = None
    boundary: CompiledPolicy | None = None
    session: Sequence[CompiledPolicy] = ()
    scps: Sequence[Sequence[CompiledPolicy]] = ()
    rcps: Sequence[Sequence[CompiledPolicy]] = ()


class _Scan:
    """Accumulates matching statements across the policies of one decision."""

    __slots__ = ("request", "has_boundary", "matched", "missing", "deny_types", "notes")

    def __init__(self, request: Request, has_boundary: bool) -> None:
        self.request = request
        self.has_boundary = has_boundary
        self.matched: list[StatementRef] = []
        self.missing: set[str] = set()
        self.deny_types: list[PolicyType] = []
        # Why a statement of a scanned policy failed closed (spec V15), for the explanation.
        self.notes: list[str] = []

    def policy(self, policy: CompiledPolicy, policy_type: PolicyType, index: int, level: int | None = None) -> Grade:
        """Scan one policy; returns the best grade of a matching Allow (NONE when none matched)."""
        request = self.request
        best = Grade.NONE
        if policy.problems:
            where = f"{POLICY_TYPE_PHRASES[policy_type]} {index}" + (f" (level {level})" if level is not None else "")
            self.notes.extend(f"{where}: {problem}" for problem in policy.problems)
        statements = policy._memo.get(request.action_lower)
        if statements is None:
            statements = policy.candidates(request.action_lower)
        for statement in statements:
            if not statement.applies_to_resource(request):
                continue
            grade = statement.principal_grade(request, self.has_boundary)
            if grade is Grade.NONE:
                continue
            if not statement.conditions_hold(request, self.missing):
                continue
            self.matched.append(
                StatementRef(
                    policy_type,
                    index,
                    statement.index,
                    statement.sid,
                    "Allow" if statement.is_allow else "Deny",
                    level,
                )
            )
            if statement.is_allow:
                if grade > best:
                    best = grade
            elif policy_type not in self.deny_types:
                self.deny_types.append(policy_type)
        return best

    def any_allow(self, policies: Sequence[CompiledPolicy], policy_type: PolicyType, level: int | None = None) -> bool:
        allowed = False
        for index, policy in enumerate(policies):
            if self.policy(policy, policy_type, index, level) is not Grade.NONE:
                allowed = True
        return allowed


_DENY_ORDER = (PolicyType.RCP, PolicyType.SCP, PolicyType.RESOURCE, PolicyType.IDENTITY, PolicyType.BOUNDARY, PolicyType.SESSION)


def evaluate(request: Request, policies: PolicySet) -> Decision:
    """Decide ``request`` against ``policies`` the way AWS does (see the module docstring).

    Every policy is scanned (not just until the first deny) so the explanation is complete.
    """
    scan = _Scan(request, policies.boundary is not None)
    iam_caller = request.is_iam_caller
    service_linked = request.is_service_linked_role
    # Spec R54: SCPs govern IAM callers; neither SCPs nor RCPs govern service-linked roles; RCPs do
    # not govern AWS service principals.
    scps = policies.scps if iam_caller and not service_linked else ()
    rcps = policies.rcps if request.kind != SERVICE and not service_linked else ()

    # Spec R53: every RCP level also holds RCPFullAWSAccess (Allow * on * for everyone), so a level's
    # own Allow statements never decide; RCPs are scanned for their denies and the explanation.
    for n, level in enumerate(rcps):
        scan.any_allow(level, PolicyType.RCP, n)
    scp_levels_ok = [scan.any_allow(level, PolicyType.SCP, n) for n, level in enumerate(scps)]
    resource_grade = Grade.NONE
    if policies.resource is not None:
        resource_grade = scan.policy(policies.resource, PolicyType.RESOURCE, 0)
    identity_allow = scan.any_allow(policies.identity, PolicyType.IDENTITY)
    boundary_ok = policies.boundary is None or scan.policy(policies.boundary, PolicyType.BOUNDARY, 0) is not Grade.NONE
    session_ok = not policies.session or scan.any_allow(policies.session, PolicyType.SESSION)

    matched = tuple(scan.matched)
    missing = tuple(sorted(scan.missing)) if scan.missing else ()
    notes = tuple(scan.notes)
    if scan.deny_types:
        denied_by = min(scan.deny_types, key=_DENY_ORDER.index)
        return Decision(Outcome.EXPLICIT_DENY, matched, denied_by=denied_by, missing_context_keys=missing, notes=notes)

    def implicit(culprit: PolicyType, note: str | None = None) -> Decision:
        return _implicit(matched, missing, culprit, (note,) + notes if note else notes)

    allow = Decision(Outcome.ALLOW, matched, missing_context_keys=missing, notes=notes)
    if not all(scp_levels_ok):
        return implicit(PolicyType.SCP)

    trust = is_trust_governed(request.action_lower)
    if trust and request.is_root:
        # AssumeRole: "You cannot use AWS account root user credentials to call AssumeRole" (spec R67);
        # so the root user cannot tag or set the source identity of a role session either.
        return implicit(PolicyType.IDENTITY, "the root user cannot assume a role")
    if trust and resource_grade is Grade.NONE:
        return implicit(PolicyType.RESOURCE)
    if not iam_caller:
        # Anonymous, external and service callers have only the resource policy (spec R64).
        return allow if resource_grade is not Grade.NONE else implicit(PolicyType.RESOURCE)

    # The root user has full access without identity policies (spec R55); a federated user without
    # a session policy has no permissions (GetFederationToken; spec R58).
    identity_allow = identity_allow or request.is_root
    if request.kind == FEDERATED_USER and not policies.session:
        identity_allow = False

    if request.is_cross_account:
        # Both the caller's account and the resource's must allow (spec R63).
        if resource_grade is not Grade.NONE and identity_allow and boundary_ok and session_ok:
            return allow
        return implicit(_identity_culprit(identity_allow, boundary_ok, session_ok) or PolicyType.RESOURCE)

    # Same account (spec R59): D or ((I or Rg) and B and S).
    if resource_grade is Grade.DIRECT:
        return allow
    if identity_allow and resource_grade is Grade.NONE and is_kms_key(request.resource):
        # "Without permission from the key policy, IAM policies that allow permissions have no effect"
        # ("Key policies in AWS KMS"; spec R71), even for the account's root user. Elsewhere a key
        # already needs its grant: cross-account (R63, R73) and for callers without identity (R64).
        return implicit(PolicyType.RESOURCE, "the key policy does not allow the request")
    if (identity_allow or resource_grade is Grade.ROLE) and boundary_ok and session_ok:
        return allow
    if resource_grade is Grade.ROLE or identity_allow:
        return implicit(PolicyType.BOUNDARY if not boundary_ok else PolicyType.SESSION)
    return implicit(PolicyType.IDENTITY)


def _implicit(
    matched: tuple[StatementRef, ...], missing: tuple[str, ...], culprit: PolicyType, notes: tuple[str, ...]
) -> Decision:
    return Decision(Outcome.IMPLICIT_DENY, matched, missing_allow=culprit, missing_context_keys=missing, notes=notes)


def _identity_culprit(identity_allow: bool, boundary_ok: bool, session_ok: bool) -> PolicyType | None:
    if not identity_allow:
        return PolicyType.IDENTITY
    if not boundary_ok:
        return PolicyType.BOUNDARY
    if not session_ok:
        return PolicyType.SESSION
    return None
