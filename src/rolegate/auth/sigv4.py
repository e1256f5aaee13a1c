"""SigV4 request authentication: parse what a request claims, then verify it against a secret key.

Owns the ``AWS4-HMAC-SHA256`` scheme in both of its forms -- the ``Authorization`` header and the presigned
query string (``X-Amz-Algorithm``, ``X-Amz-Credential``, ...) -- in three steps the caller strings together:

1. ``parse_sigv4(req)`` reads the claim (access key id, scope, signed headers, date, session token) with no
   secret and no clock. A malformed claim raises ``IncompleteSignature``; an unsigned request gives ``None``.
2. The caller looks up the secret for ``cred.access_key_id`` (store, or session-token codec).
3. ``SigV4Verifier.verify(req, cred, secret)`` checks the scope date, the clock window and, in constant
   time, the signature. Failure raises ``SignatureDoesNotMatch``.

Rules follow the AWS General Reference / IAM User Guide ("Signing AWS API requests", "Create a signed AWS
API request", "Elements of an AWS API request signature", "Authenticating requests: using query
parameters"), checked against botocore's ``SigV4Auth``/``SigV4QueryAuth``, which are the test oracle.
The canonical request itself is built in ``rolegate.auth.canonical``. No HTTP framework is imported: the
wire layer hands over an ``HttpRequest`` of plain strings and bytes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import NamedTuple

from rolegate.core import telemetry
from rolegate.core.clock import Clock
from rolegate.core.errors import IncompleteSignature, SignatureDoesNotMatch

from . import canonical as _c

__all__ = [
    "ALGORITHM",
    "MAX_PRESIGNED_EXPIRES",
    "MISSING_AUTHENTICATION_TOKEN",
    "SIGNATURE_DOES_NOT_MATCH",
    "HttpRequest",
    "SigV4Credential",
    "SigV4Verifier",
    "derive_signing_key",
    "parse_sigv4",
    "require_service",
]

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
# "The minimum value you can set is 1, and the maximum is 604800 (seven days)" (SigV4 query-string auth).
MAX_PRESIGNED_EXPIRES = 604800

# Messages as AWS words them for the IAM/STS query APIs (quoted in user reports of real responses).
MISSING_AUTHENTICATION_TOKEN = "Request is missing Authentication Token"
SIGNATURE_DOES_NOT_MATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
_HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
_DATE_REQUIRED = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."

_PRESIGN_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
_PRESIGN_MARKERS = frozenset(("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"))
_SINGLE_VALUED = frozenset(("authorization", "x-amz-date", "date", "x-amz-security-token"))
_UTC = _dt.timezone.utc


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request as received, in plain data. The wire layer decodes path, query and header bytes as
    latin-1, so every byte the client sent survives and nothing is normalised before we canonicalise."""

    method: str
    raw_path: str  # as sent, percent-encoded, without the query
    raw_query: str  # as sent, without the leading "?"; may be empty
    headers: Sequence[tuple[str, str]]  # as received: names in any case, repeats kept, in order
    body: bytes
    client_ip: str | None = None  # the peer's address (aws:SourceIp); not part of what is signed


class SigV4Credential(NamedTuple):
    """What a signed request claims. Nothing here is verified until ``SigV4Verifier.verify`` passes.

    Immutable like a frozen dataclass, but a NamedTuple: it is built on every request, and a frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field) alone cost ~3 µs of a ~15 µs budget.
    """

    access_key_id: str
    date: str  # YYYYMMDD from the credential scope
    region: str  # any region is accepted: clients using endpoint_url sign IAM with their own region
    service: str  # from the scope, for the caller to check (see ``require_service``)
    signed_headers: tuple[str, ...]  # lower-case, in the client's order
    signature: str
    amz_date: _dt.datetime  # X-Amz-Date (or Date header), timezone-aware UTC
    security_token: str | None  # X-Amz-Security-Token, header or query
    presigned: bool
    expires: int | None  # X-Amz-Expires, presigned only
    timestamp: str = ""  # the date as it enters the string to sign (YYYYMMDD'T'HHMMSS'Z'); "" = from amz_date

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"

    @property
    def request_timestamp(self) -> str:
        return self.timestamp or _stamp(self.amz_date)


# --- parsing ----------------------------------------------------------------------------------------


