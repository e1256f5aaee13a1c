"""Authorization of every API call: the caller's effective policies against the operation's action and resource.

``Authorizer.authorize`` is what the wire endpoint calls for each signed request after parsing its input;
``authorize_action`` is the general question (one action, one resource, optionally a resource policy such as a
role's trust policy) that STS asks for AssumeRole; ``check_pass_role`` is ``iam:PassRole``, for every place a
role is handed to something.

Rules beyond the policy engine's (IAM User Guide, "Policy evaluation logic" and the STS pages cited inline):
- the account's root user may do anything in its own account: not evaluated at all (no SCPs exist here);
- GetCallerIdentity and GetSessionToken need no permission; AssumeRole* are decided by the trust evaluation
  the STS operation runs, not here;
- a session from GetSessionToken without MFA cannot call IAM ("Cannot call IAM API operations unless MFA
  authentication information is included in the request" — AWS answers InvalidClientTokenId); a federated
  user cannot call IAM at all, nor STS but GetCallerIdentity (GetFederationToken, API reference);
- denial messages are AWS's: ``User: ARN is not authorized to perform: ACTION on resource: RES because no
  identity-based policy allows the ACTION action`` / ``… with an explicit deny in an identity-based policy``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from rolegate.core.arns import parse_arn
from rolegate.core.clock import Clock
from rolegate.core.errors import AccessDenied, InvalidClientTokenId
from rolegate.iam.effective_policies import EffectivePolicies, PrincipalPolicies
from rolegate.policy import CompiledPolicy, Decision, PolicySet, Request, compile_policy, evaluate

from . import actions
from .authenticate import UNKNOWN_KEY
from .caller import Caller
from .context import NO_META, RequestMeta, global_context

ROOT = "Account"
_MAX_TEMPLATES = 10_000
_MAX_DECISIONS = 20_000
_MAX_REMEMBERED_STRING = 512
_UNDECIDED: Any = object()
_SESSION_TOKEN_KINDS = frozenset({"User", "Account"})  # sessions from GetSessionToken


class Authorizer:
    def __init__(self, effective: EffectivePolicies, clock: Clock) -> None:
        self._effective = effective
        self._clock = clock
        self._templates: dict[tuple[Any, ...], Request] = {}
        self._decisions: dict[tuple[Any, ...], str | None] = {}  # -> AccessDenied message, None: allowed

    # -- the endpoint's question ------------------------------------------------------------------

    def authorize(self, caller: Caller, op_name: str, params: Mapping[str, Any],
                  meta: RequestMeta | None = None) -> None:
        """Raise ``AccessDenied`` unless ``caller`` may perform ``op_name`` with ``params``."""
        spec = actions.OPERATIONS.get(op_name)
        if spec is None:  # every implemented operation has an entry (tests/auth/test_actions.py)
            raise AccessDenied(f"User: {caller.arn} is not authorized to perform: {op_name}")
        if spec.special is not None:
            return
        self._session_limits(caller, spec.action)
        if caller.principal_type == ROOT:
            return
        generation = self._generation(caller)
        meta = meta or NO_META
        now = self._clock.now()
        frozen = _frozen(params)
        if frozen is None:  # a large document in the request: decided without remembering it
            denial = self._operation_denial(caller, spec, op_name, params, meta, generation, now)
        else:
            # Everything the answer depends on is in this key: the caller (with its session), the policy
            # generation (every policy, membership, tag and path it read), the HTTP request's facts, the
            # second (aws:CurrentTime) and the operation with its input. A caller repeating a call is
            # decided once per second.
            key = (caller, generation, meta, int(now.timestamp()), op_name, frozen)
            denial = self._decisions.get(key, _UNDECIDED)
            if denial is _UNDECIDED:
                denial = self._operation_denial(caller, spec, op_name, params, meta, generation, now)
                if len(self._decisions) >= _MAX_DECISIONS:
                    self._decisions.clear()
                self._decisions[key] = denial
        if denial is not None:
            raise AccessDenied(denial)

    def _operation_denial(self, caller: Caller, spec: actions.OperationAuth, op_name: str,
                          params: Mapping[str, Any], meta: RequestMeta, generation: int,
                          now: dt.datetime) -> str | None:
        """AWS's AccessDenied message for the first thing the operation needs and the caller may not do."""
        effective = self._effective

        def lookup(kind: str, account: str, key: str) -> actions.ResourceFacts | None:
            return effective.resource(generation, kind, account, key)

        planned = actions.plan(op_name, params, account_id=caller.account_id, caller_arn=caller.arn,
                               lookup=lookup)
        principal, policies = self._policies(caller, generation)
        template = self._template(caller, principal, meta, generation, now)
        denial = self._first_denial(caller, planned, template, policies)
        if denial is None and spec.passes_role is not None:
            member, service = spec.passes_role
            name = str(params.get(member, ""))
            facts = lookup(actions.ROLE, caller.account_id, name)
            role_arn = facts.arn if facts else f"arn:aws:iam::{caller.account_id}:role/{name}"
            denial = self._pass_role_denial(caller, role_arn, service, meta, generation)
        return denial

    # -- the general question ---------------------------------------------------------------------

    def authorize_action(self, caller: Caller, action: str, resource_arn: str, resource_account: str | None,
                         extra_context: Mapping[str, str | Sequence[str]] | None = None,
                         resource_policy: str | Mapping[str, Any] | CompiledPolicy | None = None,
                         *, resource_policy_kind: str = "resource",
                         meta: RequestMeta | None = None) -> Decision:
        """The decision for ``caller`` doing ``action`` on ``resource_arn`` (never raises for a denial).

        Evaluates the caller's identity policies, boundary and session policies, ``resource_policy`` (e.g. a
        role's trust policy with ``resource_policy_kind="trust"``), with every global context key and
        ``extra_context`` on top. The root user is evaluated too: the engine allows it in its own account and
        refuses it ``sts:AssumeRole*`` (policy spec R55, R67).
        """
        return self._decide(caller, action, resource_arn, resource_account, extra_context, resource_policy,
                            resource_policy_kind, meta, self._generation(caller))

    def check_pass_role(self, caller: Caller, role_arn: str, service_principal: str | None,
                        meta: RequestMeta | None = None) -> None:
        """``iam:PassRole`` on the role, with ``iam:PassedToService``; raises ``AccessDenied``."""
        if caller.principal_type == ROOT:
            return
        denial = self._pass_role_denial(caller, role_arn, service_principal, meta, self._generation(caller))
        if denial is not None:
            raise AccessDenied(denial)

    def operation_context(self, op_name: str, params: Mapping[str, Any]) -> dict[str, str | list[str]]:
        """The operation-specific condition keys of ``op_name`` (e.g. AssumeRole's ``sts:*`` and tag keys)."""
        return actions.operation_context(actions.OPERATIONS[op_name], params, None)

    # -- internals --------------------------------------------------------------------------------

    def _template(self, caller: Caller, principal: PrincipalPolicies | None, meta: RequestMeta,
                  generation: int, now: dt.datetime) -> Request:
        """The request as far as it depends on the caller, the HTTP request and the second: everything but
        action, resource and the operation's keys. Built (and its context normalised) once per second per
        caller and reused by every operation it calls in that second."""
        key = (caller, generation, meta, int(now.timestamp()))
        found = self._templates.get(key)
        if found is None:
            found = Request.of(principal=caller.arn, action="", resource="", resource_account=None,
                               context=global_context(caller, principal, meta, now))
            if len(self._templates) >= _MAX_TEMPLATES:
                self._templates.clear()
            self._templates[key] = found
        return found

    @staticmethod
    def _first_denial(caller: Caller, planned: actions.Planned, template: Request,
                      policies: PolicySet) -> str | None:
        """AWS's AccessDenied message for the first resource the caller may not act on, or None."""
        context = template.context
        if planned.context:
            context = {**context, **_lowered(planned.context)}
        action_lower = planned.action.lower()
        for resource in planned.resources:
            request = Request(principal=template.principal, action=planned.action, resource=resource.arn,
                              resource_account=resource.account, context=context, action_lower=action_lower,
                              kind=template.kind, account=template.account, role_arn=template.role_arn,
                              user_id=template.user_id, is_service_linked_role=template.is_service_linked_role)
            decision = evaluate(request, policies)
            if not decision.is_allowed:
                return denial_message(caller, planned.action, resource.arn, decision)
        return None

    def _pass_role_denial(self, caller: Caller, role_arn: str, service_principal: str | None,
                          meta: RequestMeta | None, generation: int) -> str | None:
        """The one ``iam:PassRole`` check: AWS's AccessDenied message, or None when the caller may."""
        extra = {"iam:PassedToService": service_principal} if service_principal else {}
        account = _account_of(role_arn) or caller.account_id
        decision = self._decide(caller, "iam:PassRole", role_arn, account, extra, None, "resource", meta,
                                generation)
        return None if decision.is_allowed else denial_message(caller, "iam:PassRole", role_arn, decision)

    def _generation(self, caller: Caller) -> int:
        """The snapshot to decide against: the one authentication read, else the store's current one."""
        return caller.generation if caller.generation is not None else self._effective.generation()

    def _decide(self, caller: Caller, action: str, resource_arn: str, resource_account: str | None,
                extra: Mapping[str, str | Sequence[str]] | None, resource_policy: Any, kind: str,
                meta: RequestMeta | None, generation: int) -> Decision:
        principal, policies = self._policies(caller, generation)
        if resource_policy is not None:
            compiled = resource_policy if isinstance(resource_policy, CompiledPolicy) \
                else compile_policy(resource_policy, kind=kind)
            policies = PolicySet(identity=policies.identity, resource=compiled, boundary=policies.boundary,
                                 session=policies.session)
        context: dict[str, str | Sequence[str]] = dict(global_context(caller, principal, meta or NO_META,
                                                                      self._clock.now()))
        if extra:
            context.update(extra)
        return evaluate(Request.of(principal=caller.arn, action=action, resource=resource_arn,
                                   resource_account=resource_account, context=context), policies)

    def _policies(self, caller: Caller, generation: int) -> tuple[PrincipalPolicies | None, PolicySet]:
        """The caller's identity policies, boundary and session policies."""
        session = caller.session
        principal: PrincipalPolicies | None = None
        if session is not None and session.kind == "AssumedRole":
            principal = self._effective.role(generation, session.account_id, session.principal_name)
            if principal is not None and principal.principal_id != session.principal_id:
                principal = None  # the role was deleted and re-created: its old sessions carry nothing
        elif session is not None and session.kind == "FederatedUser":
            if session.principal_id != session.account_id:  # issued by an IAM user (not root)
                principal = self._effective.user(generation, session.principal_id)
        elif caller.principal_type == "User":
            principal = self._effective.user(generation, caller.user_id)
        session_policies: list[CompiledPolicy] = []
        if session is not None:
            if session.policy:
                session_policies.append(compile_policy(session.policy, kind="session"))
            for arn in session.policy_arns:
                managed = self._effective.managed_document(generation, session.account_id, arn)
                if managed is not None:
                    session_policies.append(managed)
        if principal is None:
            return None, PolicySet(session=tuple(session_policies))
        return principal, PolicySet(identity=principal.identity, boundary=principal.boundary,
                                    session=tuple(session_policies))

    def _session_limits(self, caller: Caller, action: str) -> None:
        session = caller.session
        if session is None:
            return
        service = action.partition(":")[0]
        if session.kind in _SESSION_TOKEN_KINDS and service == "iam" and session.mfa_authenticated_at is None:
            raise InvalidClientTokenId(UNKNOWN_KEY)
        if session.kind == "FederatedUser" and service in ("iam", "sts"):
            raise AccessDenied(f"User: {caller.arn} is not authorized to perform: {action} "
                               "because federated users cannot call this API")


