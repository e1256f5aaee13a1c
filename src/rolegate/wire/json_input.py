"""awsJson input: a request's JSON document to typed operation input, by the input shape.

What botocore's ``JSONSerializer`` writes, read back: members under their ``locationName`` (else their own
name), timestamps as epoch seconds (a number; ISO 8601 text is read too), blobs as base64 text, maps as
JSON objects. ``null`` means absent. Members the shape does not have are ignored, as AWS's JSON services
and Smithy's awsJson protocol tests do. A value of the wrong JSON type becomes a ``validator.Invalid``
with the same constraint wording the query codec uses, so the shared validator reports both alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from .per_operation import PerOperation
from .scalars import INT_RANGES, ConversionError, to_blob, to_timestamp
from .validator import Invalid, java_str

__all__ = ["decode_json_input", "decode_json_payload"]

_Reader = Callable[[Any], Any]
_from_iso = to_timestamp(None)


def _invalid(value: Any, constraint: str) -> Invalid:
    return Invalid(java_str(value), constraint)


def _string(value: Any) -> Any:
    return value if isinstance(value, str) else _invalid(value, "Member must be a string")


def _integer(kind: str) -> _Reader:
    lo, hi = INT_RANGES[kind]
    message = f"Member must be an integer between {lo} and {hi}"

    def read(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi:
            return value
        return _invalid(value, message)

    return read


def _number(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):  # Smithy's spelling of the non-finite doubles
        return float(value)
    return _invalid(value, "Member must be a number")


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else _invalid(value, "Member must be true or false")


def _blob(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return to_blob(value)
        except ConversionError as exc:
            return Invalid(value, str(exc))
    return _invalid(value, "Member must be base64-encoded")


def _timestamp(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    elif isinstance(value, str):
        try:
            return _from_iso(value)
        except ConversionError:
            pass
    return _invalid(value, "Member must be a timestamp in seconds since the epoch")


_SCALARS: dict[str, _Reader] = {
    "string": _string,
    "integer": _integer("integer"),
    "long": _integer("long"),
    "float": _number,
    "double": _number,
    "boolean": _boolean,
    "blob": _blob,
    "timestamp": _timestamp,
}


class _ReaderBuilder:
    """Readers for one service, memoized by shape name so recursive shapes terminate."""

    def __init__(self) -> None:
        self._readers: dict[str, _Reader] = {}

    def reader(self, shape: Shape) -> _Reader:
        cached = self._readers.get(shape.name)
        if cached is not None:
            return cached
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            return self._structure(shape)
        if kind == "list":
            assert isinstance(shape, ListShape)
            return self._list(shape)
        if kind == "map":
            assert isinstance(shape, MapShape)
            return self._map(shape)
        scalar = _SCALARS.get(kind)
        if scalar is None:
            raise NotImplementedError(f"json input of shape type {kind!r} ({shape.name})")
        return scalar

    def _structure(self, shape: StructureShape) -> _Reader:
        members: list[tuple[str, str, _Reader]] = []

        def read(value: Any) -> Any:
            if not isinstance(value, dict):
                return _invalid(value, "Member must be a structure")
            out: dict[str, Any] = {}
            for name, wire, member in members:
                sub = value.get(wire)
                if sub is not None:
                    out[name] = member(sub)
            return out

        self._readers[shape.name] = read
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                continue  # header/URI members belong to rest protocols
            members.append((name, member.serialization.get("name") or name, self.reader(member)))
        return read

    def _list(self, shape: ListShape) -> _Reader:
        item: _Reader

        def read(value: Any) -> Any:
            if not isinstance(value, list):
                return _invalid(value, "Member must be a list")
            return [Invalid(None, "Member must not be null") if v is None else item(v) for v in value]

        self._readers[shape.name] = read
        item = self.reader(shape.member)
        return read

    def _map(self, shape: MapShape) -> _Reader:
        key: _Reader
        val: _Reader

        def read(value: Any) -> Any:
            if not isinstance(value, dict):
                return _invalid(value, "Member must be a map")
            return {key(k): Invalid(None, "Member must not be null") if v is None else val(v)
                    for k, v in value.items()}

        self._readers[shape.name] = read
        key, val = self.reader(shape.key), self.reader(shape.value)
        return read


_readers: PerOperation[_ReaderBuilder, _Reader | None] = PerOperation(
    _ReaderBuilder, lambda builder, op: builder.reader(op.input_shape) if op.input_shape is not None else None)


def decode_json_input(op: OperationModel, document: dict[str, Any]) -> dict[str, Any]:
    """Typed input for ``op`` from its request document (a JSON object), not yet validated."""
    reader = _readers.get(op)
    if reader is None:
        return {}
    out = reader(document)
    assert isinstance(out, dict)
    return out


def _payload_reader(builder: _ReaderBuilder, op: OperationModel) -> _Reader:
    shape = op.input_shape
    assert shape is not None
    return builder.reader(shape.members[shape.serialization["payload"]])


_payload_readers: PerOperation[_ReaderBuilder, _Reader] = PerOperation(_ReaderBuilder, _payload_reader)


def decode_json_payload(op: OperationModel, document: Any) -> Any:
    """Typed value of ``op``'s payload member (rest-json ``payload``) from the whole request document."""
    return _payload_readers.get(op)(document)
