"""Sealing secrets at rest: AES-256-GCM under the master key, as Vault's barrier seals its storage.

The master key comes from ``ROLEGATE_MASTER_KEY`` (base64 of 32 bytes) or from ``master.key`` in the data
directory, created with mode 0600 on first start. Sealed values are ``v1:<base64(nonce|ciphertext)>`` so
the format can change without ambiguity.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = "v1:"


class SealError(Exception):
    """A sealed value could not be opened: wrong master key, or the value was tampered with."""


class Sealer:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(master_key)

    def seal(self, plaintext: str, context: str) -> str:
        """Encrypt ``plaintext``, binding it to ``context`` (e.g. the key id) so rows can't be swapped."""
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return _PREFIX + base64.b64encode(nonce + ct).decode("ascii")

    def open(self, sealed: str, context: str) -> str:
        if not sealed.startswith(_PREFIX):
            raise SealError("unknown sealed-value format")
        raw = base64.b64decode(sealed[len(_PREFIX):])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode("utf-8")).decode("utf-8")
        except Exception as exc:  # cryptography raises InvalidTag
            raise SealError("sealed value does not open under this master key") from exc


def load_or_create_master_key(data_dir: Path, env_value: str | None) -> bytes:
    """The master key from the environment, else from ``data_dir/master.key`` (created once, 0600)."""
    if env_value:
        key = base64.b64decode(env_value)
        if len(key) != 32:
            raise ValueError("ROLEGATE_MASTER_KEY must be base64 of exactly 32 bytes")
        return key
    path = data_dir / "master.key"
    if path.exists():
        if path.stat().st_mode & 0o077:  # an older release, or an operator's copy, left it readable
            path.chmod(0o600)
        return base64.b64decode(path.read_text().strip())
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(key).decode("ascii") + "\n")
    return key
