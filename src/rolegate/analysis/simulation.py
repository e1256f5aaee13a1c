"""Policy simulation as IAM's simulator answers it: SimulatePrincipalPolicy, SimulateCustomPolicy and the two
GetContextKeysFor* operations, decided by the engine that enforces (``rolegate.policy.evaluate``).

Normative description: docs/spec/simulation.md. Sources: IAM API reference (SimulatePrincipalPolicy,
SimulateCustomPolicy, GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy —
https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html) and IAM User Guide,
"Testing IAM policies with the IAM policy simulator"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_testing-policies.html).

What is simulated is what the caller names, not what a live request would carry: the context holds only the
``ContextEntries`` given (a key a matching statement's condition reads and nobody supplied is reported in
``MissingContextValues``); without a ``ResourcePolicy`` the question is the identity side's alone, so every
resource counts as the caller's account's ("The simulation does not automatically retrieve policies for the
specified resources"); with one, a resource's account is its ARN's, else ``ResourceOwner``, else the caller's.

Each result keeps the engine's ``Decision``: ``Decision.explanation()`` is what rolegate says beyond AWS
(which statements of which policies matched, which policy type decided), shown by ``rolegate policy simulate``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from rolegate.authz import RequestContext
from rolegate.core.arns import DEFAULT_PARTITION, iam_arn, parse_arn
from rolegate.core.errors import InvalidInput, MalformedPolicyDocument, NoSuchEntity, PolicyEvaluation
from rolegate.core.pagination import Page
from rolegate.iam.aws_managed import AWS_ACCOUNT, aws_managed_policy
from rolegate.iam.paging import page_by_position
from rolegate.iam.policy_lookup import find_managed_policy
from rolegate.iam.ports import IamStore, IamTransaction
from rolegate.policy import (CompiledPolicy, Decision, Outcome, Policy, PolicySet, PolicyType, Request,
                             compile_policy, evaluate, parse_policy)

from .context_keys import referenced_keys, spelled
from .positions import Position, statement_spans

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"
_EVAL_DECISIONS = {Outcome.ALLOW: ALLOWED, Outcome.EXPLICIT_DENY: EXPLICIT_DENY, Outcome.IMPLICIT_DENY: IMPLICIT_DENY}

# SourcePolicyType values (the PolicySourceType enum of IAM's API).
USER, GROUP, ROLE, AWS_MANAGED, USER_MANAGED, RESOURCE, NONE = (
    "user", "group", "role", "aws-managed", "user-managed", "resource", "none")

# ResourceHandlingOption: the EC2 scenarios the simulator knows (SimulatePrincipalPolicy, request parameters).
RESOURCE_HANDLING_OPTIONS = frozenset({
    "EC2-VPC-InstanceStore", "EC2-VPC-InstanceStore-Subnet", "EC2-VPC-EBS", "EC2-VPC-EBS-Subnet",
    "EC2-Classic-InstanceStore", "EC2-Classic-EBS"})

_CALLER = re.compile(r"^arn:[\w-]+:iam::\d{12}:(user|group|role)/(.+/)?[^/]+$")
_OWNER = re.compile(r"^(\d{12}|arn:[\w-]+:iam::\d{12}:root)$")
_SINGLE_TYPES = frozenset({"string", "numeric", "boolean", "date", "ip", "binary"})
# The EvalDecisionDetails key of each policy type a cross-account simulation reports.
_DETAIL_KEYS = {PolicyType.IDENTITY: "IAM Policy", PolicyType.RESOURCE: "Resource Policy",
                PolicyType.BOUNDARY: "Permissions Boundary Policy"}


@dataclass(frozen=True, slots=True)
class SimulatedPolicy:
    """One policy of a simulation: how AWS names it in ``MatchedStatements``, its text as stored, compiled."""

    policy_id: str
    source_type: str
    text: str
    compiled: CompiledPolicy
    parsed: Policy
    owner: str | None = None  # an inline policy's user, group or role (PolicyExclusionList names it)


@dataclass(frozen=True, slots=True)
class ContextEntry:
    name: str
    values: tuple[str, ...]
    type: str = "string"


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    policy_id: str
    source_type: str
    start: Position | None
    end: Position | None


@dataclass(frozen=True, slots=True)
class ResourceResult:
    """The simulator's answer for one action on one resource, and the engine's decision behind it."""

    resource: str
    decision: str
    matched: tuple[MatchedStatement, ...]
    missing_context: tuple[str, ...]
    # EvalDecisionDetails: None when AWS leaves it out (same account, resource "*").
    details: Mapping[str, str] | None
    allowed_by_boundary: bool | None  # None: no permissions boundary
    allowed_by_organizations: bool | None  # None: no SCPs simulated
    engine: Decision

    def explanation(self, simulation: Simulation) -> dict[str, object]:
        """rolegate's explanation: the engine's, each matched statement (SCPs' too) named by its policy."""
        out = self.engine.explanation()
        named = []
        for ref in self.engine.matched:
            policy = _policy_of(simulation, ref.policy_type, ref.policy_index, ref.level)
            named.append({**ref.to_json(), "sourcePolicyId": policy.policy_id if policy else None})
        out["matched"] = named
        return out


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    action: str
    resource: str  # EvalResourceName
    result: ResourceResult
    resource_specific: bool  # ResourceArns were given: the result is also a ResourceSpecificResult


@dataclass(frozen=True, slots=True)
class Simulation:
    """Everything one simulation evaluates; ``simulate`` decides it without a store (the CLI uses it)."""

    caller_arn: str
    actions: Sequence[str]
    identity: Sequence[SimulatedPolicy] = ()
    boundary: SimulatedPolicy | None = None
    scps: Sequence[Sequence[SimulatedPolicy]] = ()  # the SCPs of each level, organization root first
    resource_policy: SimulatedPolicy | None = None
    resource_arns: Sequence[str] = ()
    resource_owner: str | None = None
    context: Sequence[ContextEntry] = ()
    policies: tuple[SimulatedPolicy, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        every = [*self.identity, *([self.boundary] if self.boundary else []),
                 *(p for level in self.scps for p in level),
                 *([self.resource_policy] if self.resource_policy else [])]
        object.__setattr__(self, "policies", tuple(every))


# The most action-resource pairs one call may ask for. AWS documents no bound on ActionNames or ResourceArns,
# but a 1 MiB body could name ~15,000 of each, 10^8 decisions: rolegate's own bound, docs/spec/simulation.md.
MAX_SIMULATED_PAIRS = 10_000


def simulate(simulation: Simulation) -> list[EvaluationResult]:
    """Each action on each resource (``*`` when none are named), in that order, decided by the engine."""
    pairs = len(simulation.actions) * max(1, len(simulation.resource_arns))
    if pairs > MAX_SIMULATED_PAIRS:
        raise InvalidInput(f"The simulation asks for {pairs} action-resource pairs; at most "
                           f"{MAX_SIMULATED_PAIRS} can be simulated in one call.")
    context = context_of(simulation.context)
    names = spelled([*referenced_keys(p.parsed for p in simulation.policies), *(e.name for e in simulation.context)])
    policy_set = PolicySet(identity=tuple(p.compiled for p in simulation.identity),
                           resource=simulation.resource_policy.compiled if simulation.resource_policy else None,
                           boundary=simulation.boundary.compiled if simulation.boundary else None,
                           scps=tuple(tuple(p.compiled for p in level) for level in simulation.scps))
    caller_account = _account(simulation.caller_arn)
    owner = _owner_account(simulation.resource_owner) or caller_account
    resources = list(simulation.resource_arns) or ["*"]
    out: list[EvaluationResult] = []
    for action in simulation.actions:
        for resource in resources:
            account = caller_account
            if simulation.resource_policy is not None:
                account = _arn_account(resource) or owner
            request = _request(simulation, action, resource, account, context)
            decision = evaluate(request, policy_set)
            if decision.outcome is Outcome.ERROR:
                raise PolicyEvaluation(decision.error or "The policy could not be evaluated.")
            out.append(EvaluationResult(action, resource, _result(simulation, resource, decision, names,
                                                                  cross_account=account != caller_account),
                                        bool(simulation.resource_arns)))
    return out


def _request(simulation: Simulation, action: str, resource: str, account: str,
             context: Mapping[str, str | tuple[str, ...]]) -> Request:
    caller = simulation.caller_arn
    parsed = parse_arn(caller)
    if parsed is not None and parsed.service == "iam" and parsed.resource.startswith("group/"):
        # A group is no caller: its policies are decided as a member's would be, a user of its account.
        partition = parsed.partition
        member = Request.of(principal=f"arn:{partition}:iam::{_account(caller)}:user/simulated-group-member",
                            action=action, resource=resource, resource_account=account, context=context)
        return dataclasses.replace(member, principal=caller)
    return Request.of(principal=caller, action=action, resource=resource, resource_account=account,
                      context=context)


def _result(simulation: Simulation, resource: str, decision: Decision, names: Mapping[str, str], *,
            cross_account: bool) -> ResourceResult:
    verdict = _EVAL_DECISIONS[decision.outcome]
    refs = decision.matched
    if verdict == ALLOWED:
        deciding = [r for r in refs
                    if r.effect == "Allow" and r.policy_type in (PolicyType.IDENTITY, PolicyType.RESOURCE)]
    elif verdict == EXPLICIT_DENY:
        deciding = [r for r in refs if r.effect == "Deny" and r.policy_type is not PolicyType.SCP]
    else:
        deciding = []
    matched = tuple(_matched(simulation, r.policy_type, r.policy_index, r.statement_index) for r in deciding)
    missing = tuple(names.get(k, k) for k in decision.missing_context_keys)
    details: dict[str, str] | None = None
    if cross_account:
        details = {_DETAIL_KEYS[t]: _type_decision(decision, t) for t in _DETAIL_KEYS
                   if t is not PolicyType.BOUNDARY or simulation.boundary is not None}
    elif simulation.resource_arns:
        details = {}
    boundary = None
    if simulation.boundary is not None:
        boundary = _type_decision(decision, PolicyType.BOUNDARY) == ALLOWED
    organizations = None
    if simulation.scps:
        levels = {r.level for r in refs if r.policy_type is PolicyType.SCP and r.effect == "Allow"}
        denied = any(r.policy_type is PolicyType.SCP and r.effect == "Deny" for r in refs)
        organizations = not denied and all(n in levels for n in range(len(simulation.scps)))
    return ResourceResult(resource, verdict, matched, missing, details, boundary, organizations, decision)


def _type_decision(decision: Decision, policy_type: PolicyType) -> str:
    effects = {r.effect for r in decision.matched if r.policy_type is policy_type}
    if "Deny" in effects:
        return EXPLICIT_DENY
    return ALLOWED if "Allow" in effects else IMPLICIT_DENY


def _policy_of(simulation: Simulation, policy_type: PolicyType, index: int,
               level: int | None = None) -> SimulatedPolicy | None:
    if policy_type is PolicyType.IDENTITY and index < len(simulation.identity):
        return simulation.identity[index]
    if policy_type is PolicyType.BOUNDARY:
        return simulation.boundary
    if policy_type is PolicyType.RESOURCE:
        return simulation.resource_policy
    if policy_type is PolicyType.SCP and level is not None and level < len(simulation.scps):
        policies = simulation.scps[level]
        return policies[index] if index < len(policies) else None
    return None


def _matched(simulation: Simulation, policy_type: PolicyType, index: int, statement: int) -> MatchedStatement:
    policy = _policy_of(simulation, policy_type, index)
    if policy is None:  # every policy of the set is one of the simulation's
        return MatchedStatement("", NONE, None, None)
    spans = statement_spans(policy.text)
    span = spans[statement] if statement < len(spans) else None
    return MatchedStatement(policy.policy_id, policy.source_type, span.start if span else None,
                            span.end if span else None)


# -- input -------------------------------------------------------------------------------------------------


def input_policy(text: str, policy_id: str, source_type: str, kind: str = "identity") -> SimulatedPolicy:
    """A policy given as text (``PolicyInputList.1`` …); a document IAM would refuse is InvalidInput."""
    try:
        parsed = parse_policy(text, kind=kind)
        compiled = compile_policy(text, kind=kind)
    except MalformedPolicyDocument as exc:
        raise InvalidInput(f"{policy_id}: {exc.message}") from None
    return SimulatedPolicy(policy_id, source_type, text, compiled, parsed)


def input_policies(texts: Sequence[str] | None, list_name: str, kind: str = "identity") -> list[SimulatedPolicy]:
    return [input_policy(t, f"{list_name}.{n}", NONE, kind) for n, t in enumerate(texts or (), start=1)]


def context_of(entries: Sequence[ContextEntry]) -> dict[str, str | tuple[str, ...]]:
    """ContextEntries as the engine reads them; a value not of its ContextKeyType is InvalidInput."""
    out: dict[str, str | tuple[str, ...]] = {}
    for entry in entries:
        base = entry.type[:-4] if entry.type.endswith("List") else entry.type
        for value in entry.values:
            if not _is_of_type(value, base):
                raise InvalidInput(f"Invalid value {value} for context key {entry.name} of type {entry.type}.")
        if entry.type in _SINGLE_TYPES:
            if len(entry.values) != 1:
                raise InvalidInput(f"Context key {entry.name} of type {entry.type} takes exactly one value.")
            out[entry.name] = entry.values[0]
        else:
            out[entry.name] = entry.values
    return out


def _is_of_type(value: str, base: str) -> bool:
    try:
        if base == "numeric":
            float(value)
        elif base == "boolean":
            return value.lower() in ("true", "false")
        elif base == "date":
            if not value.replace(".", "", 1).isdigit():
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif base == "ip":
            ipaddress.ip_network(value, strict=False)
        elif base == "binary":
            base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        return False
    return True


def context_entries(raw: Sequence[Mapping[str, Any]] | None) -> list[ContextEntry]:
    return [ContextEntry(str(e.get("ContextKeyName", "")), tuple(str(v) for v in e.get("ContextKeyValues") or ()),
                         str(e.get("ContextKeyType") or "string")) for e in raw or ()]


def _account(arn: str) -> str:
    parsed = parse_arn(arn)
    return parsed.account if parsed is not None else ""


def _arn_account(resource: str) -> str | None:
    parsed = parse_arn(resource)
    return parsed.account if parsed is not None and parsed.account else None


def _owner_account(owner: str | None) -> str | None:
    """ResourceOwner: an account id, or the account's root ARN (SimulateCustomPolicy's form)."""
    if not owner:
        return None
    return _arn_account(owner) or owner


def custom_simulation(
    policy_input_list: Sequence[str], action_names: Sequence[str], *, account_id: str,
    permissions_boundary_policy_input_list: Sequence[str] | None = None,
    ordered_organization_policy_input_list: Sequence[Sequence[str]] | None = None,
    resource_arns: Sequence[str] | None = None, resource_policy: str | None = None,
    resource_owner: str | None = None, caller_arn: str | None = None,
    context_entries: Sequence[ContextEntry] = (), partition: str = DEFAULT_PARTITION,
) -> Simulation:
    """SimulateCustomPolicy's simulation: only the policies given. Without ``caller_arn`` the caller is a user
    of ``account_id``, so the policies are decided as that account's identity policies."""
    _check_owner(resource_owner)
    if caller_arn is not None:
        _check_caller(caller_arn)
    elif resource_policy is not None:
        # "CallerArn is required if you include a ResourcePolicy" (SimulateCustomPolicy, request parameters).
        raise InvalidInput("CallerArn is required when ResourcePolicy is specified.")
    return Simulation(
        caller_arn=caller_arn or iam_arn(account_id, "user", "/", "simulated-caller", partition),
        actions=action_names, identity=input_policies(policy_input_list, "PolicyInputList"),
        boundary=_boundary(permissions_boundary_policy_input_list, None),
        scps=_scp_levels(ordered_organization_policy_input_list),
        resource_policy=_resource_policy(resource_policy), resource_arns=resource_arns or (),
        resource_owner=resource_owner, context=context_entries)


# -- the service ---------------------------------------------------------------------------------------------


class SimulationService:
    """The four simulator operations of a request's caller: principals are read from the caller's account."""

    def __init__(self, store: IamStore) -> None:
        self._store = store

    def simulate_principal_policy(
        self, request: RequestContext, policy_source_arn: str, action_names: Sequence[str], *,
        policy_input_list: Sequence[str] | None = None,
        permissions_boundary_policy_input_list: Sequence[str] | None = None,
        policy_exclusion_list: Sequence[Mapping[str, Any]] | None = None,
        resource_arns: Sequence[str] | None = None, resource_policy: str | None = None,
        resource_owner: str | None = None, caller_arn: str | None = None,
        context_entries: Sequence[ContextEntry] = (), resource_handling_option: str | None = None,
        max_items: int | None = None, marker: str | None = None,
    ) -> Page[EvaluationResult]:
        """SimulatePrincipalPolicy: the entity's policies (a user's with its groups'), plus ``policy_input_list``;
        ``permissions_boundary_policy_input_list`` replaces the entity's boundary."""
        _check_handling(resource_handling_option)
        stored, boundary = self._entity_policies(request, policy_source_arn)
        identity = _excluding(stored, policy_exclusion_list)
        identity += input_policies(policy_input_list, "PolicyInputList")
        boundary = _boundary(permissions_boundary_policy_input_list, boundary)
        if boundary is not None and _excluded(boundary, policy_exclusion_list, boundary=True):
            boundary = None
        caller = caller_arn or policy_source_arn
        _check_owner(resource_owner)
        if caller_arn is not None:
            _check_caller(caller_arn)
        simulation = Simulation(
            caller_arn=caller, actions=action_names, identity=identity, boundary=boundary,
            resource_policy=_resource_policy(resource_policy), resource_arns=resource_arns or (),
            resource_owner=resource_owner, context=context_entries)
        return page_by_position(simulate(simulation), marker, max_items)

    def simulate_custom_policy(
        self, request: RequestContext, policy_input_list: Sequence[str], action_names: Sequence[str], *,
        permissions_boundary_policy_input_list: Sequence[str] | None = None,
        ordered_organization_policy_input_list: Sequence[Sequence[str]] | None = None,
        resource_arns: Sequence[str] | None = None, resource_policy: str | None = None,
        resource_owner: str | None = None, caller_arn: str | None = None,
        context_entries: Sequence[ContextEntry] = (), resource_handling_option: str | None = None,
        max_items: int | None = None, marker: str | None = None,
    ) -> Page[EvaluationResult]:
        """SimulateCustomPolicy: ``custom_simulation`` in the request's caller's account."""
        _check_handling(resource_handling_option)
        simulation = custom_simulation(
            policy_input_list, action_names, account_id=request.account_id,
            permissions_boundary_policy_input_list=permissions_boundary_policy_input_list,
            ordered_organization_policy_input_list=ordered_organization_policy_input_list,
            resource_arns=resource_arns, resource_policy=resource_policy, resource_owner=resource_owner,
            caller_arn=caller_arn, context_entries=context_entries, partition=request.partition)
        return page_by_position(simulate(simulation), marker, max_items)

    def context_keys_for_principal_policy(self, request: RequestContext, policy_source_arn: str,
                                          policy_input_list: Sequence[str] | None = None) -> list[str]:
        """The keys of the entity's identity policies and ``policy_input_list``: "Only context keys referenced by
        the identity-based policies attached to the specified entity, and any additional policies that you
        provide, are included" (GetContextKeysForPrincipalPolicy) — not its boundary's."""
        stored, _boundary = self._entity_policies(request, policy_source_arn)
        given = input_policies(policy_input_list, "PolicyInputList")
        return referenced_keys(p.parsed for p in [*stored, *given])

    def context_keys_for_custom_policy(self, request: RequestContext, policy_input_list: Sequence[str]) -> list[str]:
        return referenced_keys(p.parsed for p in input_policies(policy_input_list, "PolicyInputList"))

    # -- the entity's policies ------------------------------------------------------------------------------

    def _entity_policies(self, request: RequestContext, arn: str
                         ) -> tuple[list[SimulatedPolicy], SimulatedPolicy | None]:
        """(identity policies in evaluation order, boundary) of the user, group or role ``arn`` names."""
        parsed = parse_arn(arn)
        kind, _, rest = parsed.resource.partition("/") if parsed and parsed.service == "iam" else ("", "", "")
        if kind not in (USER, GROUP, ROLE) or not rest:
            raise InvalidInput(f"Invalid ARN: {arn}.")
        assert parsed is not None
        name = rest.rpartition("/")[2]
        account = request.account_id
        with self._store.read() as tx:
            if kind == USER:
                user = tx.users.get_by_name(account, name) if parsed.account == account else None
                if user is None:
                    raise NoSuchEntity(f"The user with name {name} cannot be found.")
                policies = _inline(tx.users.list_inline_policies(user.user_id), USER, user.name)
                policies += _attached(tx, account, "User", user.user_id)
                for group in tx.users.list_groups(user.user_id):
                    policies += _inline(tx.groups.list_inline_policies(group.group_id), GROUP, group.name)
                    policies += _attached(tx, account, "Group", group.group_id)
                return policies, _managed(tx, account, user.permissions_boundary_arn, "boundary")
            if kind == ROLE:
                role = tx.roles.get_by_name(account, name) if parsed.account == account else None
                if role is None:
                    raise NoSuchEntity(f"The role with name {name} cannot be found.")
                policies = _inline(tx.roles.list_inline_policies(role.role_id), ROLE, role.name)
                policies += _attached(tx, account, "Role", role.role_id)
                return policies, _managed(tx, account, role.permissions_boundary_arn, "boundary")
            found = tx.groups.get_by_name(account, name) if parsed.account == account else None
            if found is None:
                raise NoSuchEntity(f"The group with name {name} cannot be found.")
            policies = _inline(tx.groups.list_inline_policies(found.group_id), GROUP, found.name)
            policies += _attached(tx, account, "Group", found.group_id)
            return policies, None


def _stored(text: str, policy_id: str, source_type: str, kind: str = "identity",
            owner: str | None = None) -> SimulatedPolicy:
    # A stored document was accepted when it was written; it compiles as it did then.
    return SimulatedPolicy(policy_id, source_type, text, compile_policy(text, kind=kind),
                           parse_policy(text, kind=kind), owner)


def _inline(policies: Sequence[tuple[str, str]], source_type: str, owner: str) -> list[SimulatedPolicy]:
    return [_stored(document, name, source_type, owner=owner) for name, document in policies]


def _attached(tx: IamTransaction, account: str, kind: str, entity_id: str) -> list[SimulatedPolicy]:
    out = []
    for arn in tx.managed_policies.attached(kind, entity_id):
        found = _managed(tx, account, arn, "identity")
        if found is not None:
            out.append(found)
    return out


def _managed(tx: IamTransaction, account: str, arn: str | None, kind: str) -> SimulatedPolicy | None:
    """A managed policy's default version, named by its ARN."""
    if not arn:
        return None
    policy = find_managed_policy(tx, account, arn)
    if policy is None:
        return None
    aws = aws_managed_policy(policy.arn)
    if aws is not None:
        document: str | None = aws.default_version.document
    else:
        version = tx.managed_policies.get_version(policy.policy_id, policy.default_version_id)
        document = version.document if version else None
    if document is None:
        return None
    source = AWS_MANAGED if policy.account_id == AWS_ACCOUNT or _account(policy.arn) == AWS_ACCOUNT else USER_MANAGED
    return _stored(document, policy.arn, source, kind)


def _boundary(texts: Sequence[str] | None, stored: SimulatedPolicy | None) -> SimulatedPolicy | None:
    # "You can input only one permissions boundary when you pass a policy to this operation."
    if texts and len(texts) > 1:
        raise InvalidInput("Only one permissions boundary policy may be specified.")
    if texts:
        return input_policy(texts[0], "PermissionsBoundaryPolicyInputList.1", NONE, "boundary")
    return stored


def _scp_levels(levels: Sequence[Sequence[str]] | None) -> list[list[SimulatedPolicy]]:
    """OrderedOrganizationPolicyInputList: each level's SCPs, named ``OrderedOrganizationPolicyInputList.L.N``."""
    return [input_policies(texts, f"OrderedOrganizationPolicyInputList.{n}", "scp")
            for n, texts in enumerate(levels or (), start=1)]


def _resource_policy(text: str | None) -> SimulatedPolicy | None:
    return input_policy(text, "ResourcePolicy", RESOURCE, "resource") if text is not None else None


def _check_handling(option: str | None) -> None:
    if option is not None and option not in RESOURCE_HANDLING_OPTIONS:
        raise InvalidInput(f"Invalid ResourceHandlingOption: {option}.")


def _check_caller(arn: str) -> None:
    """CallerArn: "You cannot specify the ARN of an assumed role, federated user, or a service principal"."""
    if _CALLER.match(arn) is None:
        raise InvalidInput(f"Invalid CallerArn: {arn}. It must be the ARN of an IAM user, group or role.")


def _check_owner(owner: str | None) -> None:
    """ResourceOwner: an account id, or the account's root ARN ``arn:aws:iam::ACCOUNT:root``."""
    if owner is not None and _OWNER.match(owner) is None:
        raise InvalidInput(f"Invalid ResourceOwner: {owner}. It must be an account ID or an account's root ARN.")


def _excluding(policies: list[SimulatedPolicy],
               exclusions: Sequence[Mapping[str, Any]] | None) -> list[SimulatedPolicy]:
    return [p for p in policies if not _excluded(p, exclusions)]


def _excluded(policy: SimulatedPolicy, exclusions: Sequence[Mapping[str, Any]] | None, *,
              boundary: bool = False) -> bool:
    """PolicyExclusionList: by type, by ARN (``*`` and ``?`` in the name), or by inline name and entity."""
    for identifier in exclusions or ():
        policy_type = identifier.get("PolicyType")
        if policy_type is not None:
            if (policy_type == "permission-boundary" and boundary) or (not boundary and (
                    (policy_type == "inline" and policy.source_type in (USER, GROUP, ROLE))
                    or policy_type == policy.source_type)):
                return True
        arn = identifier.get("PolicyArn")
        if arn is not None and policy.source_type in (AWS_MANAGED, USER_MANAGED) and fnmatchcase(policy.policy_id, arn):
            return True
        inline = identifier.get("InlinePolicyIdentifier")
        if inline is not None and not boundary and policy.source_type == inline.get("AttachmentType") \
                and inline.get("PolicyName") == policy.policy_id \
                and fnmatchcase(policy.owner or "", str(inline.get("AttachmentName", ""))):
            return True
    return False
