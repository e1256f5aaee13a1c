"""The records' JSON text: one encoder for the store copy, the files and the secret scan, and its parser.

A record is encoded once, when it is built, and that text is what the store keeps and the files receive
(docs/adr/0044). orjson (https://github.com/ijl/orjson) encodes a record about ten times faster than the
standard library, which on the hot path of every credential issuance is a measurable share of the audit's cost
(bench/README.md, "Audit on vs off, stop 24"). Its text is compact, UTF-8 as CloudTrail's files are, with keys in
the record's order. Values orjson does not serialise itself — and dates and dataclasses, which it would write in
forms of its own — are written as ``str()`` writes them, as the standard library's ``default=str`` did. A record
orjson refuses outright (a lone surrogate in a string a client sent, an integer beyond 64 bits) is written by the
standard library instead, non-ASCII escaped, so no record is lost to the encoder; ``encode`` says which of the two
wrote it, so that the secret scan spells each secret as the record's own encoder did.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["dumps", "encode", "loads"]

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """``value`` as compact JSON text."""
    return encode(value)[0]


def encode(value: Any) -> tuple[str, Callable[[str], str]]:
    """``value`` as compact JSON text, and how the encoder that wrote it spells a string inside it (no quotes)."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode(), _orjson_spelling
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, separators=(",", ":"), default=str), _json_spelling


def loads(text: str | bytes) -> Any:
    """The value of JSON ``text`` (a record as the store or a file keeps it)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # what only the standard library writes and reads: an escaped lone surrogate


def _orjson_spelling(text: str) -> str:
    try:
        return orjson.dumps(text).decode()[1:-1]
    except TypeError:  # a lone surrogate: then the record that held it was written by the standard library
        return _json_spelling(text)


def _json_spelling(text: str) -> str:
    return json.dumps(text)[1:-1]
