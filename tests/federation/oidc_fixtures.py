"""A real OpenID provider for the tests: node ``oidc-provider`` (tests/federation/oidc_idp/server.mjs), served
over HTTPS on 127.0.0.2:443 with a test CA made here, issuing JWT access tokens through its client_credentials
grant. IAM refuses provider URLs with a port, so the provider listens on a loopback address's port 443.

``npm ci --prefix tests/federation/oidc_idp`` installs it (``.ci/run`` does, on a fresh machine).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import shutil
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

IDP_DIR = Path(__file__).parent / "oidc_idp"
HOST = "127.0.0.2"
ISSUER = f"https://{HOST}"
PROVIDER_URL = HOST  # as IAM stores it
AUDIENCE = "sts.amazonaws.com"


def make_test_ca(directory: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) PEM files: a CA and a leaf for ``HOST``."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rolegate test federation CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_pem, cert_pem, key_pem = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return ca_pem, cert_pem, key_pem


@dataclass
class OidcIdp:
    """The running provider and the admin port that rotates its keys or takes it down."""

    directory: Path
    ca_pem: Path = field(init=False)
    proc: subprocess.Popen[str] | None = None
    admin: str = ""

    def start(self) -> None:
        if not (IDP_DIR / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError("oidc-provider is not installed: npm ci --prefix tests/federation/oidc_idp")
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not on PATH")
        self.ca_pem, cert, key = make_test_ca(self.directory)
        self.proc = subprocess.Popen([node, "server.mjs", HOST, "443", str(cert), str(key)], cwd=IDP_DIR,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the provider's one line once it listens; EOF when it died
        if not line:
            raise RuntimeError(f"oidc-provider did not start (exit {self.proc.wait(5)})")
        self.admin = f"http://127.0.0.1:{json.loads(line)['admin']}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    def token(self, client: str = "ci-client", audience: str = AUDIENCE) -> str:
        """A JWT access token from the provider's client_credentials grant (RFC 6749 §4.4, RFC 8707)."""
        response = httpx.post(f"{ISSUER}/token", verify=self._tls(), data={
            "grant_type": "client_credentials", "client_id": client, "client_secret": f"{client}-secret",
            "scope": "sts", "resource": f"urn:aud:{audience}"})
        response.raise_for_status()
        return str(response.json()["access_token"])

    def server_certificate_der(self) -> bytes:
        """The DER of the certificate the provider's HTTPS server presents."""
        pem = (self.directory / "server.pem").read_bytes()
        return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)

    def jwks(self) -> dict[str, Any]:
        return dict(httpx.get(f"{ISSUER}/jwks", verify=self._tls()).json())

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_pem))

    def _admin(self, path: str) -> dict[str, Any]:
        method = httpx.get if path == "/stats" else httpx.post
        return dict(method(self.admin + path).json())

    def rotate(self) -> None:
        """A new signing key, the old ones still published."""
        self._admin("/rotate")

    def drop_old_keys(self) -> None:
        self._admin("/drop-old")

    def down(self) -> None:
        self._admin("/down")

    def up(self) -> None:
        self._admin("/up")

    def stats(self) -> dict[str, Any]:
        """How many discovery, JWKS and token requests the provider served."""
        return self._admin("/stats")
