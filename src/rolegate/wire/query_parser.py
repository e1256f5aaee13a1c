"""Query-protocol input: flat form parameters to typed operation input, in AWS Query and in EC2's dialect.

``decode_query_input(op, params)`` is botocore's ``QuerySerializer`` run backwards — lists as
``Name.member.N`` (``Name.N`` when flattened), maps as ``Name.entry.N.key``/``.value``, nested
structures as ``Outer.Inner``, an empty list as ``Name=`` — turning each text into its shape's type.
``decode_ec2_input`` is botocore's ``EC2Serializer`` run backwards: the same, except that a member's name
on the wire is its ``queryName``, else its ``locationName`` with the first letter capitalised, else its
member name, and every list is ``Name.N`` (never ``.member.``, and the list member's name plays no part).
It checks no model constraint: that is ``rolegate.wire.validator``'s job, shared by every protocol;
``parse_input`` is the two together.

Two kinds of failure, both 4xx:

* The *parameter names* don't fit the shape (an unknown name, ``Tags.member.0``, a gap in
  ``member.N``, a scalar given sub-fields, a map entry without a key, the same map key twice):
  ``InvalidParameterValue`` naming the parameter — ``The parameter Foo is not recognized.``, raised
  here. AWS's own query services differ here (EC2 answers ``UnknownParameter``; IAM/STS are not
  documented), so this is our choice: reject rather than ignore, with an existing common-error code.
* A *value* can't be read as its type (``abc`` for an integer): it becomes an ``Invalid`` in place,
  which the validator reports among the constraint failures, in model member order.

Plans (one per shape, built on first use and cached) hold the member lookup tables, so the
per-request work is a dict walk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from rolegate.core.errors import InvalidParameterValue

from .per_operation import PerOperation
from .scalars import INT_RANGES, ConversionError, to_blob, to_bool, to_float, to_int, to_timestamp
from .validator import Invalid, validate

__all__ = ["IGNORED_PARAMS", "decode_ec2_input", "decode_query_input", "ec2_wire_name", "is_ignored_param",
           "parse_input"]

#: Parameters that belong to the protocol envelope or to authentication, not to the operation input.
IGNORED_PARAMS: frozenset[str] = frozenset({"Action", "Version"})
_AUTH_PREFIX = "x-amz-"

# A tree of parameter names split on '.': children by segment; the value, if any, under key ``None``.
_Node = dict[str | None, Any]


def is_ignored_param(name: str) -> bool:
    """True for ``Action``, ``Version`` and SigV4 query authentication parameters (``X-Amz-*``)."""
    return name in IGNORED_PARAMS or name[:6].lower() == _AUTH_PREFIX


def _unknown(key: str, why: str = "") -> InvalidParameterValue:
    return InvalidParameterValue(f"The parameter {key} is not recognized.{' ' + why if why else ''}")


# --- plans ----------------------------------------------------------------------------------------


class _Plan:
    """Reads one shape's typed value from a parameter-tree node."""

    __slots__ = ("shape",)

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def read(self, node: _Node, key: str) -> Any:
        raise NotImplementedError


class _ScalarPlan(_Plan):
    __slots__ = ("convert",)

    def __init__(self, shape: Shape, convert: Callable[[str], Any]) -> None:
        super().__init__(shape)
        self.convert = convert

    def read(self, node: _Node, key: str) -> Any:
        if len(node) != 1 or None not in node:
            child = next(k for k in node if k is not None)
            raise _unknown(f"{key}.{child}")
        text: str = node[None]
        try:
            return self.convert(text)
        except ConversionError as exc:
            return Invalid(text, str(exc))


class _StructurePlan(_Plan):
    __slots__ = ("by_wire_name", "members")

    def __init__(self, shape: StructureShape) -> None:
        super().__init__(shape)
        self.by_wire_name: dict[str, str] = {}
        # (member name, wire name, plan) in model order; plans filled later so recursive shapes terminate.
        self.members: list[tuple[str, str, _Plan]] = []

    def read(self, node: _Node, key: str) -> Any:
        if None in node:
            if node[None] != "" or len(node) > 1:
                raise _unknown(key, "It names a structure, which is given by its members.")
        for child in node:
            if child is not None and child not in self.by_wire_name:
                raise _unknown(f"{key}.{child}" if key else child)
        result: dict[str, Any] = {}
        prefix_key = f"{key}." if key else ""
        for name, wire, plan in self.members:
            sub = node.get(wire)
            if sub is not None:
                result[name] = plan.read(sub, prefix_key + wire)
        return result


