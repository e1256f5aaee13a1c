"""Test certificate authorities made with ``cryptography``: a root CA, and certificates it signs."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.timezone.utc)


def key(kind: str = "ec") -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    return ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else rsa.generate_private_key(65537, 2048)


def certificate(subject: str, signer_key, *, issuer: x509.Certificate | None = None, ca: bool = True,  # type: ignore[no-untyped-def]
                public_key=None, key_usage: bool = True, algorithm: hashes.HashAlgorithm | None = None,  # type: ignore[no-untyped-def]
                not_before: dt.datetime | None = None, not_after: dt.datetime | None = None) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer.subject if issuer is not None else name)
               .public_key(public_key or signer_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or NOW - dt.timedelta(days=1))
               .not_valid_after(not_after or NOW + dt.timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if key_usage:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=not ca, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False),
            critical=True)
    return builder.sign(signer_key, algorithm or hashes.SHA256())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def root_ca(subject: str = "Test Root CA", kind: str = "ec") -> tuple[x509.Certificate, object]:
    k = key(kind)
    return certificate(subject, k), k


def sha1_ca_pem() -> str:
    """A CA certificate signed with SHA-1, which ``cryptography`` (OpenSSL 3) will not sign: made by ``openssl``."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ca.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(Path(tmp) / "k.pem"),
                        "-out", str(out), "-sha1", "-days", "2", "-subj", "/CN=SHA-1 CA",
                        "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"], check=True, capture_output=True)
        return out.read_text()


def crl(issuer: x509.Certificate, issuer_key, revoked_serials: tuple[int, ...] = (), *,  # type: ignore[no-untyped-def]
        der: bool = True) -> bytes:
    """A CRL ``issuer`` signs, revoking ``revoked_serials``."""
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
               .last_update(NOW - dt.timedelta(hours=1)).next_update(NOW + dt.timedelta(days=7)))
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - dt.timedelta(hours=1)).build())
    signed = builder.sign(issuer_key, hashes.SHA256())
    return signed.public_bytes(serialization.Encoding.DER if der else serialization.Encoding.PEM)


def server_certificate(ca: x509.Certificate, ca_key, host: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    """A TLS server certificate for ``host`` (an IP address or a DNS name) signed by ``ca``, and its key."""
    import ipaddress

    k = key()
    try:
        san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        san = x509.DNSName(host)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca.subject).public_key(k.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, k


def private_pem(k) -> bytes:  # type: ignore[no-untyped-def]
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def sha1_leaf(issuer: x509.Certificate, issuer_key, subject: str = "sha1-leaf"):  # type: ignore[no-untyped-def]
    """An end-entity certificate ``issuer`` signs with SHA-1 (made by ``openssl``: OpenSSL 3 under
    ``cryptography`` refuses to), and its key."""
    import subprocess
    import tempfile
    from pathlib import Path

    leaf_key = key("rsa")
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "ca.pem").write_text(pem(issuer))
        (t / "ca.key").write_bytes(private_pem(issuer_key))
        (t / "leaf.key").write_bytes(private_pem(leaf_key))
        (t / "ext.cnf").write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n")
        subprocess.run(["openssl", "req", "-new", "-key", str(t / "leaf.key"), "-subj", f"/CN={subject}",
                        "-out", str(t / "leaf.csr")], check=True, capture_output=True)
        subprocess.run(["openssl", "x509", "-req", "-in", str(t / "leaf.csr"), "-CA", str(t / "ca.pem"),
                        "-CAkey", str(t / "ca.key"), "-CAcreateserial", "-sha1", "-days", "2",
                        "-extfile", str(t / "ext.cnf"), "-out", str(t / "leaf.pem")], check=True, capture_output=True)
        return x509.load_pem_x509_certificate((t / "leaf.pem").read_bytes()), leaf_key
