"""Reading IdP metadata: the signing certificates and validity come out; hostile or unusable XML is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from rolegate.federation.saml_metadata import MetadataError, parse_idp_metadata

from .saml_fixtures import BILLION_LAUGHS, idp_metadata, self_signed_certificate_b64, xxe_document


def test_signing_certificate_entity_id_and_valid_until_are_extracted() -> None:
    cert = self_signed_certificate_b64()
    meta = parse_idp_metadata(idp_metadata(cert, entity_id="https://idp.test/x"))
    assert meta.signing_certificates == (cert,)
    assert meta.entity_id == "https://idp.test/x"
    assert meta.valid_until == dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)


def test_a_key_without_use_counts_as_a_signing_key() -> None:
    cert = self_signed_certificate_b64()
    assert parse_idp_metadata(idp_metadata(cert, use=None)).signing_certificates == (cert,)


def test_certificate_text_with_line_breaks_is_normalised() -> None:
    cert = self_signed_certificate_b64()
    wrapped = "\n".join(cert[i:i + 64] for i in range(0, len(cert), 64))
    assert parse_idp_metadata(idp_metadata(wrapped)).signing_certificates == (cert,)


def test_encryption_only_keys_are_not_signing_keys() -> None:
    with pytest.raises(MetadataError, match="no signing certificate"):
        parse_idp_metadata(idp_metadata(use="encryption"))


def test_an_extra_encryption_key_is_ignored_beside_the_signing_key() -> None:
    cert = self_signed_certificate_b64()
    other = self_signed_certificate_b64("enc")
    extra = (f'<md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
             f'<ds:X509Data><ds:X509Certificate>{other}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
             f'</md:KeyDescriptor>')
    assert parse_idp_metadata(idp_metadata(cert, extra_keys=extra)).signing_certificates == (cert,)


def test_no_valid_until_is_none() -> None:
    assert parse_idp_metadata(idp_metadata(valid_until=None)).valid_until is None


def test_entities_descriptor_yields_its_idp() -> None:
    cert = self_signed_certificate_b64()
    inner = idp_metadata(cert).split("?>", 1)[1]
    doc = (f'<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
           f'validUntil="2090-06-01T00:00:00Z">{inner}</md:EntitiesDescriptor>')
    meta = parse_idp_metadata(doc)
    assert meta.signing_certificates == (cert,)
    assert meta.valid_until == dt.datetime(2090, 6, 1, tzinfo=dt.timezone.utc)  # the earlier of the two


def test_not_xml_is_refused() -> None:
    with pytest.raises(MetadataError, match="not well-formed XML"):
        parse_idp_metadata("this is not xml " * 100)


def test_billion_laughs_is_refused_without_expanding() -> None:
    with pytest.raises(MetadataError, match="DTDs and entity declarations are not allowed"):
        parse_idp_metadata(BILLION_LAUGHS)


def test_external_entity_is_refused_and_never_read() -> None:
    with pytest.raises(MetadataError, match="DTDs and entity declarations are not allowed"):
        parse_idp_metadata(xxe_document())


def test_a_document_without_an_idp_descriptor_is_refused() -> None:
    doc = idp_metadata().replace("IDPSSODescriptor", "SPSSODescriptor")
    with pytest.raises(MetadataError, match="no IDPSSODescriptor"):
        parse_idp_metadata(doc)


def test_a_wrong_root_element_is_refused() -> None:
    with pytest.raises(MetadataError, match="root element"):
        parse_idp_metadata("<html><body>" + "x" * 1000 + "</body></html>")


def test_an_invalid_certificate_is_refused() -> None:
    with pytest.raises(MetadataError, match="not a valid base64 DER"):
        parse_idp_metadata(idp_metadata("TUlJQ2Zha2VjZXJ0"))  # base64, but not a certificate


def test_non_base64_certificate_text_is_refused() -> None:
    with pytest.raises(MetadataError, match="not a valid base64 DER"):
        parse_idp_metadata(idp_metadata("%%%not-base64%%%"))


def test_a_malformed_valid_until_is_refused() -> None:
    with pytest.raises(MetadataError, match="validUntil"):
        parse_idp_metadata(idp_metadata(valid_until="next tuesday"))