def _indexed(node: _Node, key: str, *, gaps: bool = False) -> list[_Node]:
    """The children of a ``.N`` level in index order; N must run 1..n without gaps (unless ``gaps``) or
    zero-padding."""
    items: list[tuple[int, _Node]] = []
    for child, sub in node.items():
        if child is None or not child.isdigit() or not child.isascii() or child[0] == "0":
            raise _unknown(f"{key}.{child}" if child is not None else key, "Indexes are 1, 2, 3, …")
        items.append((int(child), sub))
    items.sort(key=lambda item: item[0])
    if gaps:
        return [sub for _, sub in items]
    for expected, (index, _) in enumerate(items, 1):
        if index != expected:
            raise _unknown(f"{key}.{index}", f"Indexes must run from 1 without gaps; {expected} is missing.")
    return [sub for _, sub in items]


def _empty_collection(node: _Node, key: str) -> bool:
    """``Name=`` (and nothing under it) is botocore's spelling of an empty list or map."""
    if None not in node:
        return False
    if node[None] != "" or len(node) > 1:
        raise _unknown(key, "It names a list or map, which is given by its items.")
    return True


class _ListPlan(_Plan):
    __slots__ = ("member_name", "flattened", "gaps", "member")

    def __init__(self, shape: ListShape, *, ec2: bool = False) -> None:
        super().__init__(shape)
        self.flattened = ec2 or bool(shape.serialization.get("flattened"))
        # botocore's EC2Serializer writes an item whose members are all empty as nothing, yet numbers the next
        # item after it (``Filter.2`` with no ``Filter.1``): EC2's dialect takes the items in index order.
        self.gaps = ec2
        self.member_name = shape.member.serialization.get("name", "member")
        self.member: _Plan

    def read(self, node: _Node, key: str) -> Any:
        if _empty_collection(node, key):
            return []
        if self.flattened:
            items = _indexed(node, key, gaps=self.gaps)
            item_key = key
        else:
            if len(node) != 1 or self.member_name not in node:
                child = next(k for k in node if k != self.member_name)
                raise _unknown(f"{key}.{child}")
            item_key = f"{key}.{self.member_name}"
            items = _indexed(node[self.member_name], item_key)
        return [self.member.read(sub, f"{item_key}.{i}") for i, sub in enumerate(items, 1)]


class _MapPlan(_Plan):
    __slots__ = ("flattened", "key_name", "value_name", "key", "value")

    def __init__(self, shape: MapShape, *, ec2: bool = False) -> None:
        super().__init__(shape)
        self.flattened = bool(shape.serialization.get("flattened"))
        self.key_name = ec2_wire_name(shape.key, "key") if ec2 else shape.key.serialization.get("name", "key")
        self.value_name = ec2_wire_name(shape.value, "value") if ec2 else shape.value.serialization.get("name", "value")
        self.key: _Plan
        self.value: _Plan

    def read(self, node: _Node, key: str) -> Any:
        result: dict[Any, Any] = {}
        if _empty_collection(node, key):
            return result
        if self.flattened:
            entries = _indexed(node, key)
            entry_key = key
        else:
            if len(node) != 1 or "entry" not in node:
                child = next(k for k in node if k != "entry")
                raise _unknown(f"{key}.{child}")
            entry_key = f"{key}.entry"
            entries = _indexed(node["entry"], entry_key)
        for i, entry in enumerate(entries, 1):
            ekey = f"{entry_key}.{i}"
            for child in entry:
                if child not in (self.key_name, self.value_name):
                    raise _unknown(f"{ekey}.{child}" if child is not None else ekey)
            if self.key_name not in entry:
                raise _unknown(ekey, f"The entry has no {self.key_name}.")
            k = self.key.read(entry[self.key_name], f"{ekey}.{self.key_name}")
            if self.value_name in entry:
                v = self.value.read(entry[self.value_name], f"{ekey}.{self.value_name}")
            else:
                v = Invalid(None, "Member must not be null")
            if k in result:
                raise _unknown(f"{ekey}.{self.key_name}", f"The key {k!r} is given more than once.")
            result[k] = v
        return result


# --- plan construction ------------------------------------------------------------------------------


def ec2_wire_name(shape: Shape, default: str) -> str:
    """A member's name on the wire in EC2's dialect (botocore's ``EC2Serializer._get_serialized_name``)."""
    serialization = shape.serialization
    if "queryName" in serialization:
        return str(serialization["queryName"])
    name = serialization.get("name")
    return name[0].upper() + name[1:] if name else default


