"""Signing keys of OpenID Connect providers: discovery, the JWKS fetch, and the per-provider key cache.

The keys are found the way OpenID Connect Discovery 1.0 §4 says (``{issuer}/.well-known/openid-configuration``,
then its ``jwks_uri``), over HTTPS with httpx, trusting the system CA store plus an optional PEM bundle
(``federation_ca_bundle``). IAM's rules for the fetch: "IAM ... retrieves the public keys from the JWKS
endpoint"; keys are cached (IAM User Guide, "Create an OpenID Connect (OIDC) identity provider in IAM",
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).

The cache honours the JWKS response's ``Cache-Control: max-age`` within [``MIN_TTL``, ``MAX_TTL``]. A token
whose ``kid`` is not cached triggers one refresh, at most once per ``refresh_interval`` per provider, so a
flood of tokens with made-up key ids reaches the IdP at most once a minute. While the IdP cannot be reached,
cached keys keep working until they expire; after that the answer is ``IDPCommunicationError``.
"""

from __future__ import annotations

import _ssl
import datetime as dt
import hashlib
import json
import re
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from rolegate.core.clock import Clock
from rolegate.core.errors import ClientError

MIN_TTL = dt.timedelta(minutes=5)
MAX_TTL = dt.timedelta(hours=24)
DEFAULT_TTL = dt.timedelta(hours=1)
REFRESH_INTERVAL = dt.timedelta(minutes=1)
FETCH_TIMEOUT = 5.0  # seconds, connect and read alike
MAX_DOCUMENT_BYTES = 256 * 1024  # a discovery document or key set larger than this is refused unread
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)


class IdpCommunicationError(ClientError):
    """STS API reference, AssumeRoleWithWebIdentity: "The request could not be fulfilled because the identity
    provider (IDP) that was asked to verify the incoming identity token could not be reached." """

    code = "IDPCommunicationError"


MESSAGE_UNREACHABLE = "Couldn't retrieve verification key from your identity provider,  please reference " \
                      "AssumeRoleWithWebIdentity documentation for requirements"


class FetchError(Exception):
    """A discovery or JWKS fetch failed (network, TLS, status, size or format)."""


# (URL, the provider's thumbprints) -> (JSON object, max-age)
Fetch = Callable[[str, Sequence[str]], tuple[Mapping[str, Any], dt.timedelta | None]]


@dataclass(slots=True)
class _Entry:
    keys: KeySet | None = None
    kids: frozenset[str] = frozenset()
    expires_at: dt.datetime | None = None
    last_attempt: dt.datetime | None = None
    last_failed: bool = False


