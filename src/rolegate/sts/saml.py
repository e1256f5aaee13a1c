"""AssumeRoleWithSAML's rules beyond the assertion itself: the settings it checks against, the session name
and duration the assertion asks for, its session tags, the ``saml:*`` condition keys and NameQualifier, and
the replay key. ``StsService.assume_role_with_saml`` applies them in the order docs/spec/federation.md lists.

Sources: STS API reference, AssumeRoleWithSAML
(https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html); IAM User Guide,
"Configure SAML assertions for the authentication response"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html) and
"Available keys for SAML-based AWS STS federation"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from rolegate.core.errors import ClientError, InvalidIdentityToken, ValidationError
from rolegate.federation.saml_assertion import (Audiences, Recipients, SamlAssertion, SamlRejected, decode_response,
                                                verify_response)
from rolegate.federation.saml_encryption import load_private_key
from rolegate.federation.saml_metadata import IdpMetadata, MetadataError, parse_idp_metadata

# Statuses of the codes a refused assertion carries (STS API reference, AssumeRoleWithSAML, Errors).
_STATUS = {"InvalidIdentityToken": 400, "ExpiredTokenException": 400, "IDPRejectedClaim": 403}
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_SOURCE_IDENTITY = re.compile(r"[a-zA-Z_0-9+=,.@-]{2,64}")  # matched whole (fullmatch): no trailing newline
MIN_SESSION_DURATION, MAX_SESSION_DURATION = 900, 43_200
DEFAULT_DURATION = 3600
DEFAULT_SKEW = dt.timedelta(minutes=5)
# The sign-in host of each partition: a Recipient must be its own partition's endpoint.
_SIGNIN_DOMAINS = {"aws": "signin.aws.amazon.com", "aws-cn": "signin.amazonaws.cn",
                   "aws-us-gov": "signin.amazonaws-us-gov.com"}

# "Available keys for SAML-based AWS STS federation": the attribute keys, by the attribute Name (OID URN) that
# fills them; ``saml:cn`` etc. are filled by the OIDs of the same directory attributes.
_ATTRIBUTE_KEYS = {
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "saml:edupersonaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.11": "saml:edupersonassurance",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.7": "saml:edupersonentitlement",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.2": "saml:edupersonnickname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.3": "saml:edupersonorgdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.4": "saml:edupersonorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.5": "saml:edupersonprimaryaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.8": "saml:edupersonprimaryorgunitdn",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "saml:edupersonprincipalname",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": "saml:edupersonscopedaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "saml:edupersontargetedid",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.2": "saml:eduorghomepageuri",
    "urn:oid:1.3.6.1.4.1.5923.1.2.1.3": "saml:eduorglegalname",
    "urn:oid:2.5.4.3": "saml:cn",
    "urn:oid:2.5.4.42": "saml:givenName",
    "urn:oid:2.5.4.4": "saml:surname",
    "urn:oid:0.9.2342.19200300.100.1.3": "saml:mail",
    "urn:oid:0.9.2342.19200300.100.1.1": "saml:uid",
    "urn:oid:2.5.4.10": "saml:o",
    "urn:oid:2.16.840.1.113730.3.1.241": "saml:displayName",
}


class SamlChecks:
    """The settings an assertion is checked against: accepted Recipients and Audiences, and the clock skew."""

    def __init__(self, recipients: Sequence[str] = (), audiences: Sequence[str] = (), *,
                 skew: dt.timedelta = DEFAULT_SKEW) -> None:
        self._recipients = Recipients(recipients or _default_recipients())
        self._audiences = Audiences(audiences or ("urn:amazon:webservices", "urn:amazon:webservices:cn-north-1",
                                                  *_default_recipients()))
        self.skew = skew

    def verify(self, encoded: str, certificates: Sequence[str], entity_id: str, now: dt.datetime, *,
               private_keys: Sequence[str] = (), encryption_required: bool = False) -> SamlAssertion:
        """``private_keys``: the provider's decryption keys (PEM); ``encryption_required``: its
        AssertionEncryptionMode is Required, so a plaintext assertion is refused."""
        try:
            return verify_response(decode_response(encoded), certificates, expected_issuer=entity_id, now=now,
                                   clock_skew=self.skew, recipient_ok=self._recipients,
                                   audiences_ok=self._audiences,
                                   decryption_keys=[_private_key(pem) for pem in private_keys],
                                   encryption_required=encryption_required)
        except SamlRejected as rejected:
            raise ClientError(rejected.message, code=rejected.code, status=_STATUS.get(rejected.code, 400)) from None

    @staticmethod
    def recipient_in_partition(recipient: str, partition: str) -> bool:
        host = urlsplit(recipient).hostname or ""
        domain = _SIGNIN_DOMAINS.get(partition)
        return domain is None or host == domain or host.endswith("." + domain)


def _default_recipients() -> tuple[str, ...]:
    return tuple(f"https://{host}/saml" for domain in _SIGNIN_DOMAINS.values()
                 for host in (domain, "{region}." + domain))


@functools.lru_cache(maxsize=64)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    """A provider's key, loaded once (an RSA key load checks the key: milliseconds); IAM checked it at upload."""
    return load_private_key(pem)


