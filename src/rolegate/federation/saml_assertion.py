"""A SAML 2.0 ``samlp:Response`` as AssumeRoleWithSAML reads it: the signature checked against the provider's
signing certificates, the conditions AWS applies, and the claims — read only from the XML the signature covers.

Rules followed (docs/spec/federation.md, section "SAML", lists them in order with the tests that pin them):
- IAM User Guide, "Configure SAML assertions for the authentication response"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html): one
  ``SubjectConfirmation`` whose ``SubjectConfirmationData`` has ``NotOnOrAfter`` and a ``Recipient`` that is
  the sign-in endpoint; the ``Role``, ``RoleSessionName``, ``SessionDuration``, ``PrincipalTag:*``,
  ``TransitiveTagKeys`` and ``SourceIdentity`` attributes; the audience.
- SAML 2.0 core (saml-core-2.0-os) §2.5.1 ``Conditions`` (NotBefore / NotOnOrAfter), §2.4.1.2
  ``SubjectConfirmationData``; XML-DSig as profiled by SAML (§5.4): the signature is enveloped in the signed
  element and references it by its ``ID``.

Signature wrapping (an attacker keeps a signed element and moves an unsigned one where a naive reader
looks) is closed by construction: ``signxml`` returns the subtree the signature actually covers, re-parsed
from its canonical form, and every claim is read from that subtree alone; besides, the document must carry
exactly one assertion, which must be the signed one (or inside the signed response). Canonicalization
drops comments, so a comment inside a NameID or attribute value cannot truncate what is read.

Documents come from callers: no DTD, no entities, no network, bounded by the model's 100,000 characters.
Every refusal is a ``SamlRejected`` carrying the AWS error code and message to return.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml import InvalidInput, InvalidSignature, SignatureConfiguration, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from .saml_encryption import DecryptionFailed, decrypt_assertion

PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"
ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"

ATTR = "https://aws.amazon.com/SAML/Attributes/"
ROLE_ATTR = ATTR + "Role"
SESSION_NAME_ATTR = ATTR + "RoleSessionName"
SESSION_DURATION_ATTR = ATTR + "SessionDuration"
PRINCIPAL_TAG_ATTR = ATTR + "PrincipalTag:"
TRANSITIVE_ATTR = ATTR + "TransitiveTagKeys"
SOURCE_IDENTITY_ATTR = ATTR + "SourceIdentity"

# SHA-1 is what many IdPs (AD FS among them) still sign with, and AWS accepts it; MD5 is refused (its
# digests and signatures are not in these sets), as are HMAC methods (a shared secret is no IdP key).
_SIGNATURE_METHODS = frozenset(m for m in SignatureMethod if "HMAC" not in m.name and "MD5" not in m.name)
_DIGESTS = frozenset(d for d in DigestAlgorithm if "MD5" not in d.name)
_A, _P = f"{{{ASSERTION_NS}}}", f"{{{PROTOCOL_NS}}}"  # Clark-notation prefixes of the two SAML namespaces
_ASSERTION = _A + "Assertion"
_ENCRYPTED_ASSERTION = _A + "EncryptedAssertion"
_SIGNATURE = f"{{{DS_NS}}}Signature"
_MAX_DOCUMENT_BYTES = 100_000

# AWS's messages where AWS documents them (IAM User Guide, "Troubleshoot SAML federation with IAM",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html: "Response signature invalid",
# "Response does not contain the required audience"); the others are rolegate's wording in AWS's form.
INVALID_RESPONSE = "Invalid SAML response received"
NOT_SIGNED = "Invalid SAML response received: the response or its assertion must be signed."
BAD_SIGNATURE = "Response signature invalid"
WRONG_AUDIENCE = "Response does not contain the required audience."
ONE_ASSERTION = "Invalid SAML response received: the response must carry exactly one assertion."
NO_PRIVATE_KEY = "Invalid SAML response received: the assertion is encrypted, and this SAML provider has no " \
                 "private key to decrypt it."
UNDECRYPTABLE = "Invalid SAML response received: the encrypted assertion could not be decrypted with the " \
                "SAML provider's private keys."
PLAINTEXT_REFUSED = "Invalid SAML response received: this SAML provider requires encrypted assertions."
EXPIRED = "Token must be redeemed within 5 minutes of issuance"


class SamlRejected(Exception):
    """The response is refused; ``code`` is AWS's error code (InvalidIdentityToken, ExpiredTokenException,
    IDPRejectedClaim, MalformedPolicyDocument…), ``message`` what the caller is told."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _invalid(message: str = INVALID_RESPONSE) -> SamlRejected:
    return SamlRejected("InvalidIdentityToken", message)