def parse_sigv4(req: HttpRequest, *, form: Mapping[str, str] | None = None) -> SigV4Credential | None:
    """The SigV4 claim of ``req``, or None when it carries no authentication at all.

    ``form`` is the decoded request parameters (query and form body), if the caller has them. It is only
    used to refuse ``X-Amz-*`` authentication parameters sent in a POST body: AWS documents the header and
    the query string as the places for SigV4, and no SDK signs a body-borne signature, so such a request is
    told so (``IncompleteSignature``) instead of being treated as unsigned.
    """
    auth: list[str] = []
    amz_dates: list[str] = []
    dates: list[str] = []
    tokens: list[str] = []
    for name, value in req.headers:
        lname = name.lower()
        if lname in _SINGLE_VALUED:
            if lname == "authorization":
                auth.append(value)
            elif lname == "x-amz-date":
                amz_dates.append(value)
            elif lname == "date":
                dates.append(value)
            else:
                tokens.append(value)
    presign = _presign_params(req.raw_query) if "X-Amz-" in req.raw_query else {}
    is_presigned = not _PRESIGN_MARKERS.isdisjoint(presign)
    if auth:
        if is_presigned:
            # Two claims could disagree; AWS accepts exactly one mechanism per request.
            raise IncompleteSignature("Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                                      "parameter or the Authorization header should be specified.")
        if len(auth) > 1:
            raise IncompleteSignature("Only one Authorization header is allowed.")
        return _parse_header(auth[0], amz_dates, dates, tokens)
    if is_presigned:
        return _parse_query(presign)
    if form is not None and not _PRESIGN_MARKERS.isdisjoint(form):
        raise IncompleteSignature("Authentication parameters are accepted only in the Authorization header "
                                  "or the query string, not in the request body.")
    return None


def _presign_params(raw_query: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in _c.query_pairs(raw_query):
        if name.startswith("X-Amz-"):
            out.setdefault(name, []).append(value)
    return out


_Claim = tuple[str, str, str, str, tuple[str, ...]]  # access key id, date, region, service, signed headers


def _parse_header(header: str, amz_dates: list[str], dates: list[str], tokens: list[str]) -> SigV4Credential:
    dated = bool(amz_dates or dates)
    # Fast path: every SDK writes "<alg> Credential=..., SignedHeaders=..., Signature=<hex>", and a client
    # repeats the part before the signature on every request of the day, so that part's parse is cached.
    head, sep, signature = header.rpartition(", Signature=")
    claim = _cached_head(head) if sep and signature.isalnum() and len(head) <= 512 else None
    if claim is None:
        claim, signature = _parse_header_slow(header, dated)
    elif not dated:
        raise IncompleteSignature(f"{_DATE_REQUIRED} Authorization={header[:1024]}")
    akid, date, region, service, signed = claim
    if amz_dates:
        # X-Amz-Date wins over Date when both are present (SigV4: "the x-amz-date header, or date header").
        timestamp = _one(amz_dates, "X-Amz-Date")
        when = parse_amz_date(timestamp)
    else:
        when = _parse_http_date(_one(dates, "Date"))
        timestamp = _stamp(when)
    token = _one(tokens, "X-Amz-Security-Token").strip() if tokens else None
    return SigV4Credential(akid, date, region, service, signed, signature, when, token or None, False, None,
                           timestamp)


@lru_cache(maxsize=1024)
def _cached_head(head: str) -> _Claim | None:
    """Credential and SignedHeaders of a well-formed header prefix; None sends it to the slow path, which
    produces the precise error. Bounded (1024 entries of at most 512 characters), so junk only evicts junk."""
    scheme, _, rest = head.partition(" ")
    cred_part, sep, signed_part = rest.partition(", ")
    if scheme != ALGORITHM or not sep or not cred_part.startswith("Credential=") \
            or not signed_part.startswith("SignedHeaders=") or "," in cred_part or "," in signed_part \
            or " " in cred_part or " " in signed_part:
        return None  # anything unusual goes the slow way, so both paths accept exactly the same headers
    try:
        return (*_parse_scope(cred_part[11:]), _parse_signed_headers(signed_part[14:]))
    except IncompleteSignature:
        return None


def _parse_header_slow(header: str, dated: bool) -> tuple[_Claim, str]:
    scheme, _, rest = header.strip().partition(" ")
    if scheme != ALGORITHM:
        if scheme.startswith("AWS4-"):
            raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{scheme[:64]}'. "
                                      f"Only '{ALGORITHM}' is supported.")
        # AWS echoes the whole header back here; we echo only the scheme so that a Basic or Bearer credential
        # sent to the wrong place does not end up in error messages and logs.
        raise IncompleteSignature(_requires(("Credential", "Signature", "SignedHeaders"), not dated)
                                  + f" Authorization={scheme[:64]}")
    params: dict[str, str] = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise IncompleteSignature(f"'{item[:256]}' not a valid key=value pair (missing equal-sign) in "
                                      f"Authorization header: '{header[:1024]}'.")
        params[key.strip()] = value.strip()
    missing = [p for p in ("Credential", "Signature", "SignedHeaders") if not params.get(p)]
    if missing or not dated:
        raise IncompleteSignature(_requires(missing, not dated) + f" Authorization={header[:1024]}")
    claim = (*_parse_scope(params["Credential"]), _parse_signed_headers(params["SignedHeaders"]))
    return claim, params["Signature"]


def _parse_query(params: dict[str, list[str]]) -> SigV4Credential:
    missing = [p for p in _PRESIGN_PARAMS if not params.get(p)]
    if missing:
        raise IncompleteSignature(" ".join(f"AWS query-string parameters must include '{p}'." for p in missing)
                                  + " Re-examine the query-string parameters.")
    for name, values in params.items():
        if len(values) > 1:
            raise IncompleteSignature(f"The query-string parameter '{name}' must appear only once.")
    single = {name: values[0] for name, values in params.items()}
    if single["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignature(f'X-Amz-Algorithm only supports "{ALGORITHM}".')
    akid, date, region, service = _parse_scope(single["X-Amz-Credential"])
    signed = _parse_signed_headers(single["X-Amz-SignedHeaders"])
    timestamp = single["X-Amz-Date"]
    when = parse_amz_date(timestamp)
    expires: int | None = None
    if "X-Amz-Expires" in single:
        raw = single["X-Amz-Expires"]
        if not raw.isascii() or not raw.removeprefix("-").isdigit():
            raise IncompleteSignature("X-Amz-Expires should be a number.")
        expires = int(raw)
        if expires < 0:
            raise IncompleteSignature("X-Amz-Expires must be non-negative.")
        if expires > MAX_PRESIGNED_EXPIRES:
            raise IncompleteSignature(
                f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGNED_EXPIRES}.")
    token = single.get("X-Amz-Security-Token") or None
    return SigV4Credential(akid, date, region, service, signed, single["X-Amz-Signature"], when, token, True,
                           expires, timestamp)


def _requires(missing: Sequence[str], date_missing: bool) -> str:
    parts = [f"Authorization header requires '{p}' parameter." for p in missing]
    if date_missing:
        parts.append(_DATE_REQUIRED)
    return " ".join(parts)


def _one(values: list[str], name: str) -> str:
    if len(values) > 1:
        raise IncompleteSignature(f"Only one '{name}' header is allowed.")
    return values[0]


def _parse_scope(credential: str) -> tuple[str, str, str, str]:
    # Credential = <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request
    parts = credential.split("/")
    if len(parts) != 5 or not parts[0] or not parts[1]:
        raise IncompleteSignature("Credential must have exactly 5 slash-delimited elements, e.g. "
                                  f"keyid/date/region/service/term, got '{credential[:256]}'")
    akid, date, region, service, term = parts
    if term != TERMINATOR:
        raise IncompleteSignature(f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
                                  f"not '{term[:64]}'.")
    if not region:
        raise IncompleteSignature("Credential should be scoped to a valid region, not ''. ")
    if not service:
        raise IncompleteSignature("Credential should be scoped to correct service: ''. ")
    return akid, date, region, service


def _parse_signed_headers(value: str) -> tuple[str, ...]:
    names = tuple(value.lower().split(";"))
    # The host header must be signed (SigV4 "Create a canonical request": "The host header must be
    # included as a signed header"); otherwise a captured request replays against any other host.
    if "host" not in names:
        raise IncompleteSignature(_HOST_NOT_SIGNED)
    return names


def _bad_date(value: str) -> IncompleteSignature:
    return IncompleteSignature(f"Date must be in ISO-8601 'basic format'. Got '{value[:64]}'. "
                               "See http://en.wikipedia.org/wiki/ISO_8601")


@lru_cache(maxsize=256)
def parse_amz_date(value: str) -> _dt.datetime:
    """An ``X-Amz-Date`` (``IncompleteSignature`` when it is not one); shared with ``auth.x509``."""
    # YYYYMMDD'T'HHMMSS'Z', parsed by hand (strptime costs more than the rest of verification together) and
    # cached: concurrent requests share a handful of timestamps per second. Bounded, so junk can't grow it.
    if len(value) != 16 or value[8] != "T" or value[15] != "Z" or not value.isascii():
        raise _bad_date(value)
    digits = value[:8] + value[9:15]
    if not digits.isdigit():
        raise _bad_date(value)
    try:
        return _dt.datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[9:11]),
                            int(value[11:13]), int(value[13:15]), tzinfo=_UTC)
    except ValueError:
        raise _bad_date(value) from None


