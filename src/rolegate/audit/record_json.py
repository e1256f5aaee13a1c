"""The records' JSON text: one encoder for the store copy, the files and the secret scan, and its parser.

A record is encoded once, when it is built, and that text is what the store keeps and the files receive
(docs/adr/0044). orjson (https://github.com/ijl/orjson) encodes a record about ten times faster than the
standard library, which on the hot path of every credential issuance is a measurable share of the audit's cost
(bench/README.md, "Audit on vs off, stop 24"). Its text is compact, UTF-8 as CloudTrail's files are, with keys in
the record's order. Values orjson does not serialise itself — and dates and dataclasses, which it would write in
forms of its own — are written as ``str()`` writes them, as the standard library's ``default=str`` did. A record
orjson refuses outright (a lone surrogate in a string a client sent, an integer beyond 64 bits) is written by the
standard library instead, non-ASCII escaped, so no record is lost to the encoder; ``spellings`` gives both forms
of a string, so that the secret scan finds a secret whichever encoder wrote the record.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "loads", "spellings"]

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """``value`` as compact JSON text."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, separators=(",", ":"), default=str)


def loads(text: str | bytes) -> Any:
    """The value of JSON ``text`` (a record as the store or a file keeps it)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # what only the standard library writes and reads: an escaped lone surrogate


def spellings(text: str) -> set[str]:
    """How ``text`` may appear inside a record's JSON, without its quotes: as orjson writes it, and as the
    standard library does when it wrote the record instead (non-ASCII escaped)."""
    found = {json.dumps(text)[1:-1]}
    try:
        found.add(orjson.dumps(text).decode()[1:-1])
    except TypeError:
        pass  # not valid UTF-8 (a lone surrogate): only the standard library writes it
    return found