class HttpsFetcher:
    """GETs a JSON document over HTTPS with timeouts and a size cap, trusting the system store plus a bundle."""

    def __init__(self, ca_bundle: str | None = None, *, allow_http: bool = False,
                 timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_DOCUMENT_BYTES) -> None:
        context = ssl.create_default_context()
        if ca_bundle:
            context.load_verify_locations(cafile=ca_bundle)
        self._client = httpx.Client(verify=context, timeout=timeout, follow_redirects=False, trust_env=False)
        # For providers whose chain no trusted root signs: the chain is checked against the provider's
        # thumbprints on the connection itself (``_top_thumbprint``), not by the handshake.
        pinned = ssl.create_default_context()
        pinned.check_hostname = False
        pinned.verify_mode = ssl.CERT_NONE
        self._pinned = httpx.Client(verify=pinned, timeout=timeout, follow_redirects=False, trust_env=False)
        self._allow_http = allow_http
        self._max = max_bytes

    def __call__(self, url: str, thumbprints: Sequence[str] = ()) -> tuple[Mapping[str, Any], dt.timedelta | None]:
        if not url.startswith("https://") and not (self._allow_http and url.startswith("http://")):
            raise FetchError(f"not an https URL: {url}")
        try:
            return self._get(self._client, url, None)
        except _Untrusted:
            if not thumbprints:
                raise FetchError(f"{url}: the server's certificate chain is not trusted") from None
        # "If the IdP's server certificate is not signed by a trusted root CA, IAM ... uses the thumbprint":
        # the SHA-1 of the top certificate the server presents must be in the provider's ThumbprintList
        # (IAM User Guide, "Obtain the thumbprint for an OpenID Connect identity provider",
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html).
        # Checked on the very connection the document is then read from.
        return self._get(self._pinned, url, frozenset(t.lower() for t in thumbprints))

    def _get(self, client: httpx.Client, url: str,
             thumbprints: frozenset[str] | None) -> tuple[Mapping[str, Any], dt.timedelta | None]:
        try:
            with client.stream("GET", url, headers={"accept": "application/json"}) as response:
                if thumbprints is not None and _top_thumbprint(response) not in thumbprints:
                    raise FetchError(f"{url}: the server's certificate matches no thumbprint of the provider")
                if response.status_code != 200:
                    raise FetchError(f"{url}: HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self._max:
                        raise FetchError(f"{url}: larger than {self._max} bytes")
                cache_control = response.headers.get("cache-control", "")
        except httpx.ConnectError as exc:
            if _is_verification_failure(exc):
                raise _Untrusted() from None
            raise FetchError(f"{url}: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {type(exc).__name__}") from None
        try:
            document = json.loads(bytes(body))
        except ValueError:
            raise FetchError(f"{url}: not JSON") from None
        if not isinstance(document, dict):
            raise FetchError(f"{url}: not a JSON object")
        match = _MAX_AGE.search(cache_control)
        return document, dt.timedelta(seconds=int(match.group(1))) if match else None


class _Untrusted(Exception):
    """The TLS handshake failed certificate verification (and only that)."""


def _is_verification_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _top_thumbprint(response: httpx.Response) -> str:
    """SHA-1 (hex, lower case) of the last certificate of the chain the server presented."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    # ``get_unverified_chain`` is public from Python 3.13; the socket object has it from 3.10.
    chain = ssl_object.get_unverified_chain() if ssl_object is not None else None
    if not chain:
        raise FetchError("no certificate chain was presented")
    return hashlib.sha1(chain[-1].public_bytes(_ssl.ENCODING_DER)).hexdigest()  # noqa: S324 - IAM's thumbprint


class KeyCache:
    """Each provider's signing keys, by issuer URL (``https://host/path``)."""

    def __init__(self, clock: Clock, fetch: Fetch, *, refresh_interval: dt.timedelta = REFRESH_INTERVAL) -> None:
        self._clock = clock
        self._fetch = fetch
        self._interval = refresh_interval
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def keys(self, issuer: str, kid: str | None, thumbprints: Sequence[str] = ()) -> KeySet:
        """The provider's key set, refreshed when ``kid`` is not in it (rate-limited) or it has expired.

        Raises ``IdpCommunicationError`` when no unexpired keys are known and the IdP cannot be reached now.
        A key set that does not hold ``kid`` may be returned: the caller's verification then fails."""
        entry = self._entry(issuer)
        now = self._clock.now()
        if self._fresh(entry, now) and (kid is None or kid in entry.kids):
            assert entry.keys is not None
            return entry.keys
        with self._lock(issuer):
            now = self._clock.now()
            if self._fresh(entry, now) and (kid is None or kid in entry.kids):
                assert entry.keys is not None
                return entry.keys
            if entry.last_attempt is None or now - entry.last_attempt >= self._interval:
                self._refresh(issuer, entry, now, thumbprints)
            # After a failed refresh a missing kid cannot be told from a new key: the IdP is unreachable.
            if self._fresh(entry, now) and (not entry.last_failed or kid is None or kid in entry.kids):
                assert entry.keys is not None
                return entry.keys
            raise IdpCommunicationError(MESSAGE_UNREACHABLE)

    def would_fetch(self, issuer: str, kid: str | None) -> bool:
        """Whether ``keys(issuer, kid)`` would go to the IdP now: nothing fresh holds ``kid`` and a refresh is
        due. False means the answer (keys, or refusal) is known from memory, in microseconds, so the call may
        run on the event loop (``rolegate.wire.endpoint``); a token with an unknown ``kid`` inside the refresh
        interval is refused from memory as well."""
        entry = self._entries.get(issuer)  # read without the guard: a dict read is atomic, a miss means "fetch"
        if entry is None:
            return True
        now = self._clock.now()
        if self._fresh(entry, now) and (kid is None or kid in entry.kids):
            return False
        return entry.last_attempt is None or now - entry.last_attempt >= self._interval

    def fetches(self) -> int:
        """How many refreshes were attempted (for the refresh-storm bench and tests)."""
        return sum(1 for e in self._entries.values() if e.last_attempt is not None)

    def _refresh(self, issuer: str, entry: _Entry, now: dt.datetime, thumbprints: Sequence[str]) -> None:
        entry.last_attempt = now
        try:
            discovery, _ = self._fetch(issuer.rstrip("/") + "/.well-known/openid-configuration", thumbprints)
            jwks_uri = discovery.get("jwks_uri")
            if not isinstance(jwks_uri, str):
                raise FetchError("discovery document without jwks_uri")
            document, max_age = self._fetch(jwks_uri, thumbprints)
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (FetchError, JoseError, ValueError, TypeError, KeyError):
            entry.last_failed = True
            return
        ttl = min(max(max_age if max_age is not None else DEFAULT_TTL, MIN_TTL), MAX_TTL)
        entry.keys = keys
        entry.kids = frozenset(str(k.kid) for k in keys.keys if k.kid is not None)
        entry.expires_at = now + ttl
        entry.last_failed = False

    @staticmethod
    def _fresh(entry: _Entry, now: dt.datetime) -> bool:
        return entry.keys is not None and entry.expires_at is not None and now < entry.expires_at

    def _entry(self, issuer: str) -> _Entry:
        with self._guard:
            return self._entries.setdefault(issuer, _Entry())

    def _lock(self, issuer: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(issuer, threading.Lock())