def _parse_http_date(value: str) -> _dt.datetime:
    # The Date header is an RFC 7231 IMF-fixdate; botocore writes it with email.utils.formatdate.
    try:
        when = parsedate_to_datetime(value)
    except Exception:  # the stdlib parser raises several types on junk; all of it is the client's fault
        raise _bad_date(value) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_UTC)
    return when.astimezone(_UTC)


def require_service(cred: SigV4Credential, allowed: Collection[str]) -> None:
    """Refuse a credential scoped to another service, with AWS's message. Not done by ``verify``: one
    endpoint serves several services (IAM and STS share ``POST /``), so only the router knows which."""
    if cred.service not in allowed:
        want = sorted(allowed)[0] if allowed else ""
        raise IncompleteSignature(f"Credential should be scoped to correct service: '{want}'. ")


# --- verification -----------------------------------------------------------------------------------


def derive_signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")."""
    k = hmac.digest(("AWS4" + secret_access_key).encode("utf-8"), date.encode("utf-8"), "sha256")
    k = hmac.digest(k, region.encode("utf-8"), "sha256")
    k = hmac.digest(k, service.encode("utf-8"), "sha256")
    return hmac.digest(k, b"aws4_request", "sha256")


_IPAD = bytes(b ^ 0x36 for b in range(256))  # XOR tables, as the stdlib hmac module builds them
_OPAD = bytes(b ^ 0x5C for b in range(256))


