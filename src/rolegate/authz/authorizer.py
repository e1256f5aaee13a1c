"""The one authorization decision service: a principal, an action, resources, context keys and optionally a
resource policy (a role's trust policy) → AWS's decision and, for a denial, AWS's message.

Three questions are asked of it, each one call:
- ``authorize`` — the endpoint's check of every signed request, by (service, operation) and the parsed input
  (``rolegate.authz.operations`` says which action, resources and context keys each operation means);
- ``trust`` — whether the caller may assume a role: the role's trust policy as the resource policy, the
  caller's identity policies across accounts, the request's global keys and the assume keys. Every AssumeRole
  variant asks this (AssumeRole now; AssumeRoleWithWebIdentity, AssumeRoleWithSAML, Roles Anywhere's
  CreateSession and the agent's credential vending next);
- ``check_pass_role`` — ``iam:PassRole`` with ``iam:PassedToService``, wherever a role is handed to something.
``decide`` is the general form the three share.

The global keys of a request are built once per caller, request facts and second (``_template``), so the
endpoint's check and the trust checks of one AssumeRole share them. What it reads about principals and
resources comes through ``PolicySource``, stamped with the request's invalidation ``Snapshot``.

Rules beyond the policy engine's (IAM User Guide, "Policy evaluation logic" and the STS pages cited inline):
- the account's root user may do anything in its own account: not evaluated at all (no SCPs exist here);
- GetCallerIdentity and GetSessionToken need no permission; AssumeRole* are decided by ``trust``, which the
  STS operation asks;
- a session from GetSessionToken without MFA cannot call IAM ("Cannot call IAM API operations unless MFA
  authentication information is included in the request" — AWS answers InvalidClientTokenId); a federated
  user cannot call IAM at all, nor STS but GetCallerIdentity (GetFederationToken, API reference);
- an instance credential (rolegate's, docs/adr/0038-registered-instances.md) calls RotateInstanceCredential and
  GetInstanceRoleCredentials and nothing else, and only it may call those two;
- denial messages are AWS's: ``User: ARN is not authorized to perform: ACTION on resource: RES because no
  identity-based policy allows the ACTION action`` / ``… with an explicit deny in an identity-based policy``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rolegate.core.arns import parse_arn, role_arn as role_arn_in
from rolegate.core.clock import Clock
from rolegate.core.errors import AccessDenied, InvalidClientTokenId
from rolegate.core import telemetry
from rolegate.core.stamped_cache import StampedCache
from rolegate.policy import CompiledPolicy, Decision, PolicySet, Request, compile_stored_policy, evaluate
from rolegate.store.invalidation import Invalidation, Snapshot, Stamp

from . import operations
from .caller import Caller
from .claims import INSTANCE
from .context import NO_META, RequestContext, RequestMeta, global_context, iso
from .facts import EntityFacts, PolicySource, PrincipalPolicies

ROOT = "Account"
# STS's words for a request whose credentials may not call the API (STS API reference, "Common Errors").
INVALID_TOKEN = "The security token included in the request is invalid."
_MAX_TEMPLATES = 10_000
_MAX_DECISIONS = 20_000
_MAX_REMEMBERED_STRING = 512
_SESSION_TOKEN_KINDS = frozenset({"User", "Account"})  # sessions from GetSessionToken

ContextKeys = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True, slots=True)
class TrustedResource:
    """What a trust check is about: a role (its ARN with path, its account and its trust policy)."""

    arn: str
    account_id: str
    trust_policy: str | CompiledPolicy


class Authorizer:
    def __init__(self, source: PolicySource, clock: Clock, invalidation: Invalidation, *,
                 operations_table: Mapping[operations.OperationKey, operations.OperationAuth] = operations.OPERATIONS
                 ) -> None:
        """``operations_table``: what each served operation asks of authorization — rolegate's own by
        default; a service added beside them (a test's, say) brings its entries with its handlers."""
        self._operations = operations_table
        self._source = source
        self._clock = clock
        self._invalidation = invalidation
        self._templates: StampedCache[Hashable, Stamp, Request] = StampedCache(
            _MAX_TEMPLATES, name=telemetry.AUTHORIZATION_REQUESTS)
        # -> AccessDenied message; None: allowed
        self._decisions: StampedCache[Hashable, Stamp, str | None] = StampedCache(
            _MAX_DECISIONS, name=telemetry.AUTHORIZATION_DECISIONS)

    # -- the request ------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """A new request's view of the invalidation generations (read lazily, once per scope)."""
        return Snapshot(self._invalidation)

    def request(self, caller: Caller | None, request_id: str, meta: RequestMeta = NO_META, *,
                snapshot: Snapshot | None = None) -> RequestContext:
        """The request's context, its time read from the clock now."""
        return RequestContext(caller=caller, request_id=request_id, now=self._clock.now(),
                              snapshot=snapshot or self.snapshot(), meta=meta,
                              region=caller.region if caller is not None else "us-east-1")

    # -- the endpoint's question ------------------------------------------------------------------

    def authorize(self, caller: Caller, service: str, operation: str, params: Mapping[str, Any],
                  request: RequestContext) -> None:
        """Raise ``AccessDenied`` unless ``caller`` may perform ``service``'s ``operation`` with ``params``."""
        spec = self._operations.get((service, operation))
        if spec is None:  # every implemented operation has an entry (tests/auth/test_actions.py)
            raise AccessDenied(f"User: {caller.arn} is not authorized to perform: {service}:{operation}")
        instance = caller.session is not None and caller.session.kind == INSTANCE
        if instance != (spec.special == operations.INSTANCE_CREDENTIAL):
            # An instance credential calls its two operations and nothing else; nothing else calls them.
            raise AccessDenied(f"User: {caller.arn} is not authorized to perform: {spec.action} because "
                               + ("instance credentials cannot call this API" if instance
                                  else "only an instance credential can call this API"))
        if spec.special is not None:
            return
        session_limits(caller, spec.action)
        if caller.principal_type == ROOT:
            return
        frozen = _frozen(params)
        if frozen is None:  # a large document in the request: decided without remembering it
            denial = self._operation_denial(caller, spec, service, operation, params, request)
        else:
            # Everything the answer depends on is in this key and stamp: the caller (with its session), the
            # generations of its account (every policy, membership, tag and path it read), the HTTP request's
            # facts, the second (aws:CurrentTime) and the operation with its input. A caller repeating a
            # call is decided once per second.
            key = (caller, request.meta, int(request.now.timestamp()), service, operation, frozen)
            stamp = request.snapshot.stamp(caller.account_id)
            found, denial = self._decisions.get(key, stamp)
            if not found:
                denial = self._operation_denial(caller, spec, service, operation, params, request)
                self._decisions.put(key, stamp, denial)
        if denial is not None:
            raise AccessDenied(denial)

    def _operation_denial(self, caller: Caller, spec: operations.OperationAuth, service: str, operation: str,
                          params: Mapping[str, Any], request: RequestContext) -> str | None:
        """AWS's AccessDenied message for the first thing the operation needs and the caller may not do."""
        source, snapshot = self._source, request.snapshot

        def lookup(kind: str, account: str, key: str) -> EntityFacts | None:
            return source.resource(snapshot, kind, account, key)

        planned = operations.plan(service, operation, params, account_id=caller.account_id,
                                  caller_arn=caller.arn, lookup=lookup, table=self._operations,
                                  region=request.region)
        principal, policies = self._policies(caller, snapshot)
        template = self._template(caller, principal, request)
        denial = self._first_denial(caller, planned, template, policies)
        if denial is None and spec.passes_role is not None:
            member, to_service = spec.passes_role
            name = str(params.get(member, ""))
            facts = lookup(operations.ROLE, caller.account_id, name)
            role_arn = facts.arn if facts else role_arn_in(caller.account_id, name, "/", caller.partition)
            denial = self._pass_role_denial(caller, role_arn, to_service, request)
        return denial

    # -- the general question and its two uses beyond the endpoint --------------------------------

    def decide(self, principal: Caller, action: str, resources: Sequence[operations.Resource],
               context: ContextKeys, resource_policy: str | Mapping[str, Any] | CompiledPolicy | None = None,
               *, request: RequestContext, resource_policy_kind: str = "resource") -> Decision:
        """The decision for ``principal`` doing ``action`` on every one of ``resources`` (the first that is
        not allowed decides; never raises for a denial).

        Evaluates the principal's identity policies, boundary and session policies, ``resource_policy``
        (a role's trust policy with ``resource_policy_kind="trust"``), with the request's global context keys
        and ``context`` on top. The root user is evaluated too: the engine allows it in its own account and
        refuses it ``sts:AssumeRole*`` (policy spec R55, R67).
        """
        principal_policies, policies = self._policies(principal, request.snapshot)
        if resource_policy is not None:
            compiled = resource_policy if isinstance(resource_policy, CompiledPolicy) \
                else compile_stored_policy(resource_policy, kind=resource_policy_kind)
            policies = PolicySet(identity=policies.identity, resource=compiled, boundary=policies.boundary,
                                 session=policies.session)
        template = self._template(principal, principal_policies, request)
        keys = {**template.context, **_lowered(context)} if context else template.context
        decision: Decision | None = None
        for resource in resources:
            decision = evaluate(_at(template, action, resource.arn, resource.account, keys), policies)
            if not decision.is_allowed:
                return decision
        if decision is None:
            raise ValueError("a decision needs at least one resource")
        return decision

    def trust(self, request: RequestContext, role: TrustedResource, actions: Sequence[str],
              context: ContextKeys) -> None:
        """Raise ``AccessDenied`` unless the request's caller may perform every one of ``actions`` (e.g.
        ``sts:AssumeRole``, ``sts:TagSession``, ``sts:SetSourceIdentity``) on ``role``: its trust policy with
        ``context`` (the assume keys), and the caller's identity policies when it is in another account."""
        caller = request.signed_caller()
        resource = (operations.Resource(role.arn, role.account_id, None),)
        compiled = role.trust_policy if isinstance(role.trust_policy, CompiledPolicy) \
            else compile_stored_policy(role.trust_policy, kind="trust")
        for action in actions:
            session_limits(caller, action)
            decision = self.decide(caller, action, resource, context, compiled, request=request)
            if not decision.is_allowed:
                raise AccessDenied(denial_message(caller, action, role.arn, decision))

    def trust_federated(self, request: RequestContext, role: TrustedResource, provider_arn: str,
                        actions: Sequence[str], context: ContextKeys) -> None:
        """``trust`` for a caller an identity provider vouched for (AssumeRoleWithWebIdentity, …WithSAML):
        the principal is the provider's ARN, which only a trust policy's ``Federated`` element names, and it
        has no identity policies (policy spec R64). The request's global keys are the ones an unsigned
        request has (IAM User Guide, "AWS global condition context keys"); ``context`` adds the provider's."""
        meta, now = request.meta, request.now
        keys: dict[str, str | Sequence[str]] = {
            "aws:CurrentTime": iso(now), "aws:EpochTime": str(int(now.timestamp())),
            "aws:SecureTransport": "true" if meta.secure_transport else "false",
            "aws:RequestedRegion": request.region, "aws:PrincipalIsAWSService": "false",
            "aws:ViaAWSService": "false"}
        if meta.source_ip:
            keys["aws:SourceIp"] = meta.source_ip
        if meta.user_agent:
            keys["aws:UserAgent"] = meta.user_agent
        keys.update(context)
        compiled = role.trust_policy if isinstance(role.trust_policy, CompiledPolicy) \
            else compile_stored_policy(role.trust_policy, kind="trust")
        # Built (its context normalised) once, then asked once per action, as ``decide`` asks its template.
        template = Request.of(principal=provider_arn, action="", resource="", context=keys)
        policies = PolicySet(resource=compiled)
        for action in actions:
            decision = evaluate(_at(template, action, role.arn, role.account_id, template.context), policies)
            if not decision.is_allowed:
                raise AccessDenied(f"Not authorized to perform {action}")

    def check_pass_role(self, request: RequestContext, role_arn: str, service_principal: str | None, *,
                        associated_resource: str | None = None) -> None:
        """``iam:PassRole`` on the role, with ``iam:PassedToService`` and, when the role is handed to a known
        resource, ``iam:AssociatedResourceArn`` (IAM User Guide, "IAM and AWS STS condition context keys",
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html);
        raises ``AccessDenied``."""
        caller = request.signed_caller()
        if caller.principal_type == ROOT:
            return
        denial = self._pass_role_denial(caller, role_arn, service_principal, request, associated_resource)
        if denial is not None:
            raise AccessDenied(denial)

    # -- internals --------------------------------------------------------------------------------

    def _template(self, caller: Caller, principal: PrincipalPolicies | None, request: RequestContext) -> Request:
        """The request as far as it depends on the caller, the HTTP request and the second: everything but
        action, resource and the operation's keys. Built (and its context normalised) once per second per
        caller and reused by every check in that second — the endpoint's and the trust checks alike."""
        now = request.now
        key = (caller, request.meta, int(now.timestamp()))
        stamp = request.snapshot.stamp(caller.account_id)
        return self._templates.get_or_build(key, stamp, lambda: Request.of(
            principal=caller.arn, action="", resource="", resource_account=None,
            context=global_context(caller, principal, request.meta, now)))

    @staticmethod
    def _first_denial(caller: Caller, planned: operations.Planned, template: Request,
                      policies: PolicySet) -> str | None:
        """AWS's AccessDenied message for the first resource the caller may not act on, or None."""
        context = template.context
        if planned.context:
            context = {**context, **_lowered(planned.context)}
        for resource in planned.resources:
            decision = evaluate(_at(template, planned.action, resource.arn, resource.account, context), policies)
            if not decision.is_allowed:
                return denial_message(caller, planned.action, resource.arn, decision)
        return None

    def _pass_role_denial(self, caller: Caller, role_arn: str, service_principal: str | None,
                          request: RequestContext, associated_resource: str | None = None) -> str | None:
        """The one ``iam:PassRole`` check: AWS's AccessDenied message, or None when the caller may."""
        extra = {"iam:PassedToService": service_principal} if service_principal else {}
        if associated_resource is not None:
            extra["iam:AssociatedResourceArn"] = associated_resource
        account = _account_of(role_arn) or caller.account_id
        decision = self.decide(caller, "iam:PassRole", (operations.Resource(role_arn, account, None),), extra,
                               request=request)
        return None if decision.is_allowed else denial_message(caller, "iam:PassRole", role_arn, decision)

    def _policies(self, caller: Caller, snapshot: Snapshot) -> tuple[PrincipalPolicies | None, PolicySet]:
        """The caller's identity policies, boundary and session policies."""
        session = caller.session
        source = self._source
        principal: PrincipalPolicies | None = None
        if session is not None and session.kind == "AssumedRole":
            principal = source.role(snapshot, session.account_id, session.principal_name)
            if principal is not None and principal.principal_id != session.principal_id:
                principal = None  # the role was deleted and re-created: its old sessions carry nothing
        elif session is not None and session.kind == "FederatedUser":
            if session.principal_id != session.account_id:  # issued by an IAM user (not root)
                principal = source.user(snapshot, session.account_id, session.principal_id)
        elif caller.principal_type == "User":
            principal = source.user(snapshot, caller.account_id, caller.user_id)
        session_policies: list[CompiledPolicy] = []
        if session is not None:
            if session.policy:
                session_policies.append(compile_stored_policy(session.policy, kind="session"))
            for arn in session.policy_arns:
                managed = source.managed_document(snapshot, session.account_id, arn)
                if managed is not None:
                    session_policies.append(managed)
        if principal is None:
            return None, PolicySet(session=tuple(session_policies))
        return principal, PolicySet(identity=principal.identity, boundary=principal.boundary,
                                    session=tuple(session_policies))


def session_limits(caller: Caller, action: str) -> None:
    """What a session's kind forbids whatever its policies say (the module docstring cites AWS)."""
    session = caller.session
    if session is None:
        return
    service = action.partition(":")[0]
    if session.kind in _SESSION_TOKEN_KINDS and service == "iam" and session.mfa_authenticated_at is None:
        raise InvalidClientTokenId(INVALID_TOKEN)
    if session.kind == INSTANCE:
        raise AccessDenied(f"User: {caller.arn} is not authorized to perform: {action} "
                           "because instance credentials cannot call this API")
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


def _at(template: Request, action: str, resource: str, account: str | None,
        context: Mapping[str, Any]) -> Request:
    """``template`` asked about one action on one resource, its context already lower-cased."""
    return Request(principal=template.principal, action=action, resource=resource, resource_account=account,
                   context=context, action_lower=action.lower(), kind=template.kind, account=template.account,
                   role_arn=template.role_arn, user_id=template.user_id,
                   is_service_linked_role=template.is_service_linked_role)


def _lowered(context: ContextKeys) -> dict[str, str | tuple[str, ...]]:
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
