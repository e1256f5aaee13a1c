"""Real key material for tests: RSA and Ed25519 SSH keys (by ``cryptography`` and by ``ssh-keygen``), X.509
certificates signed by a throw-away CA, and their private keys, all as PEM text."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

# Far enough from FixedClock's start (2026-01-01) and from today that "valid now" holds for both.
NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
NOT_AFTER = dt.datetime(2036, 1, 1, tzinfo=dt.timezone.utc)


def openssh_rsa(bits: int = 2048, comment: str = "dev@example") -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    body = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return f"{body.decode()} {comment}"


def pem_public(key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def ssh_keygen(tmp: Path, kind: str = "ed25519") -> tuple[str, str]:
    """A key made by OpenSSH's own ``ssh-keygen``: (public key line, ``ssh-keygen -l -E md5`` fingerprint)."""
    path = tmp / f"id_{kind}"
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "test", "-f", str(path)], check=True)
    out = subprocess.run(["ssh-keygen", "-l", "-E", "md5", "-f", str(path) + ".pub"], check=True,
                         capture_output=True, text=True).stdout
    return Path(str(path) + ".pub").read_text().strip(), out.split()[1].removeprefix("MD5:")


@dataclass(frozen=True)
class Issued:
    certificate: str
    private_key: str
    chain: str  # the issuing CA's certificate


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def issue(cn: str = "www.example.com", *, not_before: dt.datetime = NOT_BEFORE,
          not_after: dt.datetime = NOT_AFTER) -> Issued:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Test CA")).issuer_name(_name("Test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after).sign(ca_key, hashes.SHA256()))
    return Issued(cert.public_bytes(serialization.Encoding.PEM).decode(),
                  key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode(),
                  ca.public_bytes(serialization.Encoding.PEM).decode())
