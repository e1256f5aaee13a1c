"""CreateSession requests signed by hand, written from the IAM Roles Anywhere User Guide ("Signing process")
and not from rolegate's code: both client dialects (the Python client's JSON body; aws_signing_helper's
query-string ARNs with a chunked body), so tests can also send what no well-behaved client would."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa


def _b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


@dataclass
class Signed:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    extra: dict[str, Any] = field(default_factory=dict)


def sign(leaf: x509.Certificate, leaf_key: Any, host: str, *, anchor_arn: str, profile_arn: str, role_arn: str,
         chain: tuple[x509.Certificate, ...] = (), go: bool = False, region: str = "us-east-1",
         when: dt.datetime | None = None, body_extra: dict[str, Any] | None = None,
         serial: int | None = None, algorithm: str | None = None) -> Signed:
    when = when or dt.datetime.now(dt.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    arns = {"profileArn": profile_arn, "roleArn": role_arn, "trustAnchorArn": anchor_arn}
    document: dict[str, Any] = {"durationSeconds": 900, **(body_extra or {})}
    if not go:
        document.update(arns)
    body = json.dumps(document).encode()
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(arns.items())) if go else ""
    headers = {"content-type": "application/json" if go else "application/x-amz-json-1.0", "host": host,
               "x-amz-date": amz_date, "x-amz-x509": _b64(leaf)}
    if chain:
        headers["x-amz-x509-chain"] = ",".join(_b64(c) for c in chain)
    signed = sorted(headers)
    canonical = "\n".join(["POST", "/sessions", query, "".join(f"{h}:{headers[h].strip()}\n" for h in signed),
                           ";".join(signed), hashlib.sha256(body).hexdigest()])
    is_rsa = isinstance(leaf_key, rsa.RSAPrivateKey)
    alg = algorithm or ("AWS4-X509-RSA-SHA256" if is_rsa else "AWS4-X509-ECDSA-SHA256")
    scope = f"{amz_date[:8]}/{region}/rolesanywhere/aws4_request"
    to_sign = f"{alg}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}".encode()
    if is_rsa:
        signature = leaf_key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = leaf_key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
    headers["authorization"] = (f"{alg} Credential={serial if serial is not None else leaf.serial_number}/{scope}, "
                                f"SignedHeaders={';'.join(signed)}, Signature={signature.hex()}")
    return Signed("POST", "/sessions", query, headers, body)
