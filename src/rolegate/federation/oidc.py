"""Verifying an OpenID Connect web identity token, as AssumeRoleWithWebIdentity does.

Each check, in order, with the rule it follows, is listed in docs/spec/federation.md ("Web identity (OIDC)"):
compact JWS only (RFC 7515 §7.1); an asymmetric ``alg`` (RS*, PS*, ES*) whose key type fits, so ``none`` and
HMAC are refused and no public key can be used as an HMAC secret (RFC 8725 §2.1, §3.1); the signature under a
key the provider publishes; ``iss`` equal to the provider URL; the audience (``azp`` when present, else
``aud``) in the provider's ClientIDList; ``exp`` required and in the future; ``nbf``/``iat`` not in the future
beyond the clock skew (STS API reference, AssumeRoleWithWebIdentity,
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html; IAM User Guide,
"Create an OpenID Connect (OIDC) identity provider in IAM",
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from rolegate.core.errors import ExpiredTokenException, IdpRejectedClaim, InvalidIdentityToken

from .jwks import KeyCache

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
CLOCK_SKEW = dt.timedelta(minutes=5)
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"


NO_KEY = "Couldn't retrieve verification key from your identity provider,  please reference " \
         "AssumeRoleWithWebIdentity documentation for requirements"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    issuer: str  # the iss claim, e.g. https://host/path
    subject: str
    audience: str  # the audience that matched ClientIDList (azp when present)
    audiences: tuple[str, ...]  # every aud value
    claims: Mapping[str, Any]

    @property
    def amr(self) -> tuple[str, ...]:
        value = self.claims.get("amr")
        if isinstance(value, str):
            return (value,)
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def unverified_issuer(token: str) -> str:
    """The ``iss`` claim read before verification, only to find the provider whose keys verify the token."""
    claims = _json_segment(_segments(token)[1], "payload")
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise InvalidIdentityToken("Missing a required claim: iss")
    return issuer


def unverified_issuer_and_kid(token: str) -> tuple[str, str | None] | None:
    """The ``iss`` claim and header ``kid`` read unverified, to know which keys a token will need; ``None``
    when the token is malformed (``verify`` then refuses it without any key)."""
    try:
        header_b64, payload_b64, _ = _segments(token)
        kid = _json_segment(header_b64, "header").get("kid")
        issuer = _json_segment(payload_b64, "payload").get("iss")
    except InvalidIdentityToken:
        return None
    if not isinstance(issuer, str) or (kid is not None and not isinstance(kid, str)):
        return None
    return issuer, kid


class SignatureMemo:
    """Tokens whose signature was verified, with their claims, so a client presenting the same token again
    (botocore re-reads one token file for every refresh; a CI job's many calls) costs no second signature check.

    An entry counts only for the very key set that verified it: a refresh that drops the key (the IdP removed
    it) makes the entry useless, so a removed key never verifies from here. Every claim is checked again per
    call, against the call's time and the provider's current ClientIDList."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        # The key set itself is held (and compared by identity): an id() could be reused by a later set.
        self._entries: OrderedDict[str, tuple[object, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, key_set: object) -> dict[str, Any] | None:
        with self._lock:
            found = self._entries.get(token)
            if found is None or found[0] is not key_set:
                return None
            self._entries.move_to_end(token)
            return found[1]

    def put(self, token: str, key_set: object, claims: dict[str, Any]) -> None:
        with self._lock:
            self._entries[token] = (key_set, claims)
            self._entries.move_to_end(token)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


def verify(token: str, *, provider_url: str, client_ids: Sequence[str], keys: KeyCache,
           now: dt.datetime, memo: SignatureMemo | None = None, thumbprints: Sequence[str] = ()) -> VerifiedToken:
    """Verify ``token`` for the provider stored as ``provider_url`` (IAM's form: without ``https://``)."""
    header_b64, _, _ = _segments(token)
    header = _json_segment(header_b64, "header")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidIdentityToken(f"Unsupported signing algorithm: {alg}")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise InvalidIdentityToken("The token's kid is not a string")
    key_set = keys.keys("https://" + provider_url, kid, thumbprints)
    remembered = memo.get(token, key_set) if memo is not None else None
    if remembered is not None:
        return _check_claims(remembered, provider_url, client_ids, now)
    candidates = [k for k in key_set.keys if (kid is None or k.kid == kid)
                  and k.key_type == _KEY_TYPES[alg[:2]]]  # a key whose type does not fit alg is never tried
    if not candidates:
        raise InvalidIdentityToken(NO_KEY)
    payload: bytes | None = None
    for key in candidates:
        try:
            payload = jws.deserialize_compact(token, key, algorithms=[alg]).payload
            break
        except (JoseError, ValueError, TypeError):
            continue
    if payload is None:
        raise InvalidIdentityToken("The web identity token signature could not be verified.")
    try:
        claims = json.loads(payload)
    except ValueError:
        raise InvalidIdentityToken("The web identity token payload is not JSON.") from None
    if not isinstance(claims, dict):
        raise InvalidIdentityToken("The web identity token payload is not a JSON object.")
    verified = _check_claims(claims, provider_url, client_ids, now)
    if memo is not None:
        memo.put(token, key_set, claims)
    return verified


def _check_claims(claims: dict[str, Any], provider_url: str, client_ids: Sequence[str],
                  now: dt.datetime) -> VerifiedToken:
    issuer = claims.get("iss")
    if issuer != "https://" + provider_url:
        raise InvalidIdentityToken("Issuer in the token does not match the provider URL.")
    aud = claims.get("aud")
    if aud is None:
        raise InvalidIdentityToken("Missing a required claim: aud")
    audiences = (aud,) if isinstance(aud, str) else tuple(a for a in aud if isinstance(a, str)) \
        if isinstance(aud, list) else ()
    azp = claims.get("azp")
    # "If the azp claim is present, AWS uses it as the audience; otherwise aud" (IAM User Guide, "Available
    # keys for AWS OIDC federation", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html).
    audience = azp if isinstance(azp, str) else next((a for a in audiences if a in client_ids), None)
    if audience is None or audience not in client_ids:
        raise InvalidIdentityToken("Incorrect token audience")
    exp = _number(claims, "exp", required=True)
    assert exp is not None
    stamp = now.timestamp()
    if exp <= stamp:
        raise ExpiredTokenException("Token expired: current date/time "
                                    f"{int(stamp)} must be before the expiration date/time {int(exp)}")
    for name in ("nbf", "iat"):
        value = _number(claims, name, required=False)
        if value is not None and value > stamp + CLOCK_SKEW.total_seconds():
            raise InvalidIdentityToken(f"The token's {name} claim is in the future.")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidIdentityToken("Missing a required claim: sub")
    return VerifiedToken(issuer=issuer, subject=sub, audience=audience, audiences=audiences, claims=claims)


def _segments(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        # A JWE (five parts) or JSON serialisation is not a compact JWS (RFC 7515 §7.1).
        raise InvalidIdentityToken("The web identity token is not a compact JWS.")
    return parts[0], parts[1], parts[2]


def _json_segment(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):
        raise InvalidIdentityToken(f"The web identity token's {what} is not valid base64url JSON.") from None
    if not isinstance(value, dict):
        raise InvalidIdentityToken(f"The web identity token's {what} is not a JSON object.")
    return value


def _number(claims: Mapping[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise InvalidIdentityToken(f"Missing a required claim: {name}")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidIdentityToken(f"The token's {name} claim is not a number.")
    return float(value)


def session_tags(claims: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """``principal_tags`` and ``transitive_tag_keys`` of the ``https://aws.amazon.com/tags`` claim (IAM User
    Guide, "Pass session tags using AssumeRoleWithWebIdentity",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_adding-assume-role-idp)."""
    block = claims.get(TAGS_CLAIM)
    if block is None:
        return [], []
    if not isinstance(block, dict):
        raise InvalidIdentityToken("The https://aws.amazon.com/tags claim is not an object.")
    tags: list[tuple[str, str]] = []
    raw = block.get("principal_tags") or {}
    if not isinstance(raw, dict):
        raise InvalidIdentityToken("principal_tags is not an object.")
    for key, value in raw.items():
        # Each tag's value is a one-element array in the documented claim.
        values = value if isinstance(value, list) else [value]
        if len(values) != 1 or not isinstance(values[0], str):
            raise InvalidIdentityToken(f"The value of session tag {key} must be a single string.")
        tags.append((str(key), values[0]))
    transitive = block.get("transitive_tag_keys") or []
    if not isinstance(transitive, list) or not all(isinstance(k, str) for k in transitive):
        raise InvalidIdentityToken("transitive_tag_keys is not a list of strings.")
    return tags, list(transitive)


def source_identity(claims: Mapping[str, Any]) -> str | None:
    value = claims.get(SOURCE_IDENTITY_CLAIM)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidIdentityToken("The https://aws.amazon.com/source_identity claim is not a string.")
    return value
