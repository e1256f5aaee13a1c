"""Instance ids and the join tokens an instance trades once for its instance credential (issue 13, item 1).

An instance id has EC2's form, ``i-`` and 17 lowercase hex digits (EC2 User Guide, "Resource IDs": "i-"
followed by 17 characters for ids created since 2016). A join token is a rolegate choice, as AWS has no
such thing: EC2 proves an instance's identity by launching it. It is 32 random bytes, shown once to the
operator who registers the instance; only its SHA-256 is stored, it expires (15 minutes by default) and it
is consumed by its first redemption, so a copied token is worthless once the agent has joined.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from rolegate.core.errors import ClientError
from rolegate.core.redaction import remember

DEFAULT_JOIN_TOKEN_TTL = dt.timedelta(minutes=15)
MAX_JOIN_TOKEN_TTL = dt.timedelta(days=7)  # rolegate choice: a token left lying around must die on its own
_PREFIX = "rgjt-"  # recognisable in a leaked-secret scan, never part of the hash input's secrecy
_INSTANCE_ID = re.compile(r"^i-[0-9a-f]{17}$")


class InvalidJoinToken(ClientError):
    """The token is unknown, already used or expired; one answer for all three, so a guesser learns nothing."""

    code = "InvalidJoinToken"
    status = 403


def new_instance_id() -> str:
    return "i-" + secrets.token_hex(9)[:17]


def is_instance_id(value: str) -> bool:
    return _INSTANCE_ID.match(value) is not None


@dataclass(frozen=True, slots=True)
class JoinTokenState:
    """What the store keeps of a join token: its hash, its expiry, and whether it has been redeemed."""

    token_hash: str
    expires_at: dt.datetime
    redeemed: bool = False


def issue_join_token(now: dt.datetime, ttl: dt.timedelta = DEFAULT_JOIN_TOKEN_TTL) -> tuple[str, JoinTokenState]:
    """A new token (returned once, to the operator) and the state to store in its place."""
    if not dt.timedelta(seconds=60) <= ttl <= MAX_JOIN_TOKEN_TTL:
        raise ClientError(f"The join token TTL must be between 60 seconds and {MAX_JOIN_TOKEN_TTL.days} days.",
                          code="InvalidParameterValue")
    token = _PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    remember(token)  # never in a log line (rolegate.core.redaction)
    return token, JoinTokenState(token_hash=hash_join_token(token), expires_at=now + ttl)


def hash_join_token(token: str) -> str:
    # Unsalted SHA-256 is enough: the token has 256 random bits, so no dictionary reaches it.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def redeem(state: JoinTokenState | None, presented: str, now: dt.datetime) -> JoinTokenState:
    """The state after ``presented`` is redeemed against ``state``, or InvalidJoinToken. The caller stores the
    result in the same transaction that issues the instance credential, so a token is redeemed at most once."""
    if (state is None or state.redeemed or now >= state.expires_at
            or not hmac.compare_digest(state.token_hash, hash_join_token(presented))):
        raise InvalidJoinToken("The join token is not valid: it is unknown, already used or expired. "
                               "Register the instance again for a new one.")
    return JoinTokenState(state.token_hash, state.expires_at, redeemed=True)
