"""Compiled policies: statements turned into matchers and indexed by action, cached by content.

A decision only looks at the statements that can apply to its action: an exact-action dict, the
wildcard patterns of the action's service, the patterns that cover every service, and the
``NotAction`` statements. The per-action candidate list is itself memoised, so a warm decision
is a dict lookup per policy plus the resource, principal and condition checks.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rolegate.core import telemetry
from rolegate.core.errors import MalformedPolicyDocument
from rolegate.policy.conditions import CompiledCondition, compile_condition
from rolegate.policy.document import (
    KNOWN_VERSIONS,
    VERSION_2008,
    Policy,
    Statement,
    load_json_object,
    parse_policy,
    policy_from_dict,
    statement_failing_closed,
)
from rolegate.policy.principals import Grade, PrincipalMatcher
from rolegate.policy.request import Request
from rolegate.policy.variables import Context, parse_template
from rolegate.policy.wildcards import Matcher, arn_matcher, compiled, glob_matcher, has_wildcard, tokens_regex

ResourceTest = Callable[[str, Context], bool]


def _resource_test(patterns: tuple[str, ...], *, substitute: bool) -> ResourceTest:
    static: list[Matcher] = []
    exact: set[str] = set()
    templates = []
    for pattern in patterns:
        template = parse_template(pattern, substitute=substitute)
        if template.has_variables or len(template.parts) > 1:
            templates.append(template)
        elif pattern == "*":
            return lambda resource, context: True
        elif not has_wildcard(pattern):
            exact.add(pattern)
        else:
            static.append(arn_matcher(pattern))

    def test(resource: str, context: Context) -> bool:
        if resource in exact:
            return True
        for matcher in static:
            if matcher(resource):
                return True
        for template in templates:
            tokens = template.tokens(context)
            if tokens is not None and compiled(tokens_regex(tokens)).match(resource) is not None:
                return True
        return False

    if not templates and not static:
        return lambda resource, context: resource in exact
    return test


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """One statement ready to test; ``index`` is its position in the policy."""

    index: int
    sid: str | None
    is_allow: bool
    not_action: Matcher | None
    resource: ResourceTest | None
    not_resource: ResourceTest | None
    principal: PrincipalMatcher | None
    not_principal: PrincipalMatcher | None
    conditions: tuple[CompiledCondition, ...]

    @property
    def label(self) -> str:
        return self.sid if self.sid else f"#{self.index}"

    def applies_to_resource(self, request: Request) -> bool:
        if self.resource is not None:
            return self.resource(request.resource, request.context)
        if self.not_resource is not None:
            return not self.not_resource(request.resource, request.context)
        return True  # trust policies name no resource

    def principal_grade(self, request: Request, has_boundary: bool = False) -> Grade:
        if self.principal is not None:
            return self.principal.grade(request)
        if self.not_principal is not None:
            if has_boundary and not self.is_allow:
                # "Permissions boundaries for IAM entities": a NotPrincipal Deny always denies a
                # principal that has a permissions boundary, whatever NotPrincipal lists (spec R26).
                return Grade.DIRECT
            return Grade.NONE if self.not_principal.names_every_identity(request) else Grade.DIRECT
        return Grade.DIRECT  # policies attached to the principal name no principal

    def conditions_hold(self, request: Request, missing: set[str] | None = None) -> bool:
        context = request.context
        for condition in self.conditions:
            value = context.get(condition.key)
            if value is None and missing is not None:
                missing.add(condition.key)
            if not condition.test(value, context):
                return False
        return True


def _compile_statement(index: int, statement: Statement, *, substitute: bool) -> CompiledStatement:
    not_action = None
    if statement.not_actions is not None:
        matchers = [glob_matcher(p, ignore_case=True) for p in statement.not_actions]
        not_action = (lambda action: any(m(action) for m in matchers))
    conditions = tuple(
        compile_condition(operator, key, values, substitute=substitute)
        for operator, entries in statement.condition
        for key, values in entries
    )
    return CompiledStatement(
        index=index,
        sid=statement.sid,
        is_allow=statement.is_allow,
        not_action=not_action,
        resource=_resource_test(statement.resources, substitute=substitute) if statement.resources is not None else None,
        not_resource=(
            _resource_test(statement.not_resources, substitute=substitute) if statement.not_resources is not None else None
        ),
        principal=PrincipalMatcher.of(statement.principal) if statement.principal is not None else None,
        not_principal=PrincipalMatcher.of(statement.not_principal) if statement.not_principal is not None else None,
        conditions=conditions,
    )


_CANDIDATE_CACHE_LIMIT = 4096


class CompiledPolicy:
    """A policy compiled for evaluation. Immutable after construction except for its action memo."""

    __slots__ = ("policy", "digest", "statements", "problems", "_exact", "_by_service", "_any_service", "_not_action",
                 "_memo")

    def __init__(self, policy: Policy, digest: str, *, fail_closed: bool = False, problems: tuple[str, ...] = ()) -> None:
        """Compile ``policy``; with ``fail_closed`` a statement whose conditions cannot be compiled does not
        raise: an Allow grants nothing and a Deny denies without them (``problems`` says which and why)."""
        self.policy = policy
        self.digest = digest
        substitute = policy.substitutes_variables
        found = list(problems)
        sources = []  # the statements as evaluated: a fail-closed stand-in replaces its original
        compiled_statements = []
        for i, s in enumerate(policy.statements):
            try:
                compiled_statements.append(_compile_statement(i, s, substitute=substitute))
                sources.append(s)
            except MalformedPolicyDocument as exc:
                if not fail_closed:
                    raise
                stand_in = _without_conditions(s)
                compiled_statements.append(_compile_statement(i, stand_in, substitute=substitute))
                sources.append(stand_in)
                found.append(_problem(i, s, exc.message))
        self.statements = tuple(compiled_statements)
        self.problems = tuple(found)
        self._exact: dict[str, list[CompiledStatement]] = {}
        self._by_service: dict[str, list[tuple[Matcher, CompiledStatement]]] = {}
        self._any_service: list[tuple[Matcher, CompiledStatement]] = []
        self._not_action: list[CompiledStatement] = []
        for source, compiled_statement in zip(sources, self.statements):
            if source.actions is None:
                self._not_action.append(compiled_statement)
                continue
            for pattern in source.actions:
                lowered = pattern.lower()
                service, _, _ = lowered.partition(":")
                if not has_wildcard(lowered):
                    self._exact.setdefault(lowered, []).append(compiled_statement)
                elif has_wildcard(service) or ":" not in lowered:
                    self._any_service.append((glob_matcher(lowered), compiled_statement))
                else:
                    self._by_service.setdefault(service, []).append((glob_matcher(lowered), compiled_statement))
        self._memo: dict[str, tuple[CompiledStatement, ...]] = {}

    @property
    def kind(self) -> str:
        return self.policy.kind

    def candidates(self, action_lower: str) -> tuple[CompiledStatement, ...]:
        """The statements whose Action/NotAction covers ``action_lower``, in document order."""
        found = self._memo.get(action_lower)
        if found is not None:
            return found
        chosen: dict[int, CompiledStatement] = {s.index: s for s in self._exact.get(action_lower, ())}
        service = action_lower.partition(":")[0]
        for matcher, statement in self._by_service.get(service, ()):
            if statement.index not in chosen and matcher(action_lower):
                chosen[statement.index] = statement
        for matcher, statement in self._any_service:
            if statement.index not in chosen and matcher(action_lower):
                chosen[statement.index] = statement
        for statement in self._not_action:
            assert statement.not_action is not None
            if not statement.not_action(action_lower):
                chosen[statement.index] = statement
        result = tuple(chosen[i] for i in sorted(chosen))
        if len(self._memo) >= _CANDIDATE_CACHE_LIMIT:
            self._memo.clear()
        self._memo[action_lower] = result
        return result


_CACHE_LIMIT = 2048
_cache: OrderedDict[tuple[str, str], CompiledPolicy] = OrderedDict()
_cache_lock = threading.Lock()


def _canonical_text(document: str | Mapping[str, Any]) -> str:
    if isinstance(document, str):
        return document
    return json.dumps(document, sort_keys=False, separators=(",", ":"))


def compile_policy(
    document: str | Mapping[str, Any], *, kind: str = "identity", check_trust_actions: bool = True
) -> CompiledPolicy:
    """Parse, check and compile a policy (JSON text or decoded dict), cached by content and kind.

    Raises ``MalformedPolicyDocument`` for an invalid document, an unknown condition operator or a
    condition value its operator cannot read.
    """
    text = _canonical_text(document)
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    key = (kind if check_trust_actions or kind != "trust" else "trust-lenient", digest)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    telemetry.cache_lookup(telemetry.COMPILED_POLICIES, hit is not None)
    if hit is not None:
        return hit
    if isinstance(document, str):
        policy = parse_policy(text, kind=kind, check_trust_actions=check_trust_actions)
    else:
        policy = policy_from_dict(document, kind=kind, check_trust_actions=check_trust_actions)
    result = CompiledPolicy(policy, digest)
    with _cache_lock:
        _cache[key] = result
        if len(_cache) > _CACHE_LIMIT:
            _cache.popitem(last=False)
    return result


def compile_stored_policy(document: str | Mapping[str, Any], *, kind: str = "identity") -> CompiledPolicy:
    """Compile a document that is already stored (or imported), never raising for what it says.

    A stored document may predate today's checks or come from an import. Each statement the engine cannot
    evaluate fails closed on its own (docs/spec/policy-validation.md, V15): an Allow grants nothing, a Deny
    denies, and the principal's other statements and policies are evaluated as usual. ``problems`` on the
    result names each such statement, for the decision's explanation.
    """
    try:
        return compile_policy(document, kind=kind, check_trust_actions=False)
    except MalformedPolicyDocument as exc:
        refusal = exc.message
    text = _canonical_text(document)
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    key = (f"{kind}-fail-closed", digest)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    telemetry.cache_lookup(telemetry.COMPILED_POLICIES, hit is not None)
    if hit is not None:
        return hit
    policy, problems = _readable_part(document, kind)
    result = CompiledPolicy(policy, digest, fail_closed=True, problems=problems)
    if not result.problems:
        # Only the document around the statements is wrong (an unknown Version or top-level field).
        note = f"the document does not follow the policy grammar ({refusal}); its statements are evaluated"
        result = CompiledPolicy(policy, digest, fail_closed=True, problems=(note,))
    with _cache_lock:
        _cache[key] = result
        if len(_cache) > _CACHE_LIMIT:
            _cache.popitem(last=False)
    return result


def _readable_part(document: str | Mapping[str, Any], kind: str) -> tuple[Policy, tuple[str, ...]]:
    """The statements of ``document`` one by one: those the grammar reads as they are, the others failing closed."""
    try:
        raw = load_json_object(document) if isinstance(document, str) else dict(document)
    except MalformedPolicyDocument as exc:
        return Policy(kind=kind, version=VERSION_2008, statements=()), (
            f"the document cannot be read ({exc.message}): it grants nothing",)
    version = raw.get("Version", VERSION_2008)
    if version not in KNOWN_VERSIONS:
        version = VERSION_2008
    raw_statements = raw.get("Statement")
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        return Policy(kind=kind, version=version, statements=()), (
            "the document has no readable Statement: it grants nothing",)
    statements: list[Statement] = []
    problems: list[str] = []
    for index, raw_statement in enumerate(raw_statements):
        try:
            one = policy_from_dict({"Version": version, "Statement": [raw_statement]}, kind=kind,
                                   check_trust_actions=False)
            statements.append(one.statements[0])
        except MalformedPolicyDocument as exc:
            stand_in = statement_failing_closed(raw_statement, kind)
            statements.append(stand_in)
            problems.append(_problem(index, stand_in, exc.message))
    return Policy(kind=kind, version=version, statements=tuple(statements)), tuple(problems)


def _without_conditions(statement: Statement) -> Statement:
    """A Deny whose conditions cannot be read denies as if they held; an Allow whose cannot grants nothing."""
    if statement.is_allow:
        return Statement(effect="Allow", sid=statement.sid, actions=())
    return Statement(
        effect="Deny",
        sid=statement.sid,
        principal=statement.principal,
        not_principal=statement.not_principal,
        actions=statement.actions,
        not_actions=statement.not_actions,
        resources=statement.resources,
        not_resources=statement.not_resources,
    )


def _problem(index: int, statement: Statement, reason: str) -> str:
    label = statement.sid if statement.sid else f"#{index}"
    outcome = "its Allow grants nothing" if statement.is_allow else "its Deny denies as if its conditions held"
    return f"statement {label} cannot be evaluated ({reason}): {outcome}"


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
