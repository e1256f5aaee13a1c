"""Identifiers in AWS's formats: unique ids (``AROA…``) and access key ids that carry their account.

Unique-id prefixes follow the IAM User Guide, "IAM identifiers" → "Unique ID prefixes". Access key ids
(``AKIA…``, ``ASIA…``) encode the owning account as AWS's newer keys do: the 16 characters after the
prefix are base32 of 10 bytes whose first 6 bytes, as a big-endian integer, hold the account id in
bits 7..46. That layout is what ``sts:GetAccessKeyInfo`` decodes; it is observed, not documented.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from rolegate.core.redaction import remember

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

ROLE = "AROA"
USER = "AIDA"
GROUP = "AGPA"
INSTANCE_PROFILE = "AIPA"
MANAGED_POLICY = "ANPA"
POLICY_VERSION = "ANVA"
ACCESS_KEY = "AKIA"
SSH_PUBLIC_KEY = "APKA"  # "public key"
CERTIFICATE = "ASCA"  # server certificates
SERVICE_SPECIFIC_CREDENTIAL = "ACCA"  # "context-specific credential"
SESSION_KEY = "ASIA"

_ACCOUNT_MASK = 0x7FFFFFFFFF80


def new_unique_id(prefix: str) -> str:
    """A 21-character unique id: the 4-character type prefix and 17 base32 characters."""
    return prefix + "".join(secrets.choice(_B32) for _ in range(17))


def new_ssh_public_key_id() -> str:
    """A 20-character SSH public key id (``APKA…``), the length of AWS's (IAM API reference, SSHPublicKey)."""
    return SSH_PUBLIC_KEY + "".join(secrets.choice(_B32) for _ in range(16))


def new_saml_private_key_id() -> str:
    """A SAML provider private key's KeyId: the model's ``[A-Z0-9]+``, 22–64 characters (rolegate uses 26)."""
    return "".join(secrets.choice(_B32) for _ in range(26))


def new_signing_certificate_id() -> str:
    """A 32-character signing certificate id; AWS's carry no type prefix (IAM API reference,
    SigningCertificate: CertificateId, 24 to 128 word characters)."""
    return "".join(secrets.choice(_B32) for _ in range(32))


def new_access_key_id(account_id: str, prefix: str = ACCESS_KEY) -> str:
    """A 20-character access key id that encodes ``account_id`` (12 digits)."""
    z = (int(account_id) << 7) | secrets.randbelow(128)
    raw = z.to_bytes(6, "big") + secrets.token_bytes(4)
    return prefix + base64.b32encode(raw).decode("ascii")


def account_of_access_key_id(key_id: str) -> str | None:
    """The account id an access key id encodes, or None when it is not one of ours in form."""
    if len(key_id) != 20 or key_id[:4] not in (ACCESS_KEY, SESSION_KEY):
        return None
    try:
        raw = base64.b32decode(key_id[4:])
    except (ValueError, binascii.Error):
        return None
    account = (int.from_bytes(raw[:6], "big") & _ACCOUNT_MASK) >> 7
    return f"{account:012d}"


def new_secret_access_key() -> str:
    """A 40-character secret access key, of the alphabet AWS's keys use."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    secret = "".join(secrets.choice(alphabet) for _ in range(40))
    remember(secret)  # never in a log line (rolegate.core.redaction)
    return secret


def new_request_id() -> str:
    """A request id in the UUID form AWS's query APIs return."""
    h = secrets.token_hex(16)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
