"""Query-protocol output: a handler's result dict to AWS's XML response, and errors to ``ErrorResponse``.

``serialize_result`` writes ``<{Op}Response xmlns=…><{Op}Result>…</{Op}Result><ResponseMetadata>…``
by the operation's output shape; ``serialize_error`` writes
``<ErrorResponse xmlns=…><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>``.

Handlers are held to the model: a key the output shape doesn't have, or a value of the wrong Python
type (``str`` for an integer, a naive ``int`` for a timestamp), raises ``TypeError`` — a programming
error the server turns into a 500 — instead of being dropped or guessed at. A member that is absent
or ``None`` is omitted.

Types: strings are XML-escaped (``&``, ``<``, ``>``; ``\\r`` as ``&#13;`` so parsers don't fold it into
``\\n``) and characters XML 1.0 cannot carry at all (C0 controls other than tab/LF/CR, lone surrogates,
U+FFFE/U+FFFF) are replaced by U+FFFD, so the response is always well-formed. Timestamps are
``datetime``s (naive ones are taken as UTC) written as ISO 8601 in UTC with ``Z``, with fractional
seconds only when present. Blobs are ``bytes`` written as base64.

Speed: each shape gets a writer closure built once (member tags pre-rendered), so a response is
one pass appending string fragments to a list.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from rolegate.core.errors import AwsError

from .per_operation import PerOperation

__all__ = ["WriterBuilder", "escape_text", "serialize_error", "serialize_result"]

_Writer = Callable[[list[str], Any], None]

# Characters needing work in XML text: markup, CR, and those XML 1.0 forbids outright.
_NEEDS_WORK = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FIXES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def _fix(match: re.Match[str]) -> str:
    return _FIXES.get(match.group(), "\ufffd")


def escape_text(text: str) -> str:
    """``text`` made safe as XML 1.0 character data (see module docstring)."""
    if _NEEDS_WORK.search(text) is None:
        return text
    return _NEEDS_WORK.sub(_fix, text)


def _type_error(shape: Shape, expected: str, value: Any) -> TypeError:
    return TypeError(f"output shape {shape.name} ({shape.type_name}) needs {expected}, got {type(value).__name__}: {value!r:.80}")


# --- scalar writers ---------------------------------------------------------------------------------


def _string_writer(shape: Shape) -> _Writer:
    search = _NEEDS_WORK.search
    sub = _NEEDS_WORK.sub

    def write(out: list[str], value: Any) -> None:
        if not isinstance(value, str):
            raise _type_error(shape, "str", value)
        out.append(value if search(value) is None else sub(_fix, value))

    return write


def _integer_writer(shape: Shape) -> _Writer:
    def write(out: list[str], value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _type_error(shape, "int", value)
        out.append(str(int(value)))

    return write


def _float_writer(shape: Shape) -> _Writer:
    def write(out: list[str], value: Any) -> None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _type_error(shape, "float", value)
        value = float(value)
        if math.isnan(value):
            out.append("NaN")
        elif math.isinf(value):
            out.append("Infinity" if value > 0 else "-Infinity")
        else:
            out.append(repr(value))

    return write


def _boolean_writer(shape: Shape) -> _Writer:
    def write(out: list[str], value: Any) -> None:
        if value is True:
            out.append("true")
        elif value is False:
            out.append("false")
        else:
            raise _type_error(shape, "bool", value)

    return write


@lru_cache(maxsize=8192)
def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``; fractional seconds (milli- or microseconds) only when non-zero.

    Remembered per value: a list page repeats the same creation dates request after request (the AWS
    managed policies' most of all), and equal datetimes are the same instant, so they format alike."""
    tz = value.tzinfo
    if tz is not None and tz is not timezone.utc:  # the common case (already UTC) skips a conversion
        value = value.astimezone(timezone.utc)
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    micro = value.microsecond
    if micro:
        text += f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    return text + "Z"


def _timestamp_writer(shape: Shape) -> _Writer:
    def write(out: list[str], value: Any) -> None:
        if not isinstance(value, datetime):
            raise _type_error(shape, "datetime", value)
        out.append(format_timestamp(value))

    return write


