"""The records' JSON text: one encoder for the store copy, the files and the secret scan, and its parser.

A record is encoded once, when it is built, and that text is what the store keeps and the files receive
(docs/adr/0044). orjson (https://github.com/ijl/orjson) encodes a record about ten times faster than the
standard library, which on the hot path of every credential issuance is a measurable share of the audit's cost
(bench/README.md, "Audit on vs off, stop 24"). Its text is compact, UTF-8 as CloudTrail's files are, with keys in
the record's order. Values orjson does not serialise itself — and dates and dataclasses, which it would write in
forms of its own — are written as ``str()`` writes them, as the standard library's ``default=str`` did; a value
orjson refuses outright (an integer beyond 64 bits) falls back to the standard library, so no record is lost to
the encoder.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "loads"]

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """``value`` as compact JSON text."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def loads(text: str | bytes) -> Any:
    """The value of JSON ``text`` (a record as the store or a file keeps it)."""
    return orjson.loads(text)