class _Signer:
    """A derived signing key, pre-absorbed into HMAC-SHA256's inner and outer hash states (RFC 2104).

    ``HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m))``: the two key blocks are hashed once per key, and each
    signature only copies the states. That is the same arithmetic as ``hmac.digest`` at less than half the
    cost, because OpenSSL's HMAC re-does the key setup on every call.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0")  # a 32-byte SHA-256 output is shorter than the 64-byte block
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def hexdigest(self, msg: bytes) -> str:
        inner = self._inner.copy()
        inner.update(msg)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


class _SigningKeyCache:
    """LRU of derived signing keys. A signing key is valid for one (secret, day, region, service), so a busy
    caller derives it once a day instead of four HMACs per request.

    Entries are keyed by a keyed BLAKE2b MAC of the secret under a per-process random key, never the secret
    itself: the cache cannot be searched for known secrets, and a rotated or revoked secret simply stops
    matching, with no invalidation to get wrong.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._salt = os.urandom(32)
        self._keys: OrderedDict[tuple[bytes, str, str, str], _Signer] = OrderedDict()
        self._lock = threading.Lock()  # handlers run in a thread pool

    def get(self, secret: str, date: str, region: str, service: str) -> _Signer:
        if self._size <= 0:
            return _Signer(derive_signing_key(secret, date, region, service))
        fp = hashlib.blake2b(secret.encode("utf-8"), key=self._salt, digest_size=32).digest()
        ck = (fp, date, region, service)
        with self._lock:
            signer = self._keys.get(ck)
            if signer is not None:
                self._keys.move_to_end(ck)
        telemetry.cache_lookup(telemetry.SIGNING_KEYS, signer is not None)
        if signer is not None:
            return signer
        signer = _Signer(derive_signing_key(secret, date, region, service))
        with self._lock:
            self._keys[ck] = signer
            if len(self._keys) > self._size:
                self._keys.popitem(last=False)
        return signer

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


def _stamp(when: _dt.datetime) -> str:
    return when.astimezone(_UTC).strftime("%Y%m%dT%H%M%SZ")


def _window_label(seconds: int) -> str:
    return f"{seconds // 60} min." if seconds % 60 == 0 else f"{seconds} sec."