@functools.lru_cache(maxsize=256)
def _metadata(document: str) -> IdpMetadata:
    """The provider's metadata, parsed once per document (IAM validated it at upload)."""
    try:
        return parse_idp_metadata(document)
    except MetadataError as exc:
        raise InvalidIdentityToken(str(exc)) from None


def name_qualifier(issuer: str, account_id: str, provider_name: str) -> str:
    """``BASE64(SHA1(issuer + account id + "/" + provider name))`` (STS API reference, AssumeRoleWithSAML:
    NameQualifier, whose pseudocode concatenates ``"/MySAMLIdP"``)."""
    digest = hashlib.sha1((issuer + account_id + "/" + provider_name).encode("utf-8")).digest()  # noqa: S324
    return base64.b64encode(digest).decode("ascii")


def replay_key(assertion: SamlAssertion) -> str:
    """Assertion IDs are unique per issuer (saml-core §1.3.4), so the pair names one assertion."""
    return hashlib.sha256(f"{assertion.issuer}\n{assertion.assertion_id}".encode("utf-8")).hexdigest()


def saml_context(assertion: SamlAssertion, qualifier: str, account_id: str,
                 provider_name: str) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {
        "saml:aud": assertion.recipient, "saml:sub": assertion.subject, "saml:sub_type": assertion.subject_type,
        "saml:iss": assertion.issuer, "saml:namequalifier": qualifier,
        "saml:doc": f"{account_id}/{provider_name}",
    }
    for name, key in _ATTRIBUTE_KEYS.items():
        values = assertion.attributes.get(name)
        if values:
            out[key] = list(values)
    return out


def _saml_session_name(name: str | None) -> str:
    if name is None:
        raise InvalidIdentityToken("RoleSessionName is required in AuthnResponse")
    if not _SESSION_NAME.match(name):
        # IAM User Guide, "Troubleshoot SAML federation with IAM" (the documented text of this refusal).
        raise InvalidIdentityToken("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    return name


def _saml_source_identity(value: str | None) -> str | None:
    """The ``SourceIdentity`` attribute, refused as the IAM User Guide's "Troubleshoot SAML federation with IAM"
    documents: InvalidIdentityToken, 'Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with
    "aws:"'."""
    if value is not None and (not _SOURCE_IDENTITY.fullmatch(value) or value.lower().startswith("aws:")):
        raise InvalidIdentityToken('Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"')
    return value


def _saml_duration(requested: int | None, session_duration: int | None, role_max: int) -> int:
    """DurationSeconds up to the role's MaxSessionDuration; the SessionDuration attribute caps it ("the
    session lasts for the lesser of the two", IAM User Guide, SessionDuration)."""
    if requested is not None and requested > role_max:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    if session_duration is not None and not MIN_SESSION_DURATION <= session_duration <= MAX_SESSION_DURATION:
        raise InvalidIdentityToken("SessionDuration in AuthnResponse must be between 900 and 43200 seconds")
    duration = requested if requested is not None else DEFAULT_DURATION
    return min(duration, session_duration) if session_duration is not None else duration


def _saml_tags(tags: Sequence[tuple[str, str]],
               transitive: Sequence[str]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """PrincipalTag:* attributes as session tags, TransitiveTagKeys among them (IAM User Guide, "Pass session
    tags using AssumeRoleWithSAML")."""
    from .sessions import _session_tags  # noqa: PLC0415 (the one tag rule, shared with AssumeRole)

    return _session_tags(tags, transitive, ())
