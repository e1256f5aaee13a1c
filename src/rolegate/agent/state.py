"""The agent's state directory: files written whole or not at all, readable by the agent's user only, and the
key the agent signs instance identity documents with.

A file is written to a temporary name in the same directory, fsync'd, renamed over the old one, and the directory
fsync'd (the rename is then durable too): an agent killed mid-write leaves the previous file, never half of one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from rolegate.server.runtime import make_data_dir

__all__ = ["IDENTITY_CERTIFICATE", "IDENTITY_KEY", "INSTANCE_CREDENTIAL", "IdentitySigner", "StateDir"]

INSTANCE_CREDENTIAL = "instance-credential.json"
IDENTITY_KEY = "identity-key.pem"
IDENTITY_CERTIFICATE = "identity-certificate.pem"


class StateDir:
    """``path`` (made 0700 if missing), holding the agent's private files."""

    def __init__(self, path: Path) -> None:
        make_data_dir(path)
        self.path = path

    def write_private(self, name: str, data: bytes, mode: int = 0o600) -> Path:
        """Replace ``name`` with ``data`` atomically (temp file, fsync, rename, directory fsync), mode ``mode``."""
        target = self.path / name
        fd, temp = tempfile.mkstemp(prefix=f".{name}.", dir=self.path)
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        directory = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return target

    def read_json(self, name: str) -> dict[str, Any] | None:
        try:
            loaded = json.loads((self.path / name).read_text())
        except FileNotFoundError:
            return None
        if not isinstance(loaded, dict):
            raise ValueError(f"{self.path / name} does not hold a JSON object")
        return loaded

    def write_json(self, name: str, value: dict[str, Any]) -> Path:
        return self.write_private(name, json.dumps(value, indent=2).encode("utf-8"))


class IdentitySigner:
    """Signs instance identity documents with an RSA-2048 key kept in the state directory (made on first start);
    its self-signed certificate (``identity-certificate.pem``, 0644: it is public) is how a relying party verifies
    ``dynamic/instance-identity/signature``: ``openssl dgst -sha256 -verify <(openssl x509 -pubkey -noout -in
    identity-certificate.pem) -signature <(base64 -d signature) document`` (docs/operations.md, "The agent").
    EC2 signs with a regional AWS key the same way (RSA, SHA-256, base64; EC2 User Guide, "Verify the instance
    identity document")."""

    def __init__(self, state: StateDir, common_name: str, now: dt.datetime) -> None:
        key_path = state.path / IDENTITY_KEY
        if key_path.exists():
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError(f"{key_path} is not an RSA private key")
            self._key = loaded
        else:
            self._key = rsa.generate_private_key(65537, 2048)
            state.write_private(IDENTITY_KEY, self._key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        cert_path = state.path / IDENTITY_CERTIFICATE
        if not cert_path.exists():
            state.write_private(IDENTITY_CERTIFICATE, _self_signed(self._key, common_name, now).public_bytes(
                serialization.Encoding.PEM), mode=0o644)
        self.certificate_path = cert_path

    def sign(self, document: str) -> str:
        signature = self._key.sign(document.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")


def _self_signed(key: rsa.RSAPrivateKey, common_name: str, now: dt.datetime) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "rolegate agent"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