def _rejected_claim(message: str) -> SamlRejected:
    return SamlRejected("IDPRejectedClaim", message)


@dataclass(frozen=True, slots=True)
class SamlAssertion:
    """What a verified assertion says, every value taken from the signed XML."""

    assertion_id: str
    issuer: str
    subject: str
    subject_format: str | None  # NameID's Format, as given
    recipient: str
    audiences: tuple[str, ...]
    not_on_or_after: dt.datetime  # the earliest of the Conditions' and the SubjectConfirmationData's
    role_pairs: tuple[tuple[str, str], ...]  # (role ARN, provider ARN), either order in the attribute
    session_name: str | None
    session_duration: int | None
    principal_tags: tuple[tuple[str, str], ...]
    transitive_tag_keys: tuple[str, ...]
    source_identity: str | None
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # every attribute, by Name

    @property
    def subject_type(self) -> str:
        """AssumeRoleWithSAML's SubjectType: the format without the ``nameid-format`` prefix of SAML 2.0
        formats, any other format as given (STS API reference, AssumeRoleWithSAML response)."""
        fmt = self.subject_format or f"{NAMEID_PREFIX}unspecified"
        return fmt[len(NAMEID_PREFIX):] if fmt.startswith(NAMEID_PREFIX) else fmt


def decode_response(encoded: str) -> bytes:
    """The response's XML from the base64 SAMLAssertion parameter (whitespace, as form posts wrap it, ignored)."""
    try:
        raw = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _invalid() from None
    if not raw or len(raw) > _MAX_DOCUMENT_BYTES:
        raise _invalid()
    return raw


def verify_response(raw: bytes, certificates: Sequence[str], *, expected_issuer: str, now: dt.datetime,
                    clock_skew: dt.timedelta, recipient_ok: Recipients, audiences_ok: Audiences,
                    decryption_keys: Sequence[rsa.RSAPrivateKey] = (),
                    encryption_required: bool = False) -> SamlAssertion:
    """Verify ``raw`` (a samlp:Response) against ``certificates`` (base64 DER, the provider's signing
    certificates) and the conditions; return its claims or raise ``SamlRejected``.

    An ``EncryptedAssertion`` is decrypted with ``decryption_keys`` (the provider's private keys) and then
    checked exactly as a plaintext one; ``encryption_required`` (AssertionEncryptionMode Required) refuses a
    plaintext assertion."""
    root = _parse(raw)
    if root.tag != f"{{{PROTOCOL_NS}}}Response":
        raise _invalid()
    encrypted = list(root.iterdescendants(_ENCRYPTED_ASSERTION))
    if encrypted:
        return _verify_encrypted(root, encrypted, certificates, decryption_keys, expected_issuer=expected_issuer,
                                 now=now, skew=clock_skew, recipient_ok=recipient_ok, audiences_ok=audiences_ok)
    if encryption_required:
        raise _invalid(PLAINTEXT_REFUSED)
    assertions = list(root.iterdescendants(_ASSERTION))
    if len(assertions) != 1 or assertions[0].getparent() is not root:
        # Exactly one assertion, a child of the response: no second one for a reader to be confused by.
        raise _invalid(ONE_ASSERTION)
    assertion = _signed_assertion(root, assertions[0], certificates)
    return _claims(root, assertion, expected_issuer=expected_issuer, now=now, skew=clock_skew,
                   recipient_ok=recipient_ok, audiences_ok=audiences_ok)


