"""SigV4 canonicalization: the canonical request a signer hashed, rebuilt from the request as received.

Owns the pure, secret-free half of Signature Version 4 (AWS General Reference / IAM User Guide,
"Create a canonical request for Signature Version 4"; "Elements of an AWS API request signature"):

    HTTPMethod \\n CanonicalURI \\n CanonicalQueryString \\n CanonicalHeaders \\n SignedHeaders \\n HashedPayload

Every rule here is checked against what botocore's ``SigV4Auth`` computes on the client side, because
the server must reproduce *the client's* bytes, not an idealised reading of the spec. Where the two could
differ the choice is commented. Inputs are plain strings as they came off the wire: the wire layer
decodes path, query and header bytes as latin-1 (so every byte survives) and hands them over unchanged.

Also usable by other signature schemes that reuse the SigV4 canonical request (IAM Roles Anywhere's
``AWS4-X509-*`` algorithms sign the same canonical request with a certificate key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

# RFC 3986 unreserved characters, which SigV4 never percent-encodes ("URI-encode each parameter name and
# value ... Do not URI-encode any of the unreserved characters that RFC 3986 defines: A-Z, a-z, 0-9,
# hyphen, underscore, period, and tilde"). ``quote`` always leaves letters, digits and ``_.-~`` alone;
# passing ``safe="-_.~"`` mirrors botocore exactly and encodes space as %20 (never ``+``).
_QUERY_SAFE = "-_.~"
# Path: botocore's SigV4Auth._normalize_url_path is ``quote(normalize_url_path(path), safe="/~")``.
_PATH_SAFE = "/~"


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 dot-segment removal, plus collapsing empty segments (``//``).

    AWS: "Normalize URI paths according to RFC 3986. Remove redundant and relative path components."
    This is botocore.utils.remove_dot_segments, reproduced so the server normalises exactly as the client
    did (including dropping consecutive slashes, which RFC 3986 itself would keep).
    """
    if not path:
        return ""
    out: list[str] = []
    for seg in path.split("/"):
        if seg and seg != ".":
            if seg == "..":
                if out:
                    out.pop()
            else:
                out.append(seg)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and out else ""
    return first + "/".join(out) + last


def canonical_uri(raw_path: str) -> str:
    """CanonicalURI for every service except S3.

    AWS: "Each path segment must be URI-encoded twice (except for Amazon S3 which only gets URI-encoded
    once)". The wire path is already encoded once by the client, so the server encodes it *once more*,
    with ``/`` and ``~`` safe -- which is precisely what botocore does to the (already encoded) request URL
    path. Consequence: ``%2F`` on the wire becomes ``%252F`` here, as it did in the client.

    Short paths are cached: real traffic uses a handful (``/`` for the query APIs). The cache is bounded in
    entries and only takes short keys, so a flood of distinct or huge paths cannot grow memory.
    """
    if raw_path == "/" or not raw_path:
        return "/"
    if len(raw_path) <= 256:
        return _cached_uri(raw_path)
    return quote(remove_dot_segments(raw_path), safe=_PATH_SAFE)


@lru_cache(maxsize=1024)
def _cached_uri(raw_path: str) -> str:
    return quote(remove_dot_segments(raw_path), safe=_PATH_SAFE)


def _encode(component: str) -> str:
    # Decode what the client percent-encoded, then re-encode with the SigV4 rules. Working on bytes keeps
    # invalid UTF-8 (``%FF``) intact instead of turning it into U+FFFD. ``+`` is *not* a space here: SigV4
    # is RFC 3986, not HTML forms; botocore never puts a literal ``+`` in a URL (it sends %2B / %20).
    if "%" not in component:
        return quote(component, safe=_QUERY_SAFE)
    return quote(unquote_to_bytes(component), safe=_QUERY_SAFE)


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """The query's ``(name, value)`` pairs, percent-decoded (UTF-8, invalid bytes replaced), in order."""
    if not raw_query:
        return []
    out: list[tuple[str, str]] = []
    for part in raw_query.split("&"):
        name, _, value = part.partition("=")
        out.append((unquote_to_bytes(name).decode("utf-8", "replace"),
                    unquote_to_bytes(value).decode("utf-8", "replace")))
    return out


