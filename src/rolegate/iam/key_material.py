"""Reading the key material IAM accepts: SSH public keys (OpenSSH or PEM, RSA of at least 2,048 bits or
Ed25519) with IAM's MD5 fingerprint, and PEM X.509 certificates, chains and private keys.

Sources: IAM API reference, UploadSSHPublicKey ("The public key must be encoded in ssh-rsa format or PEM format.
The minimum bit-length of the public key is 2048 bits"), GetSSHPublicKey (Encoding SSH | PEM); "Setup steps for
SSH connections to AWS CodeCommit repositories" (the fingerprint is the MD5 of the key, as ``ssh-keygen -l -E
md5`` prints it); UploadServerCertificate and UploadSigningCertificate (PEM bodies; a chain of PEM certificates;
the private key must match the certificate).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from rolegate.core.errors import (
    InvalidCertificate,
    InvalidPublicKey,
    KeyPairMismatch,
    MalformedCertificate,
    UnrecognizedPublicKeyEncoding,
)

MIN_RSA_BITS = 2048
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


@dataclass(frozen=True, slots=True)
class SshPublicKey:
    openssh: str  # "ssh-rsa AAAA…" (no comment): what Encoding=SSH returns
    fingerprint: str


def read_ssh_public_key(body: str) -> SshPublicKey:
    """The key in ``body`` (OpenSSH or PEM), or IAM's error: UnrecognizedPublicKeyEncoding when it is neither
    form, InvalidPublicKey when it is a key IAM does not take (RSA under 2,048 bits, or another algorithm)."""
    text = body.strip().encode("latin-1")
    try:
        if text.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(text)
        else:
            key = serialization.load_ssh_public_key(b" ".join(text.split()[:2]))
    except Exception:  # ValueError, and UnsupportedAlgorithm for a key type cryptography cannot read
        raise UnrecognizedPublicKeyEncoding("The public key encoding format is unsupported or unrecognized.") \
            from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise InvalidPublicKey(f"The public key must be at least {MIN_RSA_BITS} bits long.")
    elif not isinstance(key, ed25519.Ed25519PublicKey):
        raise InvalidPublicKey("The public key must be an RSA or ED25519 key.")
    openssh = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(openssh.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return SshPublicKey(openssh.decode("ascii"), ":".join(digest[i:i + 2] for i in range(0, 32, 2)))


def ssh_key_as_pem(openssh: str) -> str:
    """The key in PEM (SubjectPublicKeyInfo): GetSSHPublicKey with Encoding=PEM."""
    key = serialization.load_ssh_public_key(openssh.encode("ascii"))
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass(frozen=True, slots=True)
class Certificate:
    der_sha256: str
    not_before: dt.datetime
    not_after: dt.datetime
    value: x509.Certificate


def read_certificate(body: str, *, what: str = "certificate") -> Certificate:
    """One PEM certificate, or MalformedCertificate in IAM's terms."""
    try:
        cert = x509.load_pem_x509_certificate(body.strip().encode("latin-1"))
        der = cert.public_bytes(serialization.Encoding.DER)
        return Certificate(hashlib.sha256(der).hexdigest(), cert.not_valid_before_utc, cert.not_valid_after_utc,
                           cert)
    except ValueError:
        raise MalformedCertificate(f"Unable to parse {what}. Please ensure the {what} is in PEM format.") from None


def check_current(cert: Certificate, now: dt.datetime) -> None:
    """A certificate IAM stores must be valid now: "malformed or expired" (IAM API reference,
    MalformedCertificateException); one not yet valid is invalid (InvalidCertificateException)."""
    if cert.not_after < now:
        raise MalformedCertificate(f"Certificate has expired (not after {_stamp(cert.not_after)}).")
    if cert.not_before > now:
        raise InvalidCertificate(f"Certificate is not yet valid (not before {_stamp(cert.not_before)}).")


def read_chain(chain: str, leaf: Certificate) -> list[Certificate]:
    """The PEM certificates of a chain, which must start with the certificate that issued ``leaf`` and go up
    in order (IAM User Guide, "Managing server certificates in IAM": the chain is "the concatenation of the
    PEM-encoded public key certificates of the chain")."""
    blocks = _PEM_CERT.findall(chain.encode("latin-1"))
    if not blocks:
        raise MalformedCertificate("Unable to parse certificate chain. Please ensure the chain is in PEM format.")
    certs = [read_certificate(b.decode("latin-1"), what="certificate chain") for b in blocks]
    below = leaf
    for cert in certs:
        try:
            below.value.verify_directly_issued_by(cert.value)  # the issuer's name and its signature
        except Exception:  # ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm
            raise MalformedCertificate("Unable to validate certificate chain. The certificate chain must start with "
                                       "the immediate signing certificate, followed by any intermediaries in "
                                       "order.") from None
        below = cert
    return certs


def check_private_key(private_key: str, cert: Certificate) -> None:
    """The unencrypted PEM private key must be the certificate's key: KeyPairMismatch otherwise."""
    try:
        key = serialization.load_pem_private_key(private_key.strip().encode("latin-1"), password=None)
    except Exception:  # ValueError, TypeError (encrypted), UnsupportedAlgorithm
        raise MalformedCertificate("Unable to parse private key. Please ensure it is an unencrypted key in PEM "
                                   "format.") from None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != cert.value.public_key().public_bytes(*spki):
        raise KeyPairMismatch("The public key certificate and the private key do not match.")


def _stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
