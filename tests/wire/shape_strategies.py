"""Hypothesis strategies built from botocore shapes: valid and invalid query requests, and outputs.

Reusable outside this package (e.g. to fuzz a live server):

* ``valid_input(op)`` — operation input as botocore takes it (``client.get_role(**value)``).
* ``valid_request_params(op)`` — the same, as the flat form parameters botocore sends
  (``Action`` and ``Version`` included), via botocore's own ``QuerySerializer``.
* ``bad_request_cases(op)`` — ``(params, kind, note)`` where ``kind`` is ``"validation"`` (the
  server must answer ``ValidationError``) or ``"parameter"`` (a malformed/unknown parameter name;
  any 4xx). ``bad_request_params(op)`` is the params alone.
* ``bad_request_bodies(op)`` — raw form bodies broken at the encoding level (bad ``%``, invalid
  UTF-8, a repeated name): the server must answer ``MalformedQueryString``.
* ``valid_output(op)`` — a handler result for the output shape.

Strings obey the model (length, enum, pattern — Java patterns translated by
``rolegate.wire.patterns``) and include hostile-looking text (XML, SQL, control characters) wherever
the model allows it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.serialize import create_serializer
from hypothesis import strategies as st

from rolegate.wire.patterns import compile_java_pattern

__all__ = [
    "HOSTILE_STRINGS",
    "bad_request_bodies",
    "bad_request_cases",
    "bad_request_params",
    "flatten",
    "valid_input",
    "valid_output",
    "valid_request_params",
]

HOSTILE_STRINGS: tuple[str, ...] = (
    "<Role>x</Role>",
    "]]><![CDATA[x",
    "&amp;&lt;&#0;",
    "' OR '1'='1' --",
    "Robert'); DROP TABLE roles;--",
    '"quoted" \\back\\slash',
    "${jndi:ldap://x}",
    "a\r\nb\tc",
    "\x00\x01\x1f",
    "%00%ZZ+&=",
    "é中文😀",
    "\u2028\u3000\u00a0",
    " leading and trailing ",
    "",
)

# Candidate characters for single-class patterns: all of Latin-1 and Latin Extended, plus samples
# of the Unicode categories models use (letters, separators, numbers) and a supplementary char.
_CHAR_POOL: tuple[str, ...] = tuple(chr(c) for c in range(0x250)) + (
    "\u0391", "\u0416", "\u4e2d", "\u0660", "\u2160", "\u00bd", "\u2003", "\u3000", "\u2028",
    "\u2029", "\u00a0", "\ud7ff", "\ue000", "\ufffd", "\U0001f600", "\U00010000", "\U0010fffd",
)
_SINGLE_CLASS = re.compile(r"\^?(\[(?:[^\]\\]|\\.)*\])([+*])\$?")
_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_LIST_CAP = 3  # list/map sizes beyond the model minimum: enough to exercise indexing, cheap to run


# --- valid values ---------------------------------------------------------------------------------


@functools.cache
def _class_alphabet(java_class: str) -> tuple[str, ...]:
    matcher = compile_java_pattern(java_class).fullmatch
    return tuple(c for c in _CHAR_POOL if matcher(c))


def _length_bounds(shape: Shape, default_max: int = 24) -> tuple[int, int, int | None]:
    lo = int(shape.metadata.get("min", 0))
    model_max = shape.metadata.get("max")
    hi = lo + default_max if model_max is None else min(int(model_max), lo + default_max)
    return lo, hi, None if model_max is None else int(model_max)


@functools.cache
def _valid_string(shape: Shape) -> st.SearchStrategy[str]:
    enum = shape.metadata.get("enum")
    if enum:
        return st.sampled_from(list(enum))
    lo, hi, model_max = _length_bounds(shape)
    pattern = shape.metadata.get("pattern")

    def fits(s: str) -> bool:
        if not lo <= len(s) <= (model_max if model_max is not None else 10**9):
            return False
        return pattern is None or compile_java_pattern(pattern).fullmatch(s) is not None

    hostile = [s for s in HOSTILE_STRINGS if fits(s)]
    single = _SINGLE_CLASS.fullmatch(pattern) if pattern else None
    base: st.SearchStrategy[str]
    if pattern is None:
        base = st.text(min_size=lo, max_size=hi)
    elif single is not None:
        alphabet = _class_alphabet(single.group(1))
        base = st.text(alphabet=st.sampled_from(alphabet), min_size=lo, max_size=hi)
    else:
        base = st.from_regex(compile_java_pattern(pattern), fullmatch=True).filter(fits)
    options = [base]
    if hostile:
        options.append(st.sampled_from(hostile))
    if model_max is not None and model_max <= 4096 and (pattern is None or single is not None):
        # The boundary: exactly the maximum length is valid.
        chars = st.sampled_from(_class_alphabet(single.group(1))) if single else st.characters(codec="utf-8")
        options.append(st.text(alphabet=chars, min_size=model_max, max_size=model_max))
    return st.one_of(options)


def _valid_int(shape: Shape) -> st.SearchStrategy[int]:
    lo, hi = _INT_BOUNDS[shape.type_name]
    lo = max(lo, int(shape.metadata.get("min", lo)))
    hi = min(hi, int(shape.metadata.get("max", hi)))
    return st.one_of(st.integers(lo, hi), st.sampled_from(sorted({lo, hi})))


def _timestamps() -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc))


def _structure(
    shape: StructureShape, member_strategy: Callable[[Shape, int], st.SearchStrategy[Any]], depth: int, nonempty: bool
) -> st.SearchStrategy[dict[str, Any]]:
    required = set(shape.required_members)
    members = {n: m for n, m in shape.members.items() if not m.serialization.get("location")}
    union = bool(shape.metadata.get("union"))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        if union:
            chosen = [draw(st.sampled_from(sorted(members)))]
        else:
            chosen = [n for n in members if n in required or (depth < 4 and draw(st.booleans()))]
            if not chosen and nonempty and members:
                # botocore writes nothing for an empty nested structure; keep one member so the value survives.
                chosen = [draw(st.sampled_from(sorted(members)))]
        return {n: draw(member_strategy(members[n], depth + 1)) for n in chosen}

    return build()


def _collection_sizes(shape: Shape) -> tuple[int, int]:
    lo = int(shape.metadata.get("min", 0))
    hi = int(shape.metadata.get("max", lo + _LIST_CAP))
    return lo, max(lo, min(hi, lo + _LIST_CAP))


def _input_value(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return _structure(shape, _input_value, depth, nonempty=depth > 0)
    if kind == "list":
        assert isinstance(shape, ListShape)
        lo, hi = _collection_sizes(shape)
        return st.lists(_input_value(shape.member, depth + 1), min_size=lo, max_size=hi)
    if kind == "map":
        assert isinstance(shape, MapShape)
        lo, hi = _collection_sizes(shape)
        # botocore writes nothing at all for an empty map (unlike an empty list, ``Name=``), so an
        # empty map can't survive the wire; generate at least one entry.
        lo = max(lo, 1)
        hi = max(hi, lo)
        return st.dictionaries(_input_value(shape.key, depth + 1), _input_value(shape.value, depth + 1), min_size=lo, max_size=hi)
    if kind == "string":
        return _valid_string(shape)
    if kind in _INT_BOUNDS:
        return _valid_int(shape)
    if kind == "boolean":
        return st.booleans()
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "timestamp":
        return _timestamps()
    if kind == "blob":
        return st.binary(max_size=32)
    raise NotImplementedError(kind)


def valid_input(op: OperationModel) -> st.SearchStrategy[dict[str, Any]]:
    """A valid input for ``op`` as a botocore client takes it."""
    if op.input_shape is None:
        return st.just({})
    return _input_value(op.input_shape)


@functools.cache
def _serializer(validate: bool, protocol: str = "query") -> Any:
    return create_serializer(protocol, include_validation=validate)


def flatten(op: OperationModel, value: dict[str, Any], *, validate: bool = True) -> dict[str, str]:
    """Flat form parameters for ``value`` exactly as botocore's serializer for ``op``'s protocol (``query``'s
    ``QuerySerializer``, ``ec2``'s ``EC2Serializer``) writes them."""
    body = _serializer(validate, op.metadata["protocol"]).serialize_to_request(value, op)["body"]
    return {k: v if isinstance(v, str) else str(v) for k, v in body.items()}


def valid_request_params(op: OperationModel) -> st.SearchStrategy[dict[str, str]]:
    """Flat form parameters (with ``Action``/``Version``) of a valid request to ``op``."""
    return valid_input(op).map(lambda value: flatten(op, value, validate=False))


# --- invalid requests -------------------------------------------------------------------------------


def _leaf_shape(op: OperationModel, key: str) -> Shape | None:
    """The scalar shape a flat parameter name addresses (``Tags.member.1.Key`` -> Tag.Key's shape)."""
    shape: Shape | None = op.input_shape
    parts = key.split(".")
    i = 0
    while shape is not None and i < len(parts):
        if isinstance(shape, StructureShape):
            shape = shape.members.get(parts[i])
            i += 1
        elif isinstance(shape, ListShape):
            i += 1 if shape.serialization.get("flattened") else 2
            shape = shape.member
        elif isinstance(shape, MapShape):
            i += 1 if shape.serialization.get("flattened") else 2
            shape = shape.key if parts[i : i + 1] == ["key"] else shape.value
            i += 1
        else:
            return None
    return shape


_BAD_INTS = ("abc", "1.5", "", " 1", "0x10", "1e3", "99999999999999999999", "٣")
_BAD_BOOLS = ("True", "FALSE", "1", "yes", "")
_BAD_PATTERN_CANDIDATES = HOSTILE_STRINGS + ("a b", "<", "\x00", "é", "😀", "*", "a/b", "\n")


def _scalar_mutations(shape: Shape) -> list[tuple[st.SearchStrategy[str], str]]:
    """(strategy of a bad replacement text, note) for one scalar shape; all must fail validation."""
    kind = shape.type_name
    meta = shape.metadata
    out: list[tuple[st.SearchStrategy[str], str]] = []
    if kind == "string":
        if meta.get("max") is not None:
            out.append((st.just("a" * (int(meta["max"]) + 1)), "too long"))
            out.append((st.just("é" * (int(meta["max"]) + 1)), "too long (non-ASCII)"))
        if int(meta.get("min", 0)) > 0:
            out.append((st.just("a" * (int(meta["min"]) - 1)), "too short"))
        if meta.get("enum"):
            out.append((st.sampled_from([e.upper() + "X" for e in meta["enum"]] + ["", "<x/>"]), "not in enum"))
        pattern = meta.get("pattern")
        if pattern is not None:
            matcher = compile_java_pattern(pattern).fullmatch
            bad = [c for c in _BAD_PATTERN_CANDIDATES if matcher(c) is None]
            if bad:
                out.append((st.sampled_from(bad), "breaks pattern"))
    elif kind in _INT_BOUNDS:
        out.append((st.sampled_from(_BAD_INTS), "not an integer"))
        if meta.get("max") is not None:
            out.append((st.integers(int(meta["max"]) + 1, 2**31 - 1).map(str), "above max"))
        if meta.get("min") is not None:
            out.append((st.integers(-(2**31), int(meta["min"]) - 1).map(str), "below min"))
    elif kind == "boolean":
        out.append((st.sampled_from(_BAD_BOOLS), "not a boolean"))
    elif kind in ("double", "float"):
        out.append((st.sampled_from(("abc", "1,5", "", "1_0", "inf")), "not a number"))
    elif kind == "timestamp":
        out.append((st.sampled_from(("yesterday", "2026-13-01T00:00:00Z", "2026-01-01")), "not a timestamp"))
    elif kind == "blob":
        out.append((st.sampled_from(("***", "abc", "a=b=")), "not base64"))
    return out


@st.composite
def _bad_case(draw: st.DrawFn, op: OperationModel) -> tuple[dict[str, str], str, str]:
    params = draw(valid_request_params(op))
    data_keys = [k for k in params if k not in ("Action", "Version")]
    options: list[str] = []
    # Map keys are left alone: a changed key could collide with another and become a "parameter" error.
    mutable = [k for k in data_keys if not k.endswith(".key")]
    if any(_scalar_mutations(s) for k in mutable if (s := _leaf_shape(op, k)) is not None):
        options.append("value")
    shape = op.input_shape
    required = list(shape.required_members) if isinstance(shape, StructureShape) else []
    if required:
        options.append("missing")
    indexed = [k for k in data_keys if re.search(r"\.(?:member|entry)\.1(?:\.|$)", k)]
    if indexed:
        options.append("gap")
    # Value mutations first (and twice): they are the richest class, and shrinking prefers early options.
    options = (["value"] if options[:1] == ["value"] else []) + options + ["scalar-child", "unknown"]
    choice = draw(st.sampled_from(options))
    params = dict(params)
    if choice == "value":
        candidates = [(k, m) for k in mutable if (s := _leaf_shape(op, k)) is not None for m in _scalar_mutations(s)]
        key, (bad, note) = draw(st.sampled_from(candidates))
        params[key] = draw(bad)
        return params, "validation", f"{key}: {note}"
    if choice == "missing":
        name = draw(st.sampled_from(required))
        for k in [k for k in params if k == name or k.startswith(name + ".")]:
            del params[k]
        return params, "validation", f"missing required {name}"
    if choice == "gap":
        key = draw(st.sampled_from(indexed))
        m = re.search(r"\.(member|entry)\.1(?=\.|$)", key)
        assert m is not None
        prefix = key[: m.end() - 1]
        index = draw(st.sampled_from(["0", "2", "01", "-1", "x", "1.5"]))
        for k in [k for k in params if k.startswith(prefix + "1.") or k == prefix + "1"]:
            params[prefix + index + k[len(prefix) + 1 :]] = params.pop(k)
        return params, "parameter", f"index {index} instead of 1 under {prefix}"
    if choice == "scalar-child" and data_keys:
        key = draw(st.sampled_from(data_keys))
        params[key + ".Extra"] = "x"
        return params, "parameter", f"{key}.Extra"
    name = draw(st.sampled_from(["Bogus", "roleName", "RoleName ", "Tags.member", "a..b", ".", "Role%Name"]))
    if name in params:
        name += "X"
    params[name] = draw(st.sampled_from(["x", "", "<x/>"]))
    return params, "parameter", f"unknown parameter {name!r}"


def bad_request_cases(op: OperationModel) -> st.SearchStrategy[tuple[dict[str, str], str, str]]:
    """``(params, kind, note)``: an invalid request; ``kind`` is ``"validation"`` or ``"parameter"``."""
    return _bad_case(op)


def bad_request_params(op: OperationModel) -> st.SearchStrategy[dict[str, str]]:
    """Flat form parameters of a request to ``op`` that the server must refuse with a 4xx."""
    return bad_request_cases(op).map(lambda case: case[0])


def bad_request_bodies(op: OperationModel) -> st.SearchStrategy[bytes]:
    """Form bodies for ``op`` that are broken at the encoding level (→ ``MalformedQueryString``)."""
    head = f"Action={op.name}&Version={op.metadata['apiVersion']}".encode()
    breakage = st.sampled_from(
        [
            b"&Name=%",
            b"&Name=%4",
            b"&Name=%G0",
            b"&Na%zzme=x",
            b"&Name=%FF%FE",
            b"&Name=%C3%28",
            b"&Name=%ED%A0%80",  # an encoded UTF-16 surrogate: not UTF-8
            b"&Name=\xff",
            b"&=x",
            b"&Action=" + op.name.encode(),
            b"&X=1&X=2",
        ]
    )
    return breakage.map(lambda tail: head + tail)


# --- outputs ----------------------------------------------------------------------------------------


def _xml_text() -> st.SearchStrategy[str]:
    # Every character XML 1.0 can carry (the serializer replaces the others, tested separately).
    chars = st.characters(codec="utf-8", exclude_characters="\ufffe\uffff").filter(
        lambda c: c >= " " or c in "\t\n\r"
    )
    return st.one_of(st.text(alphabet=chars, max_size=16), st.sampled_from([s for s in HOSTILE_STRINGS if "\x00" not in s]))


def _output_value(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return _structure(shape, _output_value, depth, nonempty=False)
    if kind == "list":
        assert isinstance(shape, ListShape)
        return st.lists(_output_value(shape.member, depth + 1), max_size=2 if depth < 4 else 0)
    if kind == "map":
        assert isinstance(shape, MapShape)
        return st.dictionaries(_output_value(shape.key, depth + 1), _output_value(shape.value, depth + 1), max_size=2)
    if kind == "string":
        enum = shape.metadata.get("enum")
        return st.sampled_from(list(enum)) if enum else _xml_text()
    if kind in _INT_BOUNDS:
        lo, hi = _INT_BOUNDS[kind]
        return st.integers(lo, hi)
    if kind == "boolean":
        return st.booleans()
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "timestamp":
        return _timestamps()
    if kind == "blob":
        return st.binary(max_size=32)
    raise NotImplementedError(kind)


def valid_output(op: OperationModel) -> st.SearchStrategy[dict[str, Any]]:
    """A handler result for ``op``'s output shape (``{}`` when it has none)."""
    if op.output_shape is None:
        return st.just({})
    return _output_value(op.output_shape)
