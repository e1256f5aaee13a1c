"""awsJson output: a handler's result dict to the JSON document botocore's ``JSONParser`` reads.

Members under their ``locationName`` (else their own name); timestamps as epoch seconds (a number, the
awsJson and restJson1 default) unless the shape's ``timestampFormat`` says ``iso8601`` (RFC 3339 text, as
botocore's serializer writes it) or ``rfc822`` (an HTTP date); blobs as base64 text; ``None`` omitted. As in the query serializer, a key the output
shape does not have, or a value of the wrong Python type, raises ``TypeError`` — a programming error the
endpoint answers with a 500 — rather than being dropped or guessed at.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from .per_operation import PerOperation

__all__ = ["serialize_json_result", "serialize_json_value"]

_Writer = Callable[[Any], Any]


def _type_error(shape: Shape, expected: str, value: Any) -> TypeError:
    return TypeError(f"output shape {shape.name} ({shape.type_name}) needs {expected}, "
                     f"got {type(value).__name__}: {value!r:.80}")


def _checked(shape: Shape, types: tuple[type, ...], expected: str) -> _Writer:
    def write(value: Any) -> Any:
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise _type_error(shape, expected, value)
        return value

    return write


def _timestamp(shape: Shape) -> _Writer:
    fmt = shape.serialization.get("timestampFormat", "unixTimestamp")

    def write(value: Any) -> Any:
        if not isinstance(value, datetime):
            raise _type_error(shape, "datetime", value)
        stamp = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if fmt == "iso8601":
            utc = stamp.astimezone(timezone.utc)
            return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if utc.microsecond else "%Y-%m-%dT%H:%M:%SZ")
        if fmt == "rfc822":
            return format_datetime(stamp.astimezone(timezone.utc), usegmt=True)
        return stamp.timestamp()

    return write


def _blob(shape: Shape) -> _Writer:
    def write(value: Any) -> Any:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise _type_error(shape, "bytes", value)
        return base64.b64encode(value).decode("ascii")

    return write


_SCALARS: dict[str, Callable[[Shape], _Writer]] = {
    "string": lambda s: _checked(s, (str,), "str"),
    "integer": lambda s: _checked(s, (int,), "int"),
    "long": lambda s: _checked(s, (int,), "int"),
    "float": lambda s: _checked(s, (int, float), "float"),
    "double": lambda s: _checked(s, (int, float), "float"),
    "boolean": lambda s: _checked(s, (bool,), "bool"),
    "timestamp": _timestamp,
    "blob": _blob,
}


class _WriterBuilder:
    """Writers for one service; structures memoized by name so recursion terminates."""

    def __init__(self) -> None:
        self._structures: dict[str, _Writer] = {}

    def writer(self, shape: Shape) -> _Writer:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            return self._structure(shape)
        if kind == "list":
            assert isinstance(shape, ListShape)
            item = self.writer(shape.member)

            def write_list(value: Any) -> Any:
                if not isinstance(value, (list, tuple)):
                    raise _type_error(shape, "list", value)
                return [item(v) for v in value]

            return write_list
        if kind == "map":
            assert isinstance(shape, MapShape)
            key, val = self.writer(shape.key), self.writer(shape.value)

            def write_map(value: Any) -> Any:
                if not isinstance(value, Mapping):
                    raise _type_error(shape, "a mapping", value)
                return {key(k): val(v) for k, v in value.items()}

            return write_map
        factory = _SCALARS.get(kind)
        if factory is None:
            raise NotImplementedError(f"json output of shape type {kind!r} ({shape.name})")
        return factory(shape)

    def _structure(self, shape: StructureShape) -> _Writer:
        cached = self._structures.get(shape.name)
        if cached is not None:
            return cached
        members: dict[str, tuple[str, _Writer]] = {}

        def write(value: Any) -> Any:
            if not isinstance(value, Mapping):
                raise _type_error(shape, "a mapping", value)
            out: dict[str, Any] = {}
            for name, v in value.items():
                member = members.get(name)
                if member is None:
                    raise TypeError(f"output shape {shape.name} has no member(s) [{name!r}]")
                if v is not None:
                    out[member[0]] = member[1](v)
            return out

        self._structures[shape.name] = write
        for name, member in shape.members.items():
            members[name] = (member.serialization.get("name") or name, self.writer(member))
        return write


_writers: PerOperation[_WriterBuilder, _Writer | None] = PerOperation(
    _WriterBuilder, lambda builder, op: builder.writer(op.output_shape) if op.output_shape is not None else None)


def serialize_json_result(op: OperationModel, result: Mapping[str, Any] | None) -> bytes:
    """The JSON body of a successful response to ``op`` (``{}`` for an operation without output)."""
    writer = _writers.get(op)
    if writer is None:
        if result:
            raise TypeError(f"{op.name} has no output shape but the handler returned {sorted(result)}")
        return b"{}"
    return json.dumps(writer({} if result is None else result), separators=(",", ":")).encode("utf-8")


_service_builders: PerOperation[_WriterBuilder, _WriterBuilder] = PerOperation(_WriterBuilder, lambda builder, _: builder)


def serialize_json_value(op: OperationModel, shape: Shape, value: Any) -> bytes:
    """The JSON of one value of ``shape`` (a rest-json output ``payload`` member) of ``op``'s service."""
    writer = _service_builders.get(op).writer(shape)
    return json.dumps(writer(value), separators=(",", ":")).encode("utf-8")