class _PlanBuilder:
    """Builds plans for one service, memoized by shape name so recursive shapes share a plan; ``ec2``: the
    service speaks EC2's dialect (member names and lists as ``decode_ec2_input`` reads them)."""

    def __init__(self, *, ec2: bool = False) -> None:
        self._plans: dict[str, _Plan] = {}
        self._ec2 = ec2

    def _wire_name(self, name: str, member: Shape) -> str:
        if self._ec2:
            return ec2_wire_name(member, name)
        wire = member.serialization.get("queryName") or member.serialization.get("name") or name
        if isinstance(member, ListShape) and member.serialization.get("flattened"):
            # botocore replaces the member's own name by the list member's locationName.
            wire = member.member.serialization.get("name") or wire
        return str(wire)

    def plan(self, shape: Shape) -> _Plan:
        # Member shapes carry member-level traits (locationName) but share the named shape's
        # constraints; memoize only the shapes without member-level serialization overrides.
        cache_key = shape.name if not shape.serialization else None
        if cache_key is not None and cache_key in self._plans:
            return self._plans[cache_key]
        plan = self._build(shape, cache_key)
        return plan

    def _build(self, shape: Shape, cache_key: str | None) -> _Plan:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            splan = _StructurePlan(shape)
            if cache_key is not None:
                self._plans[cache_key] = splan
            for name, member in shape.members.items():
                if member.serialization.get("location"):
                    continue  # header/URI members never arrive as form parameters
                wire = self._wire_name(name, member)
                splan.by_wire_name[wire] = name
                splan.members.append((name, wire, self.plan(member)))
            return splan
        if kind == "list":
            assert isinstance(shape, ListShape)
            lplan = _ListPlan(shape, ec2=self._ec2)
            if cache_key is not None:
                self._plans[cache_key] = lplan
            lplan.member = self.plan(shape.member)
            return lplan
        if kind == "map":
            assert isinstance(shape, MapShape)
            mplan = _MapPlan(shape, ec2=self._ec2)
            if cache_key is not None:
                self._plans[cache_key] = mplan
            mplan.key = self.plan(shape.key)
            mplan.value = self.plan(shape.value)
            return mplan
        plan: _Plan
        if kind == "string":
            plan = _ScalarPlan(shape, str)
        elif kind in INT_RANGES:
            plan = _ScalarPlan(shape, to_int(kind))
        elif kind in ("double", "float"):
            plan = _ScalarPlan(shape, to_float)
        elif kind == "boolean":
            plan = _ScalarPlan(shape, to_bool)
        elif kind == "blob":
            plan = _ScalarPlan(shape, to_blob)
        elif kind == "timestamp":
            plan = _ScalarPlan(shape, to_timestamp(shape.serialization.get("timestampFormat")))
        else:
            raise NotImplementedError(f"query input of shape type {kind!r} ({shape.name})")
        if cache_key is not None:
            self._plans[cache_key] = plan
        return plan


def _input_plan(builder: _PlanBuilder, op: OperationModel) -> _Plan | None:
    return builder.plan(op.input_shape) if op.input_shape is not None else None


_plans: PerOperation[_PlanBuilder, _Plan | None] = PerOperation(_PlanBuilder, _input_plan)
_operation_plan = _plans.get
_ec2_plans: PerOperation[_PlanBuilder, _Plan | None] = PerOperation(lambda: _PlanBuilder(ec2=True), _input_plan)


def _param_tree(params: Mapping[str, str]) -> _Node:
    root: _Node = {}
    for key, value in params.items():
        if is_ignored_param(key):
            continue
        if "." not in key:
            node = root.get(key)
            if node is None:
                root[key] = {None: value}
            else:
                node[None] = value
            continue
        parts = key.split(".")
        if "" in parts:
            raise _unknown(key)
        node = root
        for part in parts:
            sub = node.get(part)
            if sub is None:
                sub = node[part] = {}
            node = sub
        node[None] = value
    return root


def decode_query_input(op: OperationModel, params: Mapping[str, str]) -> dict[str, Any]:
    """Typed input for ``op`` from its flat form parameters, not yet validated.

    ``params`` may still hold ``Action``, ``Version`` and ``X-Amz-*`` auth parameters; they are
    skipped. Raises ``InvalidParameterValue`` for parameter names that don't fit the input shape; a value
    that can't be read as its type is left in place as an ``Invalid`` for the validator to report.
    """
    return _read(_operation_plan(op), params)


def decode_ec2_input(op: OperationModel, params: Mapping[str, str]) -> dict[str, Any]:
    """``decode_query_input`` for an operation of EC2's dialect (see the module docstring)."""
    return _read(_ec2_plans.get(op), params)


def _read(plan: _Plan | None, params: Mapping[str, str]) -> dict[str, Any]:
    tree = _param_tree(params)
    if plan is None:
        if tree:
            raise _unknown(next(k for k in tree if k is not None))
        return {}
    result = plan.read(tree, "")
    assert isinstance(result, dict)
    return result


def parse_input(op: OperationModel, params: Mapping[str, str]) -> dict[str, Any]:
    """Typed, validated input for ``op``: ``decode_query_input`` then the shared validator, which raises
    ``ValidationError`` listing every value that breaks a type or a model constraint."""
    result = decode_query_input(op, params)
    validate(op, result)
    return result


def warm(ops: list[OperationModel]) -> None:
    """Build the plans of ``ops`` now rather than on their first request."""
    for op in ops:
        _operation_plan(op)
