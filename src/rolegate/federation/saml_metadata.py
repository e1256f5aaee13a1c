"""SAML 2.0 identity-provider metadata: the IdP's signing certificates and ``validUntil``, read safely.

Implements the parts of "Metadata for the OASIS Security Assertion Markup Language (SAML) V2.0"
(saml-metadata-2.0-os) that an SP needs to trust an IdP: §2.3.1/§2.3.2 ``EntityDescriptor`` /
``EntitiesDescriptor`` with their ``validUntil`` attribute, §2.4.3 ``IDPSSODescriptor`` and §2.4.1.1
``KeyDescriptor`` (``use="signing"``, or no ``use``: valid for both signing and encryption), whose
``ds:KeyInfo/ds:X509Data/ds:X509Certificate`` holds a base64 DER certificate (XML-DSig §4.4.4).

Documents come from callers, so parsing is hostile-input parsing: ``defusedxml`` refuses any DTD
(so no entity expansion — billion laughs, quadratic blowup — and no external entities: XXE), and
nothing is ever fetched. Every failure is a ``MetadataError`` with a message fit to show the caller.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_et
from cryptography import x509
from defusedxml import DefusedXmlException

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol"

_ENTITY = f"{{{MD_NS}}}EntityDescriptor"
_ENTITIES = f"{{{MD_NS}}}EntitiesDescriptor"
_IDP = f"{{{MD_NS}}}IDPSSODescriptor"
_KEY = f"{{{MD_NS}}}KeyDescriptor"
_X509 = f"{{{DS_NS}}}KeyInfo/{{{DS_NS}}}X509Data/{{{DS_NS}}}X509Certificate"


class MetadataError(ValueError):
    """The document is not usable IdP metadata; the message says why."""


@dataclass(frozen=True, slots=True)
class IdpMetadata:
    entity_id: str
    signing_certificates: tuple[str, ...]  # base64 DER, whitespace removed, in document order
    valid_until: dt.datetime | None  # the earliest validUntil on the path to the IdP descriptor


def parse_idp_metadata(document: str) -> IdpMetadata:
    """The first SAML 2.0 IdP in ``document`` with its signing certificates; ``MetadataError`` if none."""
    root = _parse(document)
    if root.tag == _ENTITY:
        candidates = [(root, [root])]
    elif root.tag == _ENTITIES:
        candidates = [(e, [root, e]) for e in root.iter(_ENTITY)]
    else:
        raise MetadataError("Invalid SAML metadata document: the root element must be an md:EntityDescriptor "
                            "or md:EntitiesDescriptor.")
    for entity, ancestors in candidates:
        for idp in entity.findall(_IDP):
            # §2.4.3: the descriptor must list the SAML 2.0 protocol to be a SAML 2.0 IdP.
            if SAML2_PROTOCOL not in idp.get("protocolSupportEnumeration", "").split():
                continue
            entity_id = entity.get("entityID")
            if not entity_id:
                raise MetadataError("Invalid SAML metadata document: the EntityDescriptor has no entityID.")
            certs = _signing_certificates(idp)
            valid_until = _earliest(_valid_until(e) for e in [*ancestors, idp])
            return IdpMetadata(entity_id, certs, valid_until)
    raise MetadataError("Invalid SAML metadata document: no IDPSSODescriptor supporting the SAML 2.0 protocol "
                        "was found.")


def _parse(document: str) -> Element:
    try:
        # forbid_dtd: a DTD is never needed in metadata, and refusing it closes every entity trick at once.
        return safe_et.fromstring(document, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise MetadataError("Invalid SAML metadata document: DTDs and entity declarations are not "
                            "allowed.") from None
    except safe_et.ParseError as exc:
        raise MetadataError(f"Invalid SAML metadata document: not well-formed XML ({exc}).") from None


def _signing_certificates(idp: Element) -> tuple[str, ...]:
    certs: list[str] = []
    for key in idp.findall(_KEY):
        if key.get("use", "signing") != "signing":
            continue  # use="encryption" keys do not sign assertions
        for node in key.findall(_X509):
            certs.append(_checked_certificate(node.text or ""))
    if not certs:
        raise MetadataError("Invalid SAML metadata document: the IDPSSODescriptor has no signing certificate "
                            "(KeyDescriptor with an X509Certificate).")
    return tuple(certs)


def _checked_certificate(text: str) -> str:
    b64 = "".join(text.split())
    try:
        der = base64.b64decode(b64, validate=True)
        x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        raise MetadataError("Invalid SAML metadata document: an X509Certificate is not a valid base64 "
                            "DER X.509 certificate.") from None
    return b64


def _valid_until(element: Element) -> dt.datetime | None:
    raw = element.get("validUntil")
    if raw is None:
        return None
    try:
        # xs:dateTime as SAML uses it (§1.3.4): UTC, usually with a trailing Z.
        when = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MetadataError(f"Invalid SAML metadata document: validUntil {raw!r} is not an "
                            f"xs:dateTime.") from None
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)


def _earliest(values: Iterable[dt.datetime | None]) -> dt.datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None