def denial_message(caller: Caller, action: str, resource: str, decision: Decision) -> str:
    """AWS's AccessDenied message for ``decision``."""
    phrase = decision.policy_type_phrase or "identity-based policy"
    head = f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource}"
    if decision.denied_by is not None:
        article = "an" if phrase[0] in "aeiou" else "a"
        return f"{head} with an explicit deny in {article} {phrase}"
    return f"{head} because no {phrase} allows the {action} action"


def _lowered(context: Mapping[str, str | Sequence[str]]) -> dict[str, str | tuple[str, ...]]:
    # Condition keys are case-insensitive; the engine reads its context lower-cased (policy.request).
    return {k.lower(): v if isinstance(v, str) else tuple(v) for k, v in context.items()}


def _frozen(value: Any) -> Any:
    """``value`` (an operation's parsed input) as a hashable key, or None when it holds a string too large
    to be worth remembering (a policy document: such calls are writes, rare next to reads)."""
    if isinstance(value, Mapping):
        items = tuple((k, _frozen(v)) for k, v in value.items())
        return None if any(v is None for _, v in items) else items
    if isinstance(value, list | tuple):
        parts = tuple(_frozen(v) for v in value)
        return None if any(v is None for v in parts) else parts
    if isinstance(value, str) and len(value) > _MAX_REMEMBERED_STRING:
        return None
    return value


def _account_of(arn: str) -> str | None:
    parsed = parse_arn(arn)
    return parsed.account if parsed is not None and parsed.account else None
