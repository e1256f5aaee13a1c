"""Strict decoding of ``application/x-www-form-urlencoded`` bodies and query strings.

AWS query-protocol requests carry ``Action=…&Version=…&Name=value…`` in the body (POST) or the query
string (GET). This module turns those bytes into a flat ``dict[str, str]`` and refuses anything
ambiguous instead of guessing: a ``%`` not followed by two hex digits, bytes that are not UTF-8 after
percent-decoding, an empty parameter name, or a name given more than once. All of these are answered
with ``MalformedQueryString``; we send it with status 400 (AWS documents 404 for that code, which
clients would read as "no such endpoint" — a request-syntax problem is a 400 here).

``+`` means a space (HTML form encoding), as botocore and every AWS SDK encode it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from rolegate.core.errors import MalformedQueryString

__all__ = ["decode_form"]

# A '%' that does not start a complete escape. Checked before decoding because urllib would pass
# such a '%' through silently.
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _malformed(message: str) -> MalformedQueryString:
    return MalformedQueryString(message, status=400)


def _decode_component(raw: bytes, what: str) -> str:
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        if _BAD_ESCAPE.search(raw):
            raise _malformed(f"Invalid percent-encoding in parameter {what}.")
        raw = unquote_to_bytes(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed(f"Parameter {what} is not valid UTF-8 after percent-decoding.") from None


def _decode_into(data: bytes | str, params: dict[str, str]) -> None:
    """Decode one form-encoded string into ``params``.

    Empty segments (``a=1&&b=2``, a trailing ``&``) are skipped; a segment without ``=`` is a name
    with an empty value, as browsers and ``urllib.parse`` treat it.
    """
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            # Only reachable for str input holding lone surrogates (e.g. from a lax ASGI server).
            raise _malformed("The query string is not valid UTF-8.") from None
    for segment in data.split(b"&"):
        if not segment:
            continue
        raw_name, sep, raw_value = segment.partition(b"=")
        name = _decode_component(raw_name, "name")
        if not name:
            raise _malformed("A parameter has an empty name.")
        value = _decode_component(raw_value, repr(name)) if sep else ""
        if name in params:
            raise _malformed(f"The parameter {name} is given more than once.")
        params[name] = value


def decode_form(body: bytes | str | None = None, query_string: bytes | str | None = None) -> dict[str, str]:
    """All parameters of a query-protocol request: the query string's and the form body's together.

    Either may be empty or ``None``. A name present in both is ambiguous and rejected like any
    other repeat.
    """
    params: dict[str, str] = {}
    if query_string:
        _decode_into(query_string, params)
    if body:
        _decode_into(body, params)
    return params