def canonical_query(raw_query: str, *, exclude: str | None = None) -> str:
    """CanonicalQueryString from the raw query string.

    AWS: URI-encode each name and value, sort by encoded name then by value, join as ``name=value`` with
    ``&``; a parameter without a value gets ``name=``. ``exclude`` drops one parameter by name (presigned
    URLs sign "all the query parameters ... except for X-Amz-Signature").

    Empty components (``a=1&&b=2``) are kept as ``=``, because botocore's ``_canonical_query_string_url``
    keeps them and that is the client whose signature we must reproduce.
    """
    if not raw_query:
        return ""
    pairs: list[tuple[str, str]] = []
    exclude_b = exclude.encode() if exclude is not None else b""
    for part in raw_query.split("&"):
        name, _, value = part.partition("=")
        if exclude is not None and (name == exclude or ("%" in name and unquote_to_bytes(name) == exclude_b)):
            continue
        pairs.append((_encode(name), _encode(value)))
    pairs.sort()  # str ordering == byte ordering here: every character is ASCII after encoding
    return "&".join([f"{n}={v}" for n, v in pairs])


def header_value(values: Sequence[str]) -> str:
    """One canonical header value: each occurrence trimmed with inner whitespace runs collapsed to a single
    space ("Trimall"), repeated occurrences joined with ``,`` in the order received."""
    if len(values) == 1:
        return " ".join(values[0].split())
    return ",".join([" ".join(v.split()) for v in values])


@lru_cache(maxsize=256)
def wanted_headers(signed: tuple[str, ...], *extra: str) -> frozenset[str]:
    """The set of header names to collect; cached because clients repeat the same SignedHeaders."""
    return frozenset(signed).union(extra)


def collect_headers(headers: Iterable[tuple[str, str]], wanted: frozenset[str]) -> dict[str, list[str]]:
    """Values of the ``wanted`` (lower-case) header names, in received order. One pass over the headers.

    An HTTP/2 request has no ``Host`` but an ``:authority`` pseudo-header; it stands in for ``host``.
    """
    found: dict[str, list[str]] = {}
    for name, value in headers:
        lname = name.lower()
        if lname in wanted:
            if lname in found:
                found[lname].append(value)
            else:
                found[lname] = [value]
        elif lname == ":authority" and "host" in wanted:
            found.setdefault(":authority", []).append(value)
    if "host" in wanted and "host" not in found and ":authority" in found:
        found["host"] = found[":authority"]
    return found


def canonical_headers(found: dict[str, list[str]], signed: Sequence[str]) -> str:
    """CanonicalHeaders: ``name:value\\n`` for each signed header, in the order of SignedHeaders.

    SignedHeaders is sorted by the client (the spec requires it); using the client's order rather than
    re-sorting reproduces whatever the client hashed. A signed header missing from the request canonicalises
    as empty, so the signature simply fails to match -- which is AWS's answer too.
    """
    return "".join([f"{name}:{header_value(found.get(name, ('',)))}\n" for name in signed])


def canonical_request(method: str, uri: str, query: str, headers_block: str, signed_headers: str,
                      payload_hash: str) -> str:
    """The canonical request; ``headers_block`` already ends with ``\\n`` (hence the blank line)."""
    return f"{method}\n{uri}\n{query}\n{headers_block}\n{signed_headers}\n{payload_hash}"


def string_to_sign(amz_date: str, scope: str, canonical: str, algorithm: str = "AWS4-HMAC-SHA256") -> str:
    """AWS: ``Algorithm \\n RequestDateTime \\n CredentialScope \\n HexEncode(Hash(CanonicalRequest))``;
    ``AWS4-HMAC-SHA256`` for SigV4, ``AWS4-X509-…`` for IAM Roles Anywhere's certificate-signed requests."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{algorithm}\n{amz_date}\n{scope}\n{digest}"
