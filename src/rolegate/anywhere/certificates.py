"""Trust anchor certificate bundles read and checked as CA certificates, with ``cryptography``.

IAM Roles Anywhere's trust model (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html)
asks of a CA certificate: X.509 v3, basic constraints with CA true, key usage with Certificate Sign and CRL
Sign, and a signature algorithm of SHA-256 or stronger (MD5 and SHA-1 are refused). A bundle is one or more
PEM certificates, each of which must be such a CA.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from .errors import ValidationException

__all__ = ["read_ca_bundle"]

_WEAK = (hashes.MD5, hashes.SHA1)


def read_ca_bundle(pem: str) -> list[x509.Certificate]:
    """The CA certificates of ``pem``; ``ValidationException`` naming the first rule a certificate breaks."""
    try:
        certs = x509.load_pem_x509_certificates(pem.encode("utf-8"))
    except ValueError:
        raise ValidationException("Trust anchor certificate data is not a valid PEM X.509 certificate bundle.") \
            from None
    for cert in certs:
        _check_ca(cert)
    return certs


def _check_ca(cert: x509.Certificate) -> None:
    subject = cert.subject.rfc4514_string()
    if cert.version is not x509.Version.v3:
        raise ValidationException(f"Certificate {subject} is not an X.509 v3 certificate.")
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        basic = None
    if basic is None or not basic.ca:
        raise ValidationException(f"Certificate {subject} is not a CA certificate (basic constraints CA:true).")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not (usage.key_cert_sign and usage.crl_sign):
        raise ValidationException(f"Certificate {subject} must have key usage Certificate Sign and CRL Sign.")
    algorithm = cert.signature_hash_algorithm
    if algorithm is not None and isinstance(algorithm, _WEAK):
        raise ValidationException(f"Certificate {subject} is signed with {algorithm.name.upper()}; "
                                  "SHA-256 or stronger is required.")
