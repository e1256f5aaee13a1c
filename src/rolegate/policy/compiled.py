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

from rolegate.policy.conditions import CompiledCondition, compile_condition
from rolegate.policy.document import Policy, Statement, parse_policy, policy_from_dict
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

    __slots__ = ("policy", "digest", "statements", "_exact", "_by_service", "_any_service", "_not_action", "_memo")

    def __init__(self, policy: Policy, digest: str) -> None:
        self.policy = policy
        self.digest = digest
        substitute = policy.substitutes_variables
        self.statements = tuple(_compile_statement(i, s, substitute=substitute) for i, s in enumerate(policy.statements))
        self._exact: dict[str, list[CompiledStatement]] = {}
        self._by_service: dict[str, list[tuple[Matcher, CompiledStatement]]] = {}
        self._any_service: list[tuple[Matcher, CompiledStatement]] = []
        self._not_action: list[CompiledStatement] = []
        for source, compiled_statement in zip(policy.statements, self.statements):
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


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