class SigV4Verifier:
    """Checks a parsed SigV4 claim against the request and a secret.

    ``max_skew_seconds``: how far X-Amz-Date may be from now either way (AWS STS/IAM: 15 minutes).
    ``presigned_max_age_seconds``: the longest a presigned request stays valid after X-Amz-Date. STS and
    IAM ignore X-Amz-Expires and apply the 15-minute window (only S3 honours expiries up to 7 days), so the
    default, None, means "the same as max_skew_seconds". A shorter X-Amz-Expires is always honoured.
    ``allow_unsigned_payload``: accept a signed ``x-amz-content-sha256: UNSIGNED-PAYLOAD`` (S3 style). Off:
    for the IAM/STS query APIs the body *is* the operation, so it must be covered by the signature.
    """

    def __init__(self, clock: Clock, max_skew_seconds: int = 900, key_cache_size: int = 4096, *,
                 presigned_max_age_seconds: int | None = None, allow_unsigned_payload: bool = False) -> None:
        if max_skew_seconds < 0:
            raise ValueError("max_skew_seconds must be >= 0")
        self._clock = clock
        self._skew = max_skew_seconds
        self._presign_max = max_skew_seconds if presigned_max_age_seconds is None else presigned_max_age_seconds
        self._allow_unsigned = allow_unsigned_payload
        self._keys = _SigningKeyCache(key_cache_size)

    def verify(self, req: HttpRequest, cred: SigV4Credential, secret_access_key: str) -> None:
        """Return if ``req`` is signed by ``secret_access_key`` as ``cred`` claims, at an acceptable time.

        Raises ``SignatureDoesNotMatch`` (403) for a wrong signature, a scope date that is not the request's
        date, or a request outside the time window (STS/IAM answer clock skew with this code and the
        "Signature expired: ..." message, not ``RequestExpired``).
        """
        ts = cred.timestamp or _stamp(cred.amz_date)
        if cred.date != ts[:8]:
            raise SignatureDoesNotMatch(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{cred.date[:16]}' != '{ts[:8]}', from '{ts}'.")
        self._check_time(cred, ts)
        expected = self.expected_signature(req, cred, secret_access_key)
        # Constant time, on bytes: compare_digest refuses non-ASCII str, and a client controls the signature.
        if not hmac.compare_digest(expected.encode("ascii"), cred.signature.encode("utf-8", "replace")):
            raise SignatureDoesNotMatch(SIGNATURE_DOES_NOT_MATCH)

    def expected_signature(self, req: HttpRequest, cred: SigV4Credential, secret_access_key: str) -> str:
        """Hex signature the request should carry for ``cred``'s scope and ``secret_access_key``."""
        sts = _c.string_to_sign(cred.timestamp or _stamp(cred.amz_date), cred.scope,
                                self.canonical_request(req, cred))
        return self._keys.get(secret_access_key, cred.date, cred.region, cred.service).hexdigest(sts.encode())

    def canonical_request(self, req: HttpRequest, cred: SigV4Credential) -> str:
        """The canonical request as the server sees it (log it at debug level when a signature fails)."""
        signed = cred.signed_headers
        found = _c.collect_headers(req.headers, _c.wanted_headers(signed, "x-amz-content-sha256"))
        query = _c.canonical_query(req.raw_query, exclude="X-Amz-Signature" if cred.presigned else None)
        return _c.canonical_request(req.method.upper(), _c.canonical_uri(req.raw_path), query,
                                    _c.canonical_headers(found, signed), ";".join(signed),
                                    self._payload_hash(req, found, signed))

    def _payload_hash(self, req: HttpRequest, found: dict[str, list[str]], signed: tuple[str, ...]) -> str:
        body_hash = hashlib.sha256(req.body).hexdigest() if req.body else _c.EMPTY_SHA256
        claimed = found.get("x-amz-content-sha256")
        if claimed is None or "x-amz-content-sha256" not in signed:
            # An unsigned x-amz-content-sha256 is attacker-controlled: ignore it and hash the body.
            return body_hash
        value = claimed[0].strip()
        # botocore hashes the header's value verbatim when present (SigV4Auth.canonical_request). A hex
        # value must also be the body's real hash, or the body was swapped under a valid signature.
        if len(claimed) == 1 and value.lower() == body_hash:
            return value
        if len(claimed) == 1 and value == _c.UNSIGNED_PAYLOAD and self._allow_unsigned:
            return value
        raise SignatureDoesNotMatch(SIGNATURE_DOES_NOT_MATCH)

    def _check_time(self, cred: SigV4Credential, ts: str) -> None:
        now = self._clock.now()
        age = (now - cred.amz_date).total_seconds()
        if age < -self._skew:
            raise SignatureDoesNotMatch(
                f"Signature not yet current: {ts} is still later than "
                f"{_stamp(now + _dt.timedelta(seconds=self._skew))} ({_stamp(now)} + {_window_label(self._skew)})")
        window = self._skew
        if cred.presigned:
            window = self._presign_max if cred.expires is None else min(cred.expires, self._presign_max)
        if age > window:
            raise SignatureDoesNotMatch(
                f"Signature expired: {ts} is now earlier than "
                f"{_stamp(now - _dt.timedelta(seconds=window))} ({_stamp(now)} - {_window_label(window)})")

    def clear_cache(self) -> None:
        """Drop every cached signing key (e.g. after a bulk key revocation, to release memory at once)."""
        self._keys.clear()