def _verify_encrypted(root: etree._Element, encrypted: Sequence[etree._Element], certificates: Sequence[str],
                      keys: Sequence[rsa.RSAPrivateKey], *, expected_issuer: str, now: dt.datetime,
                      skew: dt.timedelta, recipient_ok: Recipients, audiences_ok: Audiences) -> SamlAssertion:
    if not keys:
        # The provider was created without AddPrivateKey: there is nothing to decrypt with.
        raise _invalid(NO_PRIVATE_KEY)
    if len(encrypted) != 1 or encrypted[0].getparent() is not root \
            or root.find(f".//{{{ASSERTION_NS}}}Assertion") is not None:
        raise _invalid(ONE_ASSERTION)  # one assertion in all, encrypted, a child of the Response
    response_signed = root.find(f"{{{DS_NS}}}Signature") is not None
    container, original = root, encrypted[0]
    if response_signed:
        # The Response's signature covers the ciphertext: decrypt only what it covers.
        container = _verified(root, certificates)
        if container.tag != root.tag or container.get("ID") != root.get("ID"):
            raise _invalid(BAD_SIGNATURE)
        inside = container.findall(_ENCRYPTED_ASSERTION)
        if len(inside) != 1:
            raise _invalid(ONE_ASSERTION)
        encrypted = inside
    try:
        plain = decrypt_assertion(encrypted[0], keys)
    except DecryptionFailed:
        raise _invalid(UNDECRYPTABLE) from None
    assertion = _in_context(plain, _context(encrypted[0], original))
    if assertion.tag != f"{{{ASSERTION_NS}}}Assertion" or assertion.find(f".//{{{ASSERTION_NS}}}Assertion") \
            is not None or assertion.find(f".//{_ENCRYPTED_ASSERTION}") is not None:
        raise _invalid(ONE_ASSERTION)
    if assertion.find(f"{{{DS_NS}}}Signature") is not None:
        signed = _check_assertion(assertion, certificates)  # the assertion's own signature must hold too
    elif response_signed:
        signed = assertion  # decrypted from ciphertext the verified Response signature covers
    else:
        raise _invalid(NOT_SIGNED)
    return _claims(container, signed, expected_issuer=expected_issuer, now=now, skew=skew,
                   recipient_ok=recipient_ok, audiences_ok=audiences_ok)


_PROTECTED_NS = frozenset({PROTOCOL_NS, ASSERTION_NS, DS_NS})


def _context(signed: etree._Element, original: etree._Element) -> dict[str | None, str]:
    """The namespace declarations in scope where the EncryptedAssertion stood. Those of the signed copy come
    first; exclusive canonicalization keeps only the prefixes the envelope itself uses, so the others (``xsi``
    for AttributeValue types) come from the document as sent — unsigned, so none of them may name a SAML or
    XML-DSig namespace (rolegate choice: an unsigned declaration cannot turn the IdP's other elements into
    SAML ones)."""
    context: dict[str | None, str] = dict(signed.nsmap)
    for prefix, uri in original.nsmap.items():
        if prefix not in context and uri not in _PROTECTED_NS:
            context[prefix] = uri
    return context


def _in_context(plain: bytes, nsmap: dict[str | None, str]) -> etree._Element:
    """The decrypted element, parsed in the context of the element it replaces: "the cleartext octet sequence
    is ... parsed in the context of the [replaced] element" (XML Encryption 1.1 §4.5.3), so the namespace
    prefixes the IdP declared further up (on the Response) resolve. Same parser and limits as the document."""
    declarations = "".join(f" xmlns:{prefix}={quoteattr(uri)}" if prefix else f" xmlns={quoteattr(uri)}"
                           for prefix, uri in nsmap.items())
    wrapper = _parse(f"<rolegate-decrypted{declarations}>".encode("utf-8") + plain + b"</rolegate-decrypted>")
    children = list(wrapper)
    if len(children) != 1 or (wrapper.text or "").strip() or (children[0].tail or "").strip():
        raise _invalid(ONE_ASSERTION)
    element = children[0]
    wrapper.remove(element)
    return element


class Recipients:
    """The accepted SubjectConfirmationData Recipients: exact URLs, or patterns with ``{region}`` standing
    for one region code (``https://{region}.signin.aws.amazon.com/saml``)."""

    def __init__(self, accepted: Sequence[str]) -> None:
        self._exact = frozenset(a for a in accepted if "{region}" not in a)
        self._patterns = tuple(re.compile("^" + re.escape(a).replace(re.escape("{region}"), "[a-z]{2}(-[a-z]+)+-\\d")
                                          + "$") for a in accepted if "{region}" in a)

    def __call__(self, value: str) -> bool:
        return value in self._exact or any(p.match(value) for p in self._patterns)


