"""Encoded authorization failure messages and DecodeAuthorizationMessage (STS API reference).

AWS hides why a request was denied behind an opaque "encoded authorization failure message" that only
a principal allowed ``sts:DecodeAuthorizationMessage`` can read. Here the message is the decision's
explanation as JSON, sealed with AES-GCM under the session key ring's primary key (a purpose-derived
sub-key, so it can never be confused with a session token) and base64url-encoded.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rolegate.core.errors import ClientError

from .tokens import KEY_ID_BYTES, KeySource

_VERSION = b"\x01"
_PURPOSE = b"authorization-message"


class InvalidAuthorizationMessage(ClientError):
    code = "InvalidAuthorizationMessageException"


class AuthorizationMessages:
    def __init__(self, keys: KeySource) -> None:
        self._keys = keys

    def encode(self, message: Mapping[str, Any]) -> str:
        key = self._keys.primary()
        header = _VERSION + key.key_id
        nonce = os.urandom(12)
        body = json.dumps(message, separators=(",", ":")).encode("utf-8")
        sealed = AESGCM(key.derived(_PURPOSE)).encrypt(nonce, body, header)
        return base64.urlsafe_b64encode(header + nonce + sealed).decode("ascii").rstrip("=")

    def decode(self, encoded: str) -> str:
        """The decoded message as JSON text; ``InvalidAuthorizationMessageException`` when it is not ours."""
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise _invalid() from None
        head = 1 + KEY_ID_BYTES
        if len(raw) < head + 12 + 16 or raw[:1] != _VERSION:
            raise _invalid()
        key = self._keys.find(raw[1:head])
        if key is None:
            raise _invalid()
        try:
            return AESGCM(key.derived(_PURPOSE)).decrypt(raw[head:head + 12], raw[head + 12:], raw[:head]).decode()
        except (InvalidTag, UnicodeDecodeError):
            raise _invalid() from None


def _invalid() -> InvalidAuthorizationMessage:
    return InvalidAuthorizationMessage("The message is not valid.")