def _blob_writer(shape: Shape) -> _Writer:
    def write(out: list[str], value: Any) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise _type_error(shape, "bytes", value)
        out.append(base64.b64encode(value).decode("ascii"))

    return write


_SCALARS: dict[str, Callable[[Shape], _Writer]] = {
    "string": _string_writer,
    "integer": _integer_writer,
    "long": _integer_writer,
    "float": _float_writer,
    "double": _float_writer,
    "boolean": _boolean_writer,
    "timestamp": _timestamp_writer,
    "blob": _blob_writer,
}

# --- composite writers --------------------------------------------------------------------------------


class WriterBuilder:
    """Builds writers for one service; structures are memoized by name so recursion terminates."""

    def __init__(self) -> None:
        self._structures: dict[str, _Writer] = {}

    def writer(self, shape: Shape) -> _Writer:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            return self._structure(shape)
        if kind == "list":
            assert isinstance(shape, ListShape)
            return self._list_items(shape, shape.member.serialization.get("name") or "member")
        if kind == "map":
            assert isinstance(shape, MapShape)
            return self._map_entries(shape, "entry")
        factory = _SCALARS.get(kind)
        if factory is None:
            raise NotImplementedError(f"query output of shape type {kind!r} ({shape.name})")
        return factory(shape)

    def _list_items(self, shape: ListShape, tag: str) -> _Writer:
        """Writes each item wrapped in ``<tag>``; used inside the list element, or bare when flattened."""
        item = self.writer(shape.member)
        open_tag, close_tag = f"<{tag}>", f"</{tag}>"

        def write(out: list[str], value: Any) -> None:
            if not isinstance(value, (list, tuple)):
                raise _type_error(shape, "list", value)
            for element in value:
                if element is None:
                    raise _type_error(shape.member, "a value (lists can't hold None)", element)
                out.append(open_tag)
                item(out, element)
                out.append(close_tag)

        return write

    def _map_entries(self, shape: MapShape, tag: str) -> _Writer:
        key_tag = shape.key.serialization.get("name") or "key"
        value_tag = shape.value.serialization.get("name") or "value"
        key_writer, value_writer = self.writer(shape.key), self.writer(shape.value)
        open_entry, close_entry = f"<{tag}>", f"</{tag}>"
        open_key, close_key = f"<{key_tag}>", f"</{key_tag}>"
        open_value, close_value = f"<{value_tag}>", f"</{value_tag}>"

        def write(out: list[str], value: Any) -> None:
            if not isinstance(value, Mapping):
                raise _type_error(shape, "a mapping", value)
            for k, v in value.items():
                out.append(open_entry + open_key)
                key_writer(out, k)
                out.append(close_key + open_value)
                value_writer(out, v)
                out.append(close_value + close_entry)

        return write

    def _structure(self, shape: StructureShape) -> _Writer:
        cached = self._structures.get(shape.name)
        if cached is not None:
            return cached
        # (member name, open tag or "", close tag or "", writer, is a string); filled after registering the
        # writer so a recursive member finds it.
        members: list[tuple[str, str, str, _Writer, bool]] = []
        names: frozenset[str] = frozenset(shape.members)
        missing = object()
        search = _NEEDS_WORK.search

        def write(out: list[str], value: Any) -> None:
            if not isinstance(value, Mapping):
                raise _type_error(shape, "a mapping", value)
            seen = 0
            get = value.get
            for name, open_tag, close_tag, member_writer, is_string in members:
                v = get(name, missing)
                if v is missing:
                    continue
                seen += 1
                if v is None:
                    continue
                if is_string and v.__class__ is str and search(v) is None:
                    # The common case inlined: a plain string needing no escaping.
                    out.append(open_tag + v + close_tag)
                elif open_tag:
                    out.append(open_tag)
                    member_writer(out, v)
                    out.append(close_tag)
                else:
                    member_writer(out, v)
            if seen != len(value):
                unknown = sorted(str(k) for k in value if k not in names)
                raise TypeError(f"output shape {shape.name} has no member(s) {unknown}")

        self._structures[shape.name] = write
        for name, member in shape.members.items():
            if member.serialization.get("location"):
                raise NotImplementedError(f"{shape.name}.{name}: header/status members in query output")
            if member.serialization.get("xmlAttribute"):
                raise NotImplementedError(f"{shape.name}.{name}: XML attributes in query output")
            tag = member.serialization.get("name") or name
            if isinstance(member, ListShape) and member.serialization.get("flattened"):
                # Flattened: no wrapper; items repeat under the list member's name (botocore's rule).
                item_tag = member.member.serialization.get("name") or tag
                members.append((name, "", "", self._list_items(member, item_tag), False))
            elif isinstance(member, MapShape) and member.serialization.get("flattened"):
                members.append((name, "", "", self._map_entries(member, tag), False))
            else:
                is_string = member.type_name == "string"
                members.append((name, f"<{tag}>", f"</{tag}>", self.writer(member), is_string))
        return write


