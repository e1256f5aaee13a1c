"""Requests signed with an X.509 certificate's private key: IAM Roles Anywhere's SigV4 variant (CreateSession).

What the clients send (IAM Roles Anywhere User Guide, "Signing process",
https://docs.aws.amazon.com/rolesanywhere/latest/userguide/authentication-sign-process.html):
``X-Amz-X509`` is the leaf certificate (base64 DER), ``X-Amz-X509-Chain`` the intermediates (comma-separated
base64 DER), ``X-Amz-Date`` the time, and ``Authorization`` is
``ALG Credential=SERIAL/DATE/REGION/rolesanywhere/aws4_request, SignedHeaders=…, Signature=HEX`` with ALG one
of ``AWS4-X509-RSA-SHA256``, ``AWS4-X509-ECDSA-SHA256`` (``-SHA384``/``-SHA512`` too: the Python client names
its certificate's signature hash there, and still signs with SHA-256) or ``AWS4-X509-MLDSA``, and SERIAL the
leaf's serial number in decimal. The string to sign is SigV4's with ALG in place of ``AWS4-HMAC-SHA256``, over
the SigV4 canonical request (``auth.canonical``, shared with ``auth.sigv4``); the signature is RSA PKCS#1 v1.5
or ECDSA (DER), both over SHA-256, hex-encoded.

``verify`` checks, in this order, and answers ``AccessDeniedException`` for the first that fails: the
Authorization header and its scope (algorithm, five-part credential, service ``rolesanywhere``, terminator,
scope date = X-Amz-Date's date, serial = the leaf's), freshness (X-Amz-Date within five minutes of now, a
rolegate choice: the window the reference recommends), and the signature with the leaf's public key. It
proves possession of the leaf's key only; whether the leaf is trusted is the domain's question
(``rolegate.anywhere.sessions``), asked with the certificates returned here.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, padding, rsa

from rolegate.core.clock import Clock
from rolegate.core.errors import ClientError, IncompleteSignature

from . import canonical as _c
from .sigv4 import TERMINATOR, HttpRequest, parse_amz_date

__all__ = ["ALGORITHMS", "FRESHNESS_SECONDS", "X509Signer", "X509Verifier"]

SERVICE = "rolesanywhere"
FRESHNESS_SECONDS = 300
_RSA = ("AWS4-X509-RSA-SHA256", "AWS4-X509-RSA-SHA384", "AWS4-X509-RSA-SHA512")
_ECDSA = ("AWS4-X509-ECDSA-SHA256", "AWS4-X509-ECDSA-SHA384", "AWS4-X509-ECDSA-SHA512")
_MLDSA = ("AWS4-X509-MLDSA",)
ALGORITHMS = frozenset(_RSA + _ECDSA + _MLDSA)
_MLDSA_KEYS = (mldsa.MLDSA44PublicKey, mldsa.MLDSA65PublicKey, mldsa.MLDSA87PublicKey)


class X509AccessDenied(ClientError):
    code = "AccessDeniedException"
    status = 403


@dataclass(frozen=True, slots=True)
class X509Signer:
    """Who signed: the leaf certificate whose key made the signature, the intermediates sent with it, and the
    region and time of the signing scope."""

    leaf: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    region: str
    signed_at: dt.datetime


class X509Verifier:
    def __init__(self, clock: Clock, freshness_seconds: int = FRESHNESS_SECONDS) -> None:
        self._clock = clock
        self._freshness = freshness_seconds

    def verify(self, req: HttpRequest) -> X509Signer:
        headers = _c.collect_headers(req.headers, frozenset({"authorization", "x-amz-date", "x-amz-x509",
                                                             "x-amz-x509-chain"}))
        auth = _single(headers, "authorization")
        if auth is None:
            raise X509AccessDenied("Missing Authorization header: the request must be signed with the "
                                   "certificate's private key.")
        algorithm, credential, signed, signature = _parse_authorization(auth)
        serial, date, region, service, term = _scope(credential)
        if service != SERVICE or term != TERMINATOR:
            raise X509AccessDenied(f"Credential should be scoped to service '{SERVICE}' and terminator "
                                   f"'{TERMINATOR}'.")
        amz_date = _single(headers, "x-amz-date")
        when = _parse_date(amz_date)
        assert amz_date is not None
        if date != amz_date[:8]:
            raise X509AccessDenied("Date in Credential scope does not match the date of X-Amz-Date.")
        leaf = _certificate(_single(headers, "x-amz-x509"), "X-Amz-X509")
        chain_header = _single(headers, "x-amz-x509-chain")
        chain = tuple(_certificate(part.strip(), "X-Amz-X509-Chain") for part in chain_header.split(",")) \
            if chain_header else ()
        if not serial.isdigit() or int(serial) != leaf.serial_number:
            raise X509AccessDenied("The serial number in Credential is not the serial number of X-Amz-X509.")
        if "x-amz-x509" not in signed:
            raise X509AccessDenied("X-Amz-X509 must be a signed header.")
        if chain_header and "x-amz-x509-chain" not in signed:
            raise X509AccessDenied("X-Amz-X509-Chain must be a signed header.")
        now = self._clock.now()
        if abs((now - when).total_seconds()) > self._freshness:
            raise X509AccessDenied(f"Signature expired or not yet valid: X-Amz-Date {amz_date} is more than "
                                   f"{self._freshness} seconds from the server's time.")
        found = _c.collect_headers(req.headers, _c.wanted_headers(signed))
        body_hash = hashlib.sha256(req.body).hexdigest() if req.body else _c.EMPTY_SHA256
        canonical = _c.canonical_request(req.method.upper(), _c.canonical_uri(req.raw_path),
                                         _c.canonical_query(req.raw_query), _c.canonical_headers(found, signed),
                                         ";".join(signed), body_hash)
        scope = f"{date}/{region}/{service}/{TERMINATOR}"
        to_sign = _c.string_to_sign(amz_date, scope, canonical, algorithm).encode("utf-8")
        _check_signature(algorithm, leaf, signature, to_sign)
        return X509Signer(leaf, chain, region, when)


def _single(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise X509AccessDenied(f"Only one '{name}' header is allowed.")
    return values[0]


def _parse_authorization(header: str) -> tuple[str, str, tuple[str, ...], str]:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm not in ALGORITHMS:
        raise X509AccessDenied(f"Unsupported signing algorithm '{algorithm[:64]}'; expected one of "
                               f"{', '.join(sorted(ALGORITHMS))}.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
    if missing:
        raise X509AccessDenied(f"Authorization header requires {', '.join(missing)}.")
    signed = tuple(fields["SignedHeaders"].lower().split(";"))
    if "host" not in signed:
        raise X509AccessDenied("'Host' must be a signed header.")
    return algorithm, fields["Credential"], signed, fields["Signature"]


def _scope(credential: str) -> tuple[str, str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        raise X509AccessDenied("Credential must have exactly 5 slash-delimited elements, e.g. "
                               "serial/date/region/rolesanywhere/aws4_request.")
    return parts[0], parts[1], parts[2], parts[3], parts[4]


def _parse_date(value: str | None) -> dt.datetime:
    if value is None:
        raise X509AccessDenied("Missing X-Amz-Date header.")
    try:
        return parse_amz_date(value)  # SigV4's parser: by hand and cached, where strptime cost ~9 µs a call
    except IncompleteSignature:
        raise X509AccessDenied(f"X-Amz-Date must be YYYYMMDD'T'HHMMSS'Z', got '{value[:32]}'.") from None


def _certificate(value: str | None, header: str) -> x509.Certificate:
    if not value:
        raise X509AccessDenied(f"Missing {header} header.")
    certificate = _loaded(value)
    if certificate is None:
        raise X509AccessDenied(f"{header} is not a base64 DER X.509 certificate.")
    return certificate


@functools.lru_cache(maxsize=4096)
def _loaded(value: str) -> x509.Certificate | None:
    """The certificate a header carries, parsed once per distinct value: a client sends the same certificate
    with every request, and one parsed object keeps what ``cryptography`` derives from it (the public key, ready
    to verify: ~30 µs a request for P-256). A pure function of the header; bounded, so junk cannot grow it."""
    try:
        return x509.load_der_x509_certificate(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return None


def _check_signature(algorithm: str, leaf: x509.Certificate, signature: str, data: bytes) -> None:
    try:
        raw = bytes.fromhex(signature)
    except ValueError:
        raise X509AccessDenied("Signature must be hex-encoded.") from None
    key = leaf.public_key()
    try:
        if algorithm in _RSA and isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
        elif algorithm in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, data, ec.ECDSA(hashes.SHA256()))
        elif algorithm in _MLDSA and isinstance(key, _MLDSA_KEYS):
            key.verify(raw, data)
        else:
            raise X509AccessDenied(f"The signing algorithm {algorithm} does not match the certificate's key.")
    except InvalidSignature:
        raise X509AccessDenied("The request signature does not match the signature computed with the "
                               "certificate's public key.") from None
