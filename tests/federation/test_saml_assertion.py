"""The assertion checks in-process, with the request's time given (never by sleeping): expiry with the clock
skew, NotBefore, the SAML attributes AWS reads, encrypted assertions, and the NameQualifier AWS documents."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from rolegate.federation.saml_assertion import Recipients, SamlRejected, decode_response, verify_response
from rolegate.federation.saml_metadata import parse_idp_metadata
from rolegate.sts.saml import _saml_duration, name_qualifier
from tests.federation.pysaml2_idp import ATTR, SIGNIN, SamlIdp, aws_attributes

ROLE, PROVIDER = "arn:aws:iam::123456789012:role/r", "arn:aws:iam::123456789012:saml-provider/p"
SKEW = dt.timedelta(minutes=5)
RECIPIENTS = Recipients([SIGNIN, "https://{region}.signin.aws.amazon.com/saml"])
AUDIENCES = Recipients(["urn:amazon:webservices", SIGNIN])


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> SamlIdp:
    return SamlIdp(tmp_path_factory.mktemp("idp"))


def verify(idp: SamlIdp, encoded: str, now: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    md = parse_idp_metadata(idp.metadata())
    return verify_response(decode_response(encoded), md.signing_certificates, expected_issuer=md.entity_id,
                           now=now or dt.datetime.now(dt.timezone.utc), clock_skew=SKEW,
                           recipient_ok=RECIPIENTS, audiences_ok=AUDIENCES)


def test_claims_come_from_the_signed_assertion(idp: SamlIdp) -> None:
    a = verify(idp, idp.response(aws_attributes(ROLE, PROVIDER, **{"PrincipalTag:team": ["blue"],
                                                                   "TransitiveTagKeys": ["team"],
                                                                   "SessionDuration": ["1800"]})))
    assert a.role_pairs == ((ROLE, PROVIDER),)
    assert a.session_name == "alice" and a.session_duration == 1800
    assert a.principal_tags == (("team", "blue"),) and a.transitive_tag_keys == ("team",)
    assert a.subject_type == "persistent"


def test_the_role_pair_may_be_given_in_either_order(idp: SamlIdp) -> None:
    attrs = {ATTR + "Role": [f"{PROVIDER},{ROLE}"], ATTR + "RoleSessionName": ["alice"]}
    assert verify(idp, idp.response(attrs)).role_pairs == ((ROLE, PROVIDER),)


def test_an_expired_assertion_is_expired_token_exception(idp: SamlIdp) -> None:
    encoded = idp.response(aws_attributes(ROLE, PROVIDER))
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=15) + SKEW + dt.timedelta(seconds=5)
    with pytest.raises(SamlRejected) as exc:
        verify(idp, encoded, later)
    assert exc.value.code == "ExpiredTokenException"


def test_within_the_clock_skew_an_assertion_still_holds(idp: SamlIdp) -> None:
    encoded = idp.response(aws_attributes(ROLE, PROVIDER))
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=15) + SKEW - dt.timedelta(seconds=30)
    assert verify(idp, encoded, later).session_name == "alice"


def test_an_assertion_not_yet_valid_is_refused(idp: SamlIdp) -> None:
    encoded = idp.response(aws_attributes(ROLE, PROVIDER))
    earlier = dt.datetime.now(dt.timezone.utc) - SKEW - dt.timedelta(minutes=1)
    with pytest.raises(SamlRejected) as exc:
        verify(idp, encoded, earlier)
    assert exc.value.code == "InvalidIdentityToken"


def test_an_issuer_other_than_the_metadata_entity_is_refused(tmp_path: Path) -> None:
    other = SamlIdp(tmp_path, entity_id="https://other.rolegate.test/saml")
    md = parse_idp_metadata(other.metadata())
    with pytest.raises(SamlRejected):
        verify_response(decode_response(other.response(aws_attributes(ROLE, PROVIDER))), md.signing_certificates,
                        expected_issuer="https://idp.rolegate.test/saml", now=dt.datetime.now(dt.timezone.utc),
                        clock_skew=SKEW, recipient_ok=RECIPIENTS, audiences_ok=AUDIENCES)


def test_a_regional_sign_in_endpoint_is_an_accepted_recipient(idp: SamlIdp) -> None:
    regional = "https://eu-west-1.signin.aws.amazon.com/saml"
    assert verify(idp, idp.response(aws_attributes(ROLE, PROVIDER), recipient=regional)).recipient == regional


def test_an_encrypted_assertion_gets_a_clear_error(idp: SamlIdp) -> None:
    xml = idp.response_xml(aws_attributes(ROLE, PROVIDER))
    start, end = xml.index("<ns1:Assertion"), xml.index("</ns1:Assertion>") + len("</ns1:Assertion>")
    encrypted = xml[:start] + "<ns1:EncryptedAssertion><x/></ns1:EncryptedAssertion>" + xml[end:]
    with pytest.raises(SamlRejected) as exc:
        verify(idp, base64.b64encode(encrypted.encode()).decode())
    assert "encrypted" in exc.value.message


def test_a_document_with_a_dtd_is_refused(idp: SamlIdp) -> None:
    xml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + idp.response_xml(
        aws_attributes(ROLE, PROVIDER)).split("?>", 1)[1]
    with pytest.raises(SamlRejected):
        verify(idp, base64.b64encode(xml.encode()).decode())


def test_not_base64_is_refused() -> None:
    with pytest.raises(SamlRejected):
        decode_response("not base64 at all!")


def test_name_qualifier_is_the_documented_hash() -> None:
    # STS API reference, AssumeRoleWithSAML: BASE64(SHA1("https://example.com/saml" + "123456789012" + "/MySAMLIdP"))
    expected = base64.b64encode(hashlib.sha1(b"https://example.com/saml123456789012/MySAMLIdP").digest()).decode()
    assert name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP") == expected


def test_session_duration_caps_duration_seconds() -> None:
    assert _saml_duration(3600, 1800, 3600) == 1800
    assert _saml_duration(None, None, 3600) == 3600
    assert _saml_duration(900, 1800, 3600) == 900


def test_behind_the_one_assertion_rule_claims_still_come_only_from_what_was_signed(idp: SamlIdp) -> None:
    """The second line of defence against wrapping: even handed a document where the forged assertion is the
    one a naive reader finds, the verifier answers with the subtree the signature covers, or refuses."""
    from lxml import etree

    from rolegate.federation.saml_assertion import _signed_assertion

    ns = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    root = etree.fromstring(idp.response_xml(aws_attributes(ROLE, PROVIDER)).encode())
    signed = root.find("saml:Assertion", ns)
    assert signed is not None
    evil = etree.fromstring(etree.tostring(signed))
    evil.remove(evil.find("ds:Signature", ns))
    name_id = evil.find(".//saml:NameID", ns)
    assert name_id is not None
    name_id.text = "mallory"
    # The forged assertion carries the original's signature, whose Reference points at the original's ID.
    evil.insert(1, etree.fromstring(etree.tostring(signed.find("ds:Signature", ns))))
    root.replace(signed, evil)
    certs = parse_idp_metadata(idp.metadata()).signing_certificates
    try:
        verified = _signed_assertion(root, evil, certs)
    except SamlRejected:
        return  # refused: as good
    found = verified.find(".//saml:NameID", ns)
    assert found is not None and found.text == "alice-id"
