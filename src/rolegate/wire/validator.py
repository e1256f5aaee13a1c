"""The one shape validator: typed operation input checked against every constraint its botocore model states.

Codecs (query, json, …) only turn the wire form into typed values (``str``, ``int``, ``float``, ``bool``,
``bytes``, ``datetime``, lists, dicts keyed by member name); a value they cannot read as its shape's type
becomes an ``Invalid`` placed where the value would be. ``validate(op, params)`` then walks the input shape
once and reports, in model member order, every ``Invalid`` and every broken constraint: required, length
(strings in code points, lists/maps in items, blobs in bytes), pattern, enum, numeric range, and
exactly-one-member for unions. All of them go into one ``ValidationError`` with AWS's message shape
``N validation error(s) detected: Value 'x' at 'roleName' failed to satisfy constraint: Member must …; …``.
Paths are member names with a lower-case first letter, list items as ``tags.1.member.key`` and map items as
``tags.entry.1.value``, as AWS reports them.

Plans (one per shape, built on first use and cached) hold the precompiled patterns, so a request costs one
walk of its own (small) input.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from rolegate.core.errors import ValidationError
from rolegate.core.redaction import remember

from .per_operation import PerOperation
from .patterns import compile_java_pattern

__all__ = ["Invalid", "java_str", "lower_first", "validate", "validation_message"]

_REDACTED = "*** Sensitive Data Redacted ***"


@dataclass(frozen=True, slots=True, eq=False)
class Invalid:
    """A value a codec could not read as its shape's type: the text it got (``None`` prints as ``null``)
    and the constraint it breaks. Compared by identity, so two of them can both be keys of one map."""

    text: str | None
    constraint: str


def validation_message(items: list[str]) -> str:
    """``N validation error(s) detected: a; b`` — AWS's wording for several constraint failures."""
    n = len(items)
    return f"{n} validation error{'s' if n != 1 else ''} detected: " + "; ".join(items)


def java_str(value: Any) -> str:
    """A value the way AWS (a Java service) prints it inside ``Value '…'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


class _Errors:
    """Collected problems of one request, rendered in AWS's message shape at the end."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, value: str, path: str, constraint: str) -> None:
        self.items.append(f"Value {value} at '{path}' failed to satisfy constraint: {constraint}")


def _without_invalid(value: Any) -> Any:
    """What AWS shows of a collection that holds unreadable items: the readable ones."""
    if isinstance(value, list):
        return [v for v in value if not isinstance(v, Invalid)]
    return {k: v for k, v in value.items() if not isinstance(k, Invalid) and not isinstance(v, Invalid)}


# --- plans ----------------------------------------------------------------------------------------


class _Plan:
    """Checks one shape's value at ``path``, appending problems to ``errors``."""

    __slots__ = ("sensitive",)

    def __init__(self, shape: Shape) -> None:
        self.sensitive = bool(shape.metadata.get("sensitive"))

    def show(self, value: Any) -> str:
        return f"'{_REDACTED}'" if self.sensitive else f"'{java_str(value)}'"

    def report(self, bad: Invalid, path: str, errors: _Errors) -> None:
        if self.sensitive:
            remember(bad.text)
        shown = "null" if bad.text is None else f"'{_REDACTED}'" if self.sensitive else f"'{bad.text}'"
        errors.add(shown, path, bad.constraint)

    def check(self, value: Any, path: str, errors: _Errors) -> None:
        """Check ``value``, which is of this shape's type (codecs put an ``Invalid`` where it is not)."""
        raise NotImplementedError

    def visit(self, value: Any, path: str, errors: _Errors) -> None:
        if isinstance(value, Invalid):
            self.report(value, path, errors)
        else:
            self.check(value, path, errors)


class _ScalarPlan(_Plan):
    __slots__ = ("checks",)

    def __init__(self, shape: Shape, checks: list[Callable[[Any], str | None]]) -> None:
        super().__init__(shape)
        self.checks = checks

    def check(self, value: Any, path: str, errors: _Errors) -> None:
        if self.sensitive and isinstance(value, (str, bytes)):
            remember(value)  # a secret-bearing member: kept out of every log line of this request
        for check in self.checks:
            problem = check(value)
            if problem is not None:
                errors.add(self.show(value), path, problem)


class _StructurePlan(_Plan):
    __slots__ = ("members", "is_union")

    def __init__(self, shape: StructureShape) -> None:
        super().__init__(shape)
        # (member name, path segment, plan, required) in model order; plans filled later so recursive
        # shapes terminate.
        self.members: list[tuple[str, str, _Plan, bool]] = []
        self.is_union = bool(shape.metadata.get("union"))

    def check(self, value: Any, path: str, errors: _Errors) -> None:
        prefix = f"{path}." if path else ""
        get = value.get
        for name, segment, plan, required in self.members:
            sub = get(name)
            if sub is None:
                if required:
                    errors.add("null", prefix + segment, "Member must not be null")
                continue
            plan.visit(sub, prefix + segment, errors)
        if self.is_union:
            readable = {k: v for k, v in value.items() if not isinstance(v, Invalid)}
            if len(readable) != 1 and not (path == "" and not readable):
                errors.add(self.show(readable), path, "Member must have exactly one member set")


class _CountedPlan(_Plan):
    """Lists and maps: a length in items, checked on the readable items."""

    __slots__ = ("min", "max")

    def __init__(self, shape: Shape) -> None:
        super().__init__(shape)
        self.min: int | None = shape.metadata.get("min")
        self.max: int | None = shape.metadata.get("max")

    def check_count(self, value: Any, count: int, had_invalid: bool, path: str, errors: _Errors) -> None:
        if self.min is not None and count < self.min:
            shown = self.show(_without_invalid(value) if had_invalid else value)
            errors.add(shown, path, f"Member must have length greater than or equal to {self.min}")
        if self.max is not None and count > self.max:
            shown = self.show(_without_invalid(value) if had_invalid else value)
            errors.add(shown, path, f"Member must have length less than or equal to {self.max}")


