"""``rolegate credential-process`` (certificate mode): IAM Roles Anywhere credentials for a ``credential_process``
profile line, with the flags and output of AWS's ``aws_signing_helper credential-process``.

It signs ``POST /sessions`` with the certificate's private key as the IAM Roles Anywhere User Guide's "Signing
process" describes (the SigV4 canonical request, built by ``rolegate.auth.canonical`` — the same code the
server verifies with — under ``AWS4-X509-RSA-SHA256`` or ``AWS4-X509-ECDSA-SHA256``), sends the ARNs in the
query string as the Go helper does, and prints the JSON botocore's ``ProcessProvider`` reads:
``{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}`` (AWS CLI User Guide,
"Sourcing credentials with an external process"). Errors go to stderr with exit status 1, so botocore shows
them. The agent's ``--imds-address`` mode belongs to ``rolegate agent`` (issue 13), not here.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import ssl
import sys
from pathlib import Path
from typing import Annotated, Any, Optional
from urllib.parse import quote, urlsplit

import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from rolegate.auth import canonical

__all__ = ["credential_process", "signed_session_request"]

_QUERY_SAFE = "-_.~"


def _read_certificates(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def _read_key(path: Path) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    data = path.read_bytes()
    loaded = serialization.load_pem_private_key(data, None) if b"-----BEGIN" in data \
        else serialization.load_der_private_key(data, None)
    if not isinstance(loaded, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise ValueError("the private key must be an RSA or EC key")
    return loaded


def _der64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


def signed_session_request(url: str, leaf: x509.Certificate, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
                           chain: list[x509.Certificate], region: str, arns: dict[str, str], body: dict[str, Any],
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
    if isinstance(key, rsa.RSAPrivateKey):
        algorithm = "AWS4-X509-RSA-SHA256"
        sign = lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())  # noqa: E731
    else:
        algorithm = "AWS4-X509-ECDSA-SHA256"
        sign = lambda data: key.sign(data, ec.ECDSA(hashes.SHA256()))  # noqa: E731
    signature = sign(canonical.string_to_sign(amz_date, scope, request, algorithm).encode("utf-8")).hex()
    headers["authorization"] = (f"{algorithm} Credential={leaf.serial_number}/{scope}, "
                                f"SignedHeaders={';'.join(signed)}, Signature={signature}")
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/sessions"
    return f"{base}?{query}", headers, payload


def credential_process(
    certificate: Annotated[Path, typer.Option("--certificate", help="Path to the end-entity certificate (PEM or DER).")],
    private_key: Annotated[Path, typer.Option("--private-key", help="Path to its private key (PEM or DER).")],
    trust_anchor_arn: Annotated[str, typer.Option("--trust-anchor-arn", help="Trust anchor to authenticate with.")],
    profile_arn: Annotated[str, typer.Option("--profile-arn", help="Profile to pull policies from.")],
    role_arn: Annotated[str, typer.Option("--role-arn", help="Role to assume.")],
    intermediates: Annotated[Optional[Path], typer.Option(
        "--intermediates", help="Path to the intermediate certificates (PEM bundle).")] = None,
    session_duration: Annotated[int, typer.Option(
        "--session-duration", help="Session duration in seconds (900 to 43200).")] = 3600,
    role_session_name: Annotated[Optional[str], typer.Option(
        "--role-session-name", help="A session name (the profile must accept it).")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Signing region (default: the trust "
                                                                    "anchor ARN's).")] = None,
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", help="Endpoint URL (default: "
                                                                        "https://rolesanywhere.REGION.amazonaws.com).")] = None,
    ca_bundle: Annotated[Optional[Path], typer.Option("--ca-bundle", help="CA bundle to verify the endpoint's "
                                                                          "TLS certificate with.")] = None,
) -> None:
    """Print IAM Roles Anywhere credentials as a credential_process JSON document (aws_signing_helper's flags)."""
    import httpx

    try:
        leaf = _read_certificates(certificate)[0]
        key = _read_key(private_key)
        chain = _read_certificates(intermediates) if intermediates is not None else []
    except (OSError, ValueError) as exc:
        _fail(f"cannot read the certificate or key: {exc}")
    signing_region = region or (trust_anchor_arn.split(":")[3] if trust_anchor_arn.count(":") >= 5 else "")
    if not signing_region:
        _fail("--region is required when the trust anchor ARN names none")
    url = endpoint or f"https://rolesanywhere.{signing_region}.amazonaws.com"
    if "://" not in url:
        url = f"https://{url}"
    body: dict[str, Any] = {"durationSeconds": session_duration}
    if role_session_name is not None:
        body["roleSessionName"] = role_session_name
    target, headers, payload = signed_session_request(
        url, leaf, key, chain, signing_region,
        {"profileArn": profile_arn, "roleArn": role_arn, "trustAnchorArn": trust_anchor_arn}, body,
        dt.datetime.now(dt.timezone.utc))
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else True
    sent = {k: v for k, v in headers.items() if k != "host"}  # the client writes Host from the URL, identically
    try:
        res = httpx.post(target, headers=sent, content=payload, verify=verify, timeout=30)
    except httpx.HTTPError as exc:
        _fail(f"cannot reach {url}: {exc}")
    if res.status_code != 201:
        try:
            message = res.json().get("message", res.text)
        except ValueError:
            message = res.text
        _fail(f"{res.headers.get('x-amzn-errortype', res.status_code)}: {message}")
    creds = res.json()["credentialSet"][0]["credentials"]
    sys.stdout.write(json.dumps({"Version": 1, "AccessKeyId": creds["accessKeyId"],
                                 "SecretAccessKey": creds["secretAccessKey"], "SessionToken": creds["sessionToken"],
                                 "Expiration": creds["expiration"]}) + "\n")


def _fail(message: str) -> Any:
    sys.stderr.write(f"rolegate credential-process: {message}\n")
    raise typer.Exit(1)