class _OperationWriter:
    __slots__ = ("head", "middle", "tail", "body")

    def __init__(self, op: OperationModel, builder: WriterBuilder) -> None:
        ns = op.service_model.metadata.get("xmlNamespace")
        xmlns = f' xmlns="{escape_text(ns)}"' if ns else ""
        shape = op.output_shape
        self.body: _Writer | None = None
        if shape is None:
            self.head = f"<{op.name}Response{xmlns}>"
            self.middle = ""
        else:
            self.body = builder.writer(shape)
            wrapper = shape.serialization.get("resultWrapper")
            # botocore reads members from inside the wrapper when the model names one, else from
            # the response root; write them where it will look.
            self.head = f"<{op.name}Response{xmlns}>" + (f"<{wrapper}>" if wrapper else "")
            self.middle = f"</{wrapper}>" if wrapper else ""
        self.middle += "<ResponseMetadata><RequestId>"
        self.tail = f"</RequestId></ResponseMetadata></{op.name}Response>"


_writers: PerOperation[WriterBuilder, _OperationWriter] = PerOperation(
    WriterBuilder, lambda builder, op: _OperationWriter(op, builder))
_operation_writer = _writers.get


def serialize_result(
    service: str | ServiceModel, op: OperationModel, result: Mapping[str, Any] | None, request_id: str
) -> bytes:
    """The XML body of a successful response to ``op``.

    ``service`` (botocore name or model) must be ``op``'s service; it is checked, and the XML
    namespace comes from that model. ``result`` is the handler's output keyed by member name;
    ``None`` or ``{}`` for operations without output. Raises ``TypeError`` if ``result`` does not fit
    the output shape.
    """
    service_name = service if isinstance(service, str) else service.service_name
    if op.service_model.service_name != service_name:
        raise ValueError(f"operation {op.name} is not an operation of {service_name}")
    writer = _operation_writer(op)
    out = [writer.head]
    if writer.body is not None:
        writer.body(out, {} if result is None else result)
    elif result:
        raise TypeError(f"{op.name} has no output shape but the handler returned {sorted(result)}")
    out.append(writer.middle)
    out.append(escape_text(request_id))
    out.append(writer.tail)
    return "".join(out).encode("utf-8")


def serialize_error(err: AwsError, request_id: str, service_ns: str | None) -> tuple[int, bytes]:
    """``(HTTP status, XML body)`` for an error, in the query protocol's ``ErrorResponse`` shape."""
    sender = err.sender_fault or 400 <= err.status < 500
    xmlns = f' xmlns="{escape_text(service_ns)}"' if service_ns else ""
    body = (
        f"<ErrorResponse{xmlns}><Error><Type>{'Sender' if sender else 'Receiver'}</Type>"
        f"<Code>{escape_text(err.code)}</Code><Message>{escape_text(err.message)}</Message></Error>"
        f"<RequestId>{escape_text(request_id)}</RequestId></ErrorResponse>"
    )
    return err.status, body.encode("utf-8")


def warm(ops: list[OperationModel]) -> None:
    """Build the writers of ``ops`` now rather than on their first response."""
    for op in ops:
        _operation_writer(op)
