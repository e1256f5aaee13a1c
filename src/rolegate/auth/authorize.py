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
_SESSION_TOKEN_KINDS = frozenset({"User", "Account"})  # sessions from GetSessionToken


class Authorizer:
    def __init__(self, effective: EffectivePolicies, clock: Clock) -> None:
        self._effective = effective
        self._clock = clock
        self._templates: dict[tuple[Any, ...], Request] = {}

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
        generation = self._effective.generation()
        effective = self._effective

        def lookup(kind: str, account: str, key: str) -> actions.ResourceFacts | None:
            return effective.resource(generation, kind, account, key)

        planned = actions.plan(op_name, params, account_id=caller.account_id, caller_arn=caller.arn,
                               lookup=lookup)
        principal, policies = self._policies(caller, generation)
        template = self._template(caller, principal, meta or NO_META, generation)
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
                raise AccessDenied(denial_message(caller, planned.action, resource.arn, decision))
        if spec.passes_role is not None:
            member, service = spec.passes_role
            name = str(params.get(member, ""))
            facts = lookup(actions.ROLE, caller.account_id, name)
            role_arn = facts.arn if facts else f"arn:aws:iam::{caller.account_id}:role/{name}"
            self._require(caller, "iam:PassRole", role_arn, caller.account_id, {"iam:PassedToService": service},
                          None, "resource", meta, generation)

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
        generation = self._effective.generation()
        return self._decide(caller, action, resource_arn, resource_account, extra_context, resource_policy,
                            resource_policy_kind, meta, generation)

    def check_pass_role(self, caller: Caller, role_arn: str, service_principal: str | None,
                        meta: RequestMeta | None = None) -> None:
        """``iam:PassRole`` on the role, with ``iam:PassedToService``; raises ``AccessDenied``."""
        if caller.principal_type == ROOT:
            return
        extra = {"iam:PassedToService": service_principal} if service_principal else {}
        account = _account_of(role_arn) or caller.account_id
        self._require(caller, "iam:PassRole", role_arn, account, extra, None, "resource", meta,
                      self._effective.generation())

    def operation_context(self, op_name: str, params: Mapping[str, Any]) -> dict[str, str | list[str]]:
        """The operation-specific condition keys of ``op_name`` (e.g. AssumeRole's ``sts:*`` and tag keys)."""
        return actions.operation_context(actions.OPERATIONS[op_name], params, None)

    # -- internals --------------------------------------------------------------------------------

    def _template(self, caller: Caller, principal: PrincipalPolicies | None, meta: RequestMeta,
                  generation: int) -> Request:
        """The request as far as it depends on the caller, the HTTP request and the second: everything but
        action, resource and the operation's keys. Built (and its context normalised) once per second per
        caller, which is most of the cost of a decision that is otherwise a few dictionary lookups."""
        now = self._clock.now()
        key = (caller, generation, meta, int(now.timestamp()))
        found = self._templates.get(key)
        if found is None:
            found = Request.of(principal=caller.arn, action="", resource="", resource_account=None,
                               context=global_context(caller, principal, meta, now))
            if len(self._templates) >= _MAX_TEMPLATES:
                self._templates.clear()
            self._templates[key] = found
        return found

    def _require(self, caller: Caller, action: str, resource_arn: str, resource_account: str | None,
                 extra: Mapping[str, str | Sequence[str]] | None, resource_policy: Any, kind: str,
                 meta: RequestMeta | None, generation: int) -> None:
        decision = self._decide(caller, action, resource_arn, resource_account, extra, resource_policy, kind,
                                meta, generation)
        if not decision.is_allowed:
            raise AccessDenied(denial_message(caller, action, resource_arn, decision))

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


def _account_of(arn: str) -> str | None:
    parsed = parse_arn(arn)
    return parsed.account if parsed is not None and parsed.account else None
