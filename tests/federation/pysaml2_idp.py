"""A real SAML identity provider for the tests: pysaml2's IdP ``Server``, signing with Debian's ``xmlsec1``.

Nothing here writes SAML by hand: the IdP publishes its own metadata (uploaded with CreateSAMLProvider) and
builds and signs real ``samlp:Response`` documents for the AWS sign-in endpoint, the service provider
``urn:amazon:webservices``. Tests that tamper with a response start from one of these.
"""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID
from lxml import etree

with warnings.catch_warnings():
    # pysaml2 names cryptography's CFB mode where cryptography has deprecated it; nothing here uses it.
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from saml2 import BINDING_HTTP_POST, xmldsig
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string
    from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
    from saml2.server import Server
    from saml2.sigver import RSA_OAEP_MGF1P, pre_encryption_part, pre_signature_part

ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
AES256_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
AES128_GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"
AWS_SP = "urn:amazon:webservices"
SIGNIN = "https://signin.aws.amazon.com/saml"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
# AWS's SP metadata, as far as pysaml2 needs it to address a response (the AssertionConsumerService).
_SP_METADATA = f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{AWS_SP}">
<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:AssertionConsumerService index="1" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
 Location="{SIGNIN}"/></md:SPSSODescriptor></md:EntityDescriptor>"""


def xmlsec_binary() -> str:
    found = shutil.which("xmlsec1")
    if found is None:
        pytest.fail("xmlsec1 is not installed: pysaml2 signs with it (apt-get install -y xmlsec1; .ci/run does)")
    return found


def key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class SamlIdp:
    """One pysaml2 IdP with its own key pair."""

    def __init__(self, directory: Path, entity_id: str = "https://idp.rolegate.test/saml", *,
                 name: str = "idp") -> None:
        self.entity_id = entity_id
        key, cert = key_pair(directory, name)
        config = IdPConfig()
        config.load({
            "entityid": entity_id, "key_file": str(key), "cert_file": str(cert),
            "xmlsec_binary": xmlsec_binary(),
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [(f"{entity_id}/sso", BINDING_HTTP_POST)]},
                "policy": {"default": {"lifetime": {"minutes": 15}, "name_form": URI_FORMAT}},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT]}},
            "metadata": {"inline": [_SP_METADATA]},
        })
        self._config = config
        self.server = Server(config=config)

    def metadata(self) -> str:
        """The IdP's own metadata document, as CreateSAMLProvider takes it."""
        return str(create_metadata_string(None, config=self._config, sign=False).decode("utf-8"))

    def response_xml(self, attributes: Mapping[str, Sequence[str]], *, subject: str = "alice-id",
                     recipient: str = SIGNIN, audience: str = AWS_SP, sign_response: bool = False,
                     sign_assertion: bool = True) -> str:
        """A signed Response for AWS (SHA-256): ``attributes`` by full Name."""
        response = self.server.create_authn_response(
            {k: list(v) for k, v in attributes.items()}, in_response_to=None, destination=recipient,
            sp_entity_id=audience, name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject),
            sign_assertion=sign_assertion, sign_response=sign_response, userid=subject,
            sign_alg=xmldsig.SIG_RSA_SHA256, digest_alg=xmldsig.DIGEST_SHA256)
        text = str(response)
        if recipient != SIGNIN:
            assert f'Recipient="{recipient}"' in text
        return text

    def encrypted_response(self, attributes: Mapping[str, Sequence[str]], sp_certificate: Path, *,
                           content: str = AES256_CBC, session_key: str = "aes-256", key_transport: str = RSA_OAEP_MGF1P,
                           sign_assertion: bool = True,
                           sign_response: bool = False, **kwargs: object) -> str:
        """The base64 SAMLAssertion parameter of a Response whose (signed) assertion pysaml2 encrypted with
        xmlsec1 to ``sp_certificate`` (the certificate of the key uploaded with AddPrivateKey): sign, then
        encrypt, as IdPs do. ``content`` is the XML-Enc content algorithm; the key travels RSA-OAEP."""
        xml = self.response_xml(attributes, sign_assertion=sign_assertion, **kwargs)  # type: ignore[arg-type]
        root = etree.fromstring(xml.encode("utf-8"))
        assertion = root.find(f"{{{ASSERTION_NS}}}Assertion")
        assert assertion is not None
        wrapper = etree.Element(f"{{{ASSERTION_NS}}}EncryptedAssertion")
        assertion.addprevious(wrapper)
        wrapper.append(assertion)
        cert_text = "".join(sp_certificate.read_text().splitlines()[1:-1])
        template = pre_encryption_part(msg_enc=content, key_enc=key_transport, encrypt_cert=cert_text)
        out = self.server.sec.encrypt_assertion(etree.tostring(root).decode("utf-8"), str(sp_certificate),
                                                str(template), key_type=session_key)
        if sign_response:
            # The IdP signs the Response over the ciphertext (its enveloped signature, SAML core §5.4): pysaml2's
            # signature template goes after the Issuer, and xmlsec1 fills it in.
            signed = etree.fromstring(out.encode("utf-8"))
            ident = signed.get("ID")
            part = pre_signature_part(ident, digest_alg=xmldsig.DIGEST_SHA256, sign_alg=xmldsig.SIG_RSA_SHA256)
            signed.find(f"{{{ASSERTION_NS}}}Issuer").addnext(etree.fromstring(str(part).encode("utf-8")))
            out = str(self.server.sec.sign_statement(etree.tostring(signed).decode("utf-8"),
                                                      "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                                                      node_id=ident))
        return base64.b64encode(out.encode("utf-8")).decode("ascii")

    def response(self, attributes: Mapping[str, Sequence[str]], **kwargs: object) -> str:
        """The base64 SAMLAssertion parameter."""
        return base64.b64encode(self.response_xml(attributes, **kwargs).encode("utf-8")).decode("ascii")  # type: ignore[arg-type]


def aws_attributes(role_arn: str, provider_arn: str, session_name: str | None = "alice",
                   **extra: Sequence[str]) -> dict[str, Sequence[str]]:
    """The attributes AWS reads: the Role pair and RoleSessionName, plus ``extra`` (Name suffix → values)."""
    out: dict[str, Sequence[str]] = {ATTR + "Role": [f"{role_arn},{provider_arn}"]}
    if session_name is not None:
        out[ATTR + "RoleSessionName"] = [session_name]
    for name, values in extra.items():
        out[ATTR + name] = values
    return out
