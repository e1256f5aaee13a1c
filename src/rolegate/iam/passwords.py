"""Console passwords: hashing with a memory-hard KDF, and the account password policy's rules.

A password is kept only as ``scheme$params$salt$digest`` (base64), never as text: Argon2id (RFC 9106's
second recommended option, 19 MiB, t=2, p=1) from ``cryptography`` when it offers it, else scrypt
(n=2**15, r=8, p=1, 32 MiB). The parameters are stored with each hash, so raising them later leaves old
hashes verifiable. Verification recomputes and compares in constant time (``cryptography``'s ``verify``).

The rules are the IAM User Guide's, "Setting an account password policy for IAM users"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html): a custom
policy's length and character classes, or — without one — IAM's default policy (8 to 128 characters, three
of the four character classes, not the account's name).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from typing import Protocol

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from rolegate.core.errors import PasswordPolicyViolation

from .entities import PasswordPolicyRecord

try:  # Argon2id arrived in cryptography 44; older releases fall back to scrypt
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    _HAS_ARGON2 = True
except ImportError:  # pragma: no cover - depends on the installed cryptography
    _HAS_ARGON2 = False

# The non-alphanumeric characters a policy's RequireSymbols asks for (IAM User Guide, as above).
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")
_DIGEST_BYTES = 32
_ARGON2 = {"m": 19456, "t": 2, "p": 1}
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}

POLICY_VIOLATION = "Password does not conform to the account password policy."


class _Kdf(Protocol):
    def derive(self, key_material: bytes, /) -> bytes: ...
    def verify(self, key_material: bytes, expected_key: bytes, /) -> None: ...


def hash_password(password: str) -> str:
    """A new salted hash of ``password`` with its scheme and parameters."""
    salt = os.urandom(16)
    if _HAS_ARGON2:
        scheme, params = "argon2id", _ARGON2
    else:  # pragma: no cover - depends on the installed cryptography
        scheme, params = "scrypt", _SCRYPT
    digest = _kdf(scheme, params, salt).derive(password.encode("utf-8"))
    text = ",".join(f"{k}={v}" for k, v in params.items())
    return f"{scheme}${text}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (False for a hash we cannot read)."""
    try:
        scheme, text, salt, digest = stored.split("$")
        params = {k: int(v) for k, v in (item.split("=") for item in text.split(","))}
        expected = base64.b64decode(digest)
        _kdf(scheme, params, base64.b64decode(salt)).verify(password.encode("utf-8"), expected)
    except (ValueError, InvalidKey, KeyError):
        return False
    return True


def matches_any(password: str, hashes: Sequence[str]) -> bool:
    return any(password_matches(password, h) for h in hashes)


def check_against_policy(password: str, policy: PasswordPolicyRecord | None, account_name: str) -> None:
    """Raise ``PasswordPolicyViolation`` unless ``password`` meets the account's policy (or IAM's default)."""
    classes = (any(c.isupper() for c in password), any(c.islower() for c in password),
               any(c.isdigit() for c in password), any(c in SYMBOLS for c in password))
    if policy is None:
        ok = len(password) >= 8 and sum(classes) >= 3 and password != account_name
    else:
        wanted = (policy.require_uppercase_characters, policy.require_lowercase_characters,
                  policy.require_numbers, policy.require_symbols)
        ok = len(password) >= policy.minimum_password_length and all(
            have or not need for have, need in zip(classes, wanted))
    if not ok:
        raise PasswordPolicyViolation(POLICY_VIOLATION)


def _kdf(scheme: str, params: dict[str, int], salt: bytes) -> _Kdf:
    if scheme == "argon2id" and _HAS_ARGON2:
        return Argon2id(salt=salt, length=_DIGEST_BYTES, iterations=params["t"], lanes=params["p"],
                        memory_cost=params["m"])
    if scheme == "scrypt":
        return Scrypt(salt=salt, length=_DIGEST_BYTES, n=params["n"], r=params["r"], p=params["p"])
    raise ValueError(f"unknown password hash scheme {scheme!r}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