Audiences = Recipients  # the same matching: exact values or ``{region}`` patterns


def _parse(raw: bytes) -> etree._Element:
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise _invalid()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=False, remove_pis=True)
    try:
        return etree.fromstring(raw, parser=parser)
    except etree.XMLSyntaxError:
        raise _invalid() from None


def _signed_assertion(root: etree._Element, assertion: etree._Element,
                      certificates: Sequence[str]) -> etree._Element:
    """The assertion as the verified signature covers it: from the signed response, else the signed
    assertion. Never the element found in the document."""
    response_signed = _first(root, _SIGNATURE) is not None
    assertion_signed = _first(assertion, _SIGNATURE) is not None
    if response_signed:
        signed = _verified(root, certificates)
        if signed.tag != root.tag or signed.get("ID") != root.get("ID"):
            raise _invalid(BAD_SIGNATURE)
        inside = _children(signed, _ASSERTION)
        if len(inside) != 1:
            raise _invalid()
        if not assertion_signed:
            return inside[0]
        # Both signed: the assertion's own signature must hold too.
        return _check_assertion(assertion, certificates)
    if assertion_signed:
        return _check_assertion(assertion, certificates)
    raise _invalid(NOT_SIGNED)


def _check_assertion(assertion: etree._Element, certificates: Sequence[str]) -> etree._Element:
    signed = _verified(assertion, certificates)
    if signed.tag != assertion.tag or signed.get("ID") != assertion.get("ID"):
        raise _invalid(BAD_SIGNATURE)
    return signed


def _verified(element: etree._Element, certificates: Sequence[str]) -> etree._Element:
    """The subtree ``element``'s enveloped signature covers, verified with one of ``certificates``."""
    data = etree.tostring(element)
    # The signature must be the element's own child ("./"), reference that element, and be the only one.
    for cert in certificates:
        loaded = _signing_certificate(cert)
        if loaded is None:
            continue
        certificate, config = loaded
        try:
            result = XMLVerifier().verify(data, x509_cert=certificate, expect_config=config, id_attribute="ID")
        except (InvalidSignature, InvalidInput, etree.XMLSyntaxError, ValueError):
            continue
        if isinstance(result, list):
            continue
        signed = result.signed_xml
        if signed is None:
            continue
        return signed
    raise _invalid(BAD_SIGNATURE)


@functools.lru_cache(maxsize=256)
def _signing_certificate(cert: str) -> tuple[x509.Certificate, SignatureConfiguration] | None:
    """A metadata signing certificate (base64 DER) loaded once, with the signature configuration it is checked
    under; None when it does not load. Both are immutable, so one object serves every request and thread."""
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(cert))
    except ValueError:
        return None
    # IAM trusts the certificates the metadata lists whatever their validity dates (rotation happens in the
    # metadata), so signxml checks the certificate at a time inside its period; the assertion's own times are
    # checked in ``_claims``.
    config = SignatureConfiguration(location="./", expect_references=1, signature_methods=_SIGNATURE_METHODS,
                                    digest_algorithms=_DIGESTS, ignore_ambiguous_key_info=True,
                                    verification_time=certificate.not_valid_before_utc)
    return certificate, config


