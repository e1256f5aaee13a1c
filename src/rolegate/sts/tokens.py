"""The session token codec: session claims sealed into a versioned, authenticated-encrypted blob, and the
secret access key derived from the access key id, so that no node needs the store to verify a session.

Token (base64 of) ``version (1 byte) | key id (4 bytes) | nonce (12 bytes) | AES-256-GCM ciphertext``. The
version byte and key id are the associated data, so neither can be swapped. The plaintext is the claims as
compact JSON (short keys, empty members left out), deflated when that is shorter (first byte ``z``/``j``).

Secrets: ``HMAC-SHA256(ring key's secret-derivation key, access key id)`` in the 40-character alphabet of
AWS secrets. The ``ASIA…`` access key id encodes the account (``rolegate.core.ids``), which is all
``GetAccessKeyInfo`` needs. Design: docs/design/DESIGN.md, "Credentials"; STS API reference, ``Credentials``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import os
import zlib
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rolegate.core.clock import Clock
from rolegate.core.errors import ExpiredToken, InvalidClientTokenId
from rolegate.core.redaction import remember

# The claims live with the principal they describe; the codec seals and opens them.
from rolegate.authz.claims import ACCOUNT as ACCOUNT
from rolegate.authz.claims import ASSUMED_ROLE as ASSUMED_ROLE
from rolegate.authz.claims import FEDERATED_USER as FEDERATED_USER
from rolegate.authz.claims import INSTANCE as INSTANCE
from rolegate.authz.claims import USER as USER
from rolegate.authz.claims import SessionClaims as SessionClaims

VERSION = 1
KEY_ID_BYTES = 4
_NONCE = 12
_HEADER = 1 + KEY_ID_BYTES
_KIND_CODES = {ASSUMED_ROLE: "R", FEDERATED_USER: "F", USER: "U", ACCOUNT: "A", INSTANCE: "I"}
_KINDS = {v: k for k, v in _KIND_CODES.items()}

# STS's words (STS API reference, "Common Errors"; observed responses).
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"

_SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@dataclass(frozen=True, slots=True)
class RingKey:
    """One key of the session key ring: a 4-byte id and 32 bytes of material."""

    key_id: bytes
    material: bytes

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    def derived(self, purpose: bytes) -> bytes:
        # One root secret per ring key, separate sub-keys per use (encryption, secret derivation).
        return hmac.new(self.material, b"rolegate/" + purpose, hashlib.sha256).digest()


class KeySource(Protocol):
    """Where the codec finds keys: the primary for new tokens, any live key by id for verifying."""

    def primary(self) -> RingKey: ...
    def find(self, key_id: bytes) -> RingKey | None: ...


@dataclass(frozen=True, slots=True)
class SealedSession:
    claims: SessionClaims
    secret_access_key: str
    session_token: str


class SessionCodec:
    """Seals claims into tokens and opens them again; derives the session's secret access key."""

    def __init__(self, keys: KeySource, clock: Clock) -> None:
        self._keys = keys
        self._clock = clock
        self._aeads: dict[bytes, tuple[AESGCM, bytes]] = {}  # key id -> (cipher, secret key); keys never change

    def seal(self, claims: SessionClaims) -> SealedSession:
        key = self._keys.primary()
        aead, secret_key = self._cipher(key)
        plain = _encode_claims(claims)
        nonce = os.urandom(_NONCE)
        header = bytes([VERSION]) + key.key_id
        blob = header + nonce + aead.encrypt(nonce, plain, header)
        sealed = SealedSession(claims, _secret(secret_key, claims.access_key_id),
                               base64.b64encode(blob).decode("ascii"))
        remember(sealed.secret_access_key)  # never in a log line (rolegate.core.redaction)
        remember(sealed.session_token)
        return sealed

    def open(self, token: str, access_key_id: str) -> tuple[SessionClaims, str]:
        """The claims and secret access key of ``token``, which must belong to ``access_key_id``.

        Raises ``InvalidClientTokenId`` for anything that is not a genuine, intact token of this service
        for this key id, and ``ExpiredToken`` for a genuine one past its expiry.
        """
        try:
            blob = base64.b64decode(token, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidClientTokenId(INVALID_TOKEN) from None
        if len(blob) < _HEADER + _NONCE + 16 or blob[0] != VERSION:
            raise InvalidClientTokenId(INVALID_TOKEN)
        key = self._keys.find(blob[1:_HEADER])
        if key is None:
            raise InvalidClientTokenId(INVALID_TOKEN)
        aead, secret_key = self._cipher(key)
        try:
            plain = aead.decrypt(blob[_HEADER:_HEADER + _NONCE], blob[_HEADER + _NONCE:], blob[:_HEADER])
            claims = _decode_claims(plain)
        except (InvalidTag, ValueError, KeyError, TypeError, zlib.error):
            raise InvalidClientTokenId(INVALID_TOKEN) from None
        if claims.access_key_id != access_key_id:
            raise InvalidClientTokenId(INVALID_TOKEN)
        if self._clock.now() >= claims.expires_at:
            raise ExpiredToken(EXPIRED_TOKEN)
        return claims, _secret(secret_key, access_key_id)

    def _cipher(self, key: RingKey) -> tuple[AESGCM, bytes]:
        found = self._aeads.get(key.key_id)
        if found is None:
            if len(self._aeads) >= 64:  # a ring holds a handful of keys; bound it all the same
                self._aeads.clear()
            found = (AESGCM(key.derived(b"session-token")), key.derived(b"session-secret"))
            self._aeads[key.key_id] = found
        return found


def _secret(secret_key: bytes, access_key_id: str) -> str:
    digest = hmac.new(secret_key, access_key_id.encode("ascii"), hashlib.sha512).digest()
    return "".join(_SECRET_ALPHABET[b & 63] for b in digest[:40])


# --- claims <-> compact JSON ----------------------------------------------------------------------


def _ts(when: dt.datetime) -> int:
    return int(when.timestamp())


def _dt(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(seconds), dt.timezone.utc)


def _encode_claims(c: SessionClaims) -> bytes:
    d: dict[str, Any] = {"k": _KIND_CODES[c.kind], "a": c.account_id, "i": c.access_key_id,
                         "t": _ts(c.issued_at), "x": _ts(c.expires_at), "p": c.principal_id,
                         "n": c.principal_arn, "m": c.principal_name}
    if c.session_name:
        d["s"] = c.session_name
    if c.policy is not None:
        d["P"] = c.policy
    if c.policy_arns:
        d["A"] = list(c.policy_arns)
    if c.tags:
        d["T"] = [list(t) for t in c.tags]
    if c.transitive_tag_keys:
        d["K"] = list(c.transitive_tag_keys)
    if c.source_identity is not None:
        d["S"] = c.source_identity
    if c.mfa_authenticated_at is not None:
        d["M"] = _ts(c.mfa_authenticated_at)
    if c.chained:
        d["c"] = 1
    if c.federated_provider is not None:
        d["f"] = c.federated_provider
    if c.generation:
        d["g"] = c.generation
    if c.source_instance_arn is not None:
        d["e"] = c.source_instance_arn
    raw = json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    packed = zlib.compress(raw, 9)
    return b"z" + packed if len(packed) < len(raw) else b"j" + raw


def _decode_claims(plain: bytes) -> SessionClaims:
    if plain[:1] == b"z":
        raw = zlib.decompress(plain[1:])
    elif plain[:1] == b"j":
        raw = plain[1:]
    else:
        raise ValueError("unknown claims encoding")
    d = json.loads(raw)
    return SessionClaims(
        kind=_KINDS[d["k"]], account_id=d["a"], access_key_id=d["i"], issued_at=_dt(d["t"]),
        expires_at=_dt(d["x"]), principal_id=d["p"], principal_arn=d["n"], principal_name=d["m"],
        session_name=d.get("s", ""), policy=d.get("P"), policy_arns=tuple(d.get("A", ())),
        tags=tuple((str(k), str(v)) for k, v in d.get("T", ())), transitive_tag_keys=tuple(d.get("K", ())),
        source_identity=d.get("S"), mfa_authenticated_at=_dt(d["M"]) if "M" in d else None,
        chained=bool(d.get("c")), federated_provider=d.get("f"), generation=int(d.get("g", 0)),
        source_instance_arn=d.get("e"))
