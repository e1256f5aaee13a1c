"""Text to typed scalars, as AWS's text-carrying protocols spell them: the query form, JSON timestamps in text.

Each converter raises ``ConversionError`` whose message is the constraint AWS reports for the value
(``Member must be an integer between …``); codecs turn it into a ``validator.Invalid``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

__all__ = ["INT_RANGES", "ConversionError", "to_blob", "to_bool", "to_float", "to_int", "to_timestamp"]

INT_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_ISO8601 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))"
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")



class ConversionError(Exception):
    """The text can't be read as the shape's type; the message is the constraint AWS-style."""


def to_int(kind: str) -> Callable[[str], int]:
    lo, hi = INT_RANGES[kind]
    message = f"Member must be an integer between {lo} and {hi}"

    def convert(text: str) -> int:
        if not _INT_TEXT.fullmatch(text):
            raise ConversionError(message)
        value = int(text)
        if not lo <= value <= hi:
            raise ConversionError(message)
        return value

    return convert


def to_float(text: str) -> float:
    special = _SPECIAL_FLOATS.get(text)
    if special is not None:
        return special
    if not _FLOAT_TEXT.fullmatch(text):
        raise ConversionError("Member must be a number")
    value = float(text)
    if math.isinf(value):
        raise ConversionError("Member must be a finite number")
    return value


def to_bool(text: str) -> bool:
    if text == "true":
        return True
    if text == "false":
        return False
    raise ConversionError("Member must be true or false")


def to_blob(text: str) -> bytes:
    if len(text) % 4 or not _BASE64.fullmatch(text):
        raise ConversionError("Member must be base64-encoded")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConversionError("Member must be base64-encoded") from None


def to_timestamp(fmt: str | None) -> Callable[[str], datetime]:
    if fmt == "unixTimestamp":

        def from_epoch(text: str) -> datetime:
            try:
                return datetime.fromtimestamp(to_float(text), timezone.utc)
            except (ConversionError, OverflowError, OSError, ValueError):
                raise ConversionError("Member must be a timestamp in seconds since the epoch") from None

        return from_epoch

    def from_iso(text: str) -> datetime:
        m = _ISO8601.fullmatch(text)
        if m is None:
            raise ConversionError("Member must be an ISO 8601 timestamp")
        year, month, day, hour, minute, second, frac, _z, sign, oh, om = m.groups()
        micro = int((frac or "0")[:6].ljust(6, "0"))
        try:
            tz = timezone.utc
            if sign:
                offset = timedelta(hours=int(oh), minutes=int(om))
                tz = timezone(-offset if sign == "-" else offset)
            value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz)
            return value.astimezone(timezone.utc)
        except (ValueError, OverflowError):
            raise ConversionError("Member must be an ISO 8601 timestamp") from None

    return from_iso