def _claims(root: etree._Element, assertion: etree._Element, *, expected_issuer: str, now: dt.datetime,
            skew: dt.timedelta, recipient_ok: Recipients, audiences_ok: Audiences) -> SamlAssertion:
    status = _first(root, _P + "Status", _P + "StatusCode")
    if status is not None and status.get("Value") != SUCCESS:
        raise _invalid()
    issuer = _text(_first(assertion, _A + "Issuer"))
    if issuer != expected_issuer:
        raise _invalid("Issuer of the SAML assertion does not match the metadata of the SAML provider.")
    assertion_id = assertion.get("ID") or ""
    if not assertion_id:
        raise _invalid()

    name_id = _first(assertion, _A + "Subject", _A + "NameID")
    if name_id is None:
        raise _invalid()
    confirmations = _children(assertion, _A + "Subject", _A + "SubjectConfirmation")
    if len(confirmations) != 1 or confirmations[0].get("Method") != BEARER:
        raise _invalid()
    data = _first(confirmations[0], _A + "SubjectConfirmationData")
    if data is None or data.get("Recipient") is None or data.get("NotOnOrAfter") is None:
        raise _invalid()
    recipient = data.get("Recipient") or ""
    if not recipient_ok(recipient):
        raise _invalid("Invalid SAML response received: the Recipient is not an accepted sign-in endpoint.")

    conditions = _first(assertion, _A + "Conditions")
    not_before = _time(conditions.get("NotBefore") if conditions is not None else None)
    limits = [_time(data.get("NotOnOrAfter")),
              _time(conditions.get("NotOnOrAfter") if conditions is not None else None)]
    not_on_or_after = min(t for t in limits if t is not None)
    if now >= not_on_or_after + skew:
        raise SamlRejected("ExpiredTokenException", EXPIRED)
    if not_before is not None and now + skew < not_before:
        raise _invalid("Invalid SAML response received: the assertion is not yet valid (NotBefore).")
    audiences = tuple(_text(a) for a in _children(assertion, _A + "Conditions", _A + "AudienceRestriction",
                                                  _A + "Audience"))
    # saml-core §2.5.1.4: every AudienceRestriction must name us; AWS needs one naming its endpoint.
    restrictions = _children(assertion, _A + "Conditions", _A + "AudienceRestriction")
    if not restrictions or not all(any(audiences_ok(_text(a)) for a in _children(r, _A + "Audience"))
                                   for r in restrictions):
        raise _invalid(WRONG_AUDIENCE)

    attributes: dict[str, tuple[str, ...]] = {}
    for attr in _children(assertion, _A + "AttributeStatement", _A + "Attribute"):
        name = attr.get("Name") or ""
        values = tuple(_text(v) for v in _children(attr, _A + "AttributeValue"))
        attributes[name] = attributes.get(name, ()) + values
    return SamlAssertion(
        assertion_id=assertion_id, issuer=issuer, subject=_text(name_id), subject_format=name_id.get("Format"),
        recipient=recipient, audiences=audiences, not_on_or_after=not_on_or_after,
        role_pairs=_role_pairs(attributes.get(ROLE_ATTR, ())),
        session_name=_single(attributes, SESSION_NAME_ATTR),
        session_duration=_duration(_single(attributes, SESSION_DURATION_ATTR)),
        principal_tags=tuple((name[len(PRINCIPAL_TAG_ATTR):], values[0] if values else "")
                             for name, values in attributes.items() if name.startswith(PRINCIPAL_TAG_ATTR)),
        transitive_tag_keys=attributes.get(TRANSITIVE_ATTR, ()),
        source_identity=_single(attributes, SOURCE_IDENTITY_ATTR), attributes=attributes)


def _children(element: etree._Element, *path: str) -> list[etree._Element]:
    """What ``element.findall("a/b/…")`` finds for Clark-notation ``path`` tags: children of children, in
    document order, elements only (a comment's or PI's ``tag`` is not a string). Walked child by child, which
    costs a fraction of ElementPath's parsing of the path on every call."""
    found = [element]
    for tag in path:
        found = [child for parent in found for child in parent if child.tag == tag]
    return found


def _first(element: etree._Element, *path: str) -> etree._Element | None:
    """What ``element.find("a/b/…")`` finds: the first of ``_children``."""
    found = _children(element, *path)
    return found[0] if found else None


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _single(attributes: dict[str, tuple[str, ...]], name: str) -> str | None:
    values = attributes.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise _rejected_claim(f"The SAML attribute {name} must have exactly one value.")
    return values[0]


def _duration(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise _rejected_claim("The SessionDuration attribute must be an integer number of seconds.")
    return int(value)


def _role_pairs(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """Each ``Role`` value is "role ARN,provider ARN" in either order (IAM User Guide, "Role attribute")."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 2:
            continue
        a, b = parts
        if ":saml-provider/" in a and ":role/" in b:
            a, b = b, a
        if ":role/" in a and ":saml-provider/" in b:
            pairs.append((a, b))
    return tuple(pairs)


def _time(raw: str | None) -> dt.datetime | None:
    if raw is None:
        return None
    try:
        when = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _invalid() from None
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)