class _ListPlan(_CountedPlan):
    __slots__ = ("member",)

    def __init__(self, shape: ListShape) -> None:
        super().__init__(shape)
        self.member: _Plan

    def check(self, value: Any, path: str, errors: _Errors) -> None:
        member = self.member
        bad = 0
        for i, item in enumerate(value, 1):
            if isinstance(item, Invalid):
                bad += 1
                member.report(item, f"{path}.{i}.member", errors)
            else:
                member.check(item, f"{path}.{i}.member", errors)
        self.check_count(value, len(value) - bad, bad > 0, path, errors)


class _MapPlan(_CountedPlan):
    __slots__ = ("key", "value")

    def __init__(self, shape: MapShape) -> None:
        super().__init__(shape)
        self.key: _Plan
        self.value: _Plan

    def check(self, value: Any, path: str, errors: _Errors) -> None:
        bad = 0
        for i, (k, v) in enumerate(value.items(), 1):
            self.key.visit(k, f"{path}.entry.{i}.key", errors)
            self.value.visit(v, f"{path}.entry.{i}.value", errors)
            bad += isinstance(k, Invalid) or isinstance(v, Invalid)
        self.check_count(value, len(value) - bad, bad > 0, path, errors)


# --- constraint checks --------------------------------------------------------------------------------


def _length_checks(shape: Shape) -> list[Callable[[Any], str | None]]:
    checks: list[Callable[[Any], str | None]] = []
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None:
        too_short = f"Member must have length greater than or equal to {lo}"
        checks.append(lambda v: too_short if len(v) < lo else None)
    if hi is not None:
        too_long = f"Member must have length less than or equal to {hi}"
        checks.append(lambda v: too_long if len(v) > hi else None)
    return checks


def _string_checks(shape: Shape) -> list[Callable[[Any], str | None]]:
    checks = _length_checks(shape)
    meta = shape.metadata
    pattern = meta.get("pattern")
    if pattern is not None:
        matcher = compile_java_pattern(pattern).fullmatch
        bad_pattern = f"Member must satisfy regular expression pattern: {pattern}"
        checks.append(lambda v: bad_pattern if matcher(v) is None else None)
    enum = getattr(shape, "enum", None) or meta.get("enum")
    if enum:
        allowed = frozenset(enum)
        bad_enum = f"Member must satisfy enum value set: [{', '.join(enum)}]"
        checks.append(lambda v: bad_enum if v not in allowed else None)
    return checks


def _number_checks(shape: Shape) -> list[Callable[[Any], str | None]]:
    checks: list[Callable[[Any], str | None]] = []
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None:
        too_small = f"Member must have value greater than or equal to {lo}"
        checks.append(lambda v: too_small if v < lo else None)
    if hi is not None:
        too_big = f"Member must have value less than or equal to {hi}"
        checks.append(lambda v: too_big if v > hi else None)
    return checks


_SCALAR_CHECKS: dict[str, Callable[[Shape], list[Callable[[Any], str | None]]]] = {
    "string": _string_checks,
    "integer": _number_checks,
    "long": _number_checks,
    "float": _number_checks,
    "double": _number_checks,
    "boolean": lambda shape: [],
    "blob": _length_checks,
    "timestamp": lambda shape: [],
}


# --- plan construction ------------------------------------------------------------------------------


class _PlanBuilder:
    """Builds plans for one service, memoized by shape name so recursive shapes share a plan."""

    def __init__(self) -> None:
        self._plans: dict[str, _Plan] = {}

    def plan(self, shape: Shape) -> _Plan:
        cached = self._plans.get(shape.name)
        if cached is not None:
            return cached
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            splan = self._plans[shape.name] = _StructurePlan(shape)
            required = set(shape.required_members)
            for name, member in shape.members.items():
                # Members bound to the path, query or headers (rest protocols) are checked like body members.
                splan.members.append((name, lower_first(name), self.plan(member), name in required))
            return splan
        if kind == "list":
            assert isinstance(shape, ListShape)
            lplan = self._plans[shape.name] = _ListPlan(shape)
            lplan.member = self.plan(shape.member)
            return lplan
        if kind == "map":
            assert isinstance(shape, MapShape)
            mplan = self._plans[shape.name] = _MapPlan(shape)
            mplan.key = self.plan(shape.key)
            mplan.value = self.plan(shape.value)
            return mplan
        checks = _SCALAR_CHECKS.get(kind)
        if checks is None:
            raise NotImplementedError(f"input of shape type {kind!r} ({shape.name})")
        plan = self._plans[shape.name] = _ScalarPlan(shape, checks(shape))
        return plan


_plans: PerOperation[_PlanBuilder, _Plan | None] = PerOperation(
    _PlanBuilder, lambda builder, op: builder.plan(op.input_shape) if op.input_shape is not None else None)
_operation_plan = _plans.get


def validate(op: OperationModel, params: dict[str, Any]) -> None:
    """Raise ``ValidationError`` listing every ``Invalid`` in ``params`` and every constraint of ``op``'s
    input shape that ``params`` breaks, in model member order; return when there is none."""
    plan = _operation_plan(op)
    if plan is None:
        return
    errors = _Errors()
    plan.check(params, "", errors)
    if errors.items:
        raise ValidationError(validation_message(errors.items))


def warm(ops: list[OperationModel]) -> None:
    """Build the plans (and compile the patterns) of ``ops`` now rather than on their first request."""
    for op in ops:
        _operation_plan(op)
