"""The IAM Roles Anywhere client both ``rolegate credential-process`` (certificate mode) and ``rolegate agent``
(certificate mode) use: read the certificate and key, sign ``POST /sessions``, and call CreateSession.

It signs as the IAM Roles Anywhere User Guide's "Signing process" describes (the SigV4 canonical request, built by
``rolegate.auth.canonical`` — the same code the server verifies with — under ``AWS4-X509-RSA-SHA256`` or
``AWS4-X509-ECDSA-SHA256``), and sends the ARNs in the query string as AWS's Go helper does
(docs/reference/workload-credential-protocols.md §5).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from rolegate.auth import canonical

__all__ = ["CertificateIdentity", "SessionRefused", "create_session", "read_certificates", "read_key",
           "signed_session_request"]

_QUERY_SAFE = "-_.~"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class SessionRefused(Exception):
    """CreateSession answered with an error (``code`` set: the service's) or could not be reached (``code`` None)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def read_certificates(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def read_key(path: Path) -> PrivateKey:
    data = path.read_bytes()
    loaded = serialization.load_pem_private_key(data, None) if b"-----BEGIN" in data \
        else serialization.load_der_private_key(data, None)
    if not isinstance(loaded, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise ValueError("the private key must be an RSA or EC key")
    return loaded


def _der64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def signed_session_request(url: str, leaf: x509.Certificate, key: PrivateKey, chain: list[x509.Certificate],
                           region: str, arns: dict[str, str], body: dict[str, Any],
                           now: dt.datetime) -> tuple[str, dict[str, str], bytes]:
    """The URL, headers and body of a CreateSession request signed with ``key`` (``leaf``'s private key)."""
    parts = urlsplit(url)
    query = "&".join(f"{quote(k, safe=_QUERY_SAFE)}={quote(v, safe=_QUERY_SAFE)}" for k, v in sorted(arns.items()))
    payload = json.dumps(body).encode("utf-8")
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    headers = {"content-type": "application/json", "host": parts.netloc, "x-amz-date": amz_date,
               "x-amz-x509": _der64(leaf)}
    if chain:
        headers["x-amz-x509-chain"] = ",".join(_der64(c) for c in chain)
    signed = sorted(headers)
    found = canonical.collect_headers(headers.items(), frozenset(signed))
    request = canonical.canonical_request("POST", canonical.canonical_uri("/sessions"),
                                          canonical.canonical_query(query), canonical.canonical_headers(found, signed),
                                          ";".join(signed), hashlib.sha256(payload).hexdigest())
    scope = f"{amz_date[:8]}/{region}/rolesanywhere/aws4_request"
    to_sign = canonical.string_to_sign(amz_date, scope, request, _algorithm(key)).encode("utf-8")
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256()).hex()
    else:
        signature = key.sign(to_sign, ec.ECDSA(hashes.SHA256())).hex()
    headers["authorization"] = (f"{_algorithm(key)} Credential={leaf.serial_number}/{scope}, "
                                f"SignedHeaders={';'.join(signed)}, Signature={signature}")
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/sessions"
    return f"{base}?{query}", headers, payload


def _algorithm(key: PrivateKey) -> str:
    return "AWS4-X509-RSA-SHA256" if isinstance(key, rsa.RSAPrivateKey) else "AWS4-X509-ECDSA-SHA256"


@dataclass(frozen=True)
class CertificateIdentity:
    """Everything a CreateSession call needs: the certificate, its key and chain, and what to ask for."""

    leaf: x509.Certificate
    key: PrivateKey
    chain: list[x509.Certificate]
    trust_anchor_arn: str
    profile_arn: str
    role_arn: str
    region: str
    endpoint: str
    session_duration: int = 3600
    role_session_name: str | None = None
    ca_bundle: Path | None = None

    @classmethod
    def from_files(cls, certificate: Path, private_key: Path, intermediates: Path | None, *,
                   trust_anchor_arn: str, profile_arn: str, role_arn: str, region: str | None,
                   endpoint: str | None, session_duration: int = 3600, role_session_name: str | None = None,
                   ca_bundle: Path | None = None) -> CertificateIdentity:
        """Read the files; ValueError (or OSError) with the reason when one cannot be used."""
        leaf = read_certificates(certificate)[0]
        key = read_key(private_key)
        chain = read_certificates(intermediates) if intermediates is not None else []
        signing_region = region or (trust_anchor_arn.split(":")[3] if trust_anchor_arn.count(":") >= 5 else "")
        if not signing_region:
            raise ValueError("--region is required when the trust anchor ARN names none")
        url = endpoint or f"https://rolesanywhere.{signing_region}.amazonaws.com"
        if "://" not in url:
            url = f"https://{url}"
        return cls(leaf, key, chain, trust_anchor_arn, profile_arn, role_arn, signing_region, url,
                   session_duration, role_session_name, ca_bundle)


def create_session(identity: CertificateIdentity, now: dt.datetime) -> dict[str, Any]:
    """CreateSession's first credential set (``credentialSet[0]``: credentials, assumedRoleUser, roleArn), or
    SessionRefused with the service's code and message."""
    import httpx

    body: dict[str, Any] = {"durationSeconds": identity.session_duration}
    if identity.role_session_name is not None:
        body["roleSessionName"] = identity.role_session_name
    target, headers, payload = signed_session_request(
        identity.endpoint, identity.leaf, identity.key, identity.chain, identity.region,
        {"profileArn": identity.profile_arn, "roleArn": identity.role_arn,
         "trustAnchorArn": identity.trust_anchor_arn}, body, now)
    verify: ssl.SSLContext | bool = (ssl.create_default_context(cafile=str(identity.ca_bundle))
                                     if identity.ca_bundle else True)
    sent = {k: v for k, v in headers.items() if k != "host"}  # the client writes Host from the URL, identically
    try:
        res = httpx.post(target, headers=sent, content=payload, verify=verify, timeout=30)
    except httpx.HTTPError as exc:
        raise SessionRefused(f"cannot reach {identity.endpoint}: {exc}") from None
    if res.status_code != 201:
        try:
            message = res.json().get("message", res.text)
        except ValueError:
            message = res.text
        code = res.headers.get("x-amzn-errortype", str(res.status_code))
        raise SessionRefused(f"{code}: {message}", code)
    first: dict[str, Any] = res.json()["credentialSet"][0]
    return first
