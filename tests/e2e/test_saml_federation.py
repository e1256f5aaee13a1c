"""AssumeRoleWithSAML end to end, as a new user would try it: a real pysaml2 IdP's metadata registered with
CreateSAMLProvider, a role trusting it with a ``saml:aud`` condition, a signed response redeemed through an
unsigned boto3 client and the AWS CLI, the credentials allowed and denied as the role's policy says — and the
forgeries STS refuses, each a test of its own (docs/spec/federation.md, "SAML")."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError
from lxml import etree

from tests.federation.pysaml2_idp import ATTR, SIGNIN, SamlIdp, aws_attributes
from tests.live import ACCOUNT_ID, LiveServer

pytestmark = pytest.mark.live

NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
      "ds": "http://www.w3.org/2000/09/xmldsig#"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> SamlIdp:
    return SamlIdp(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
def setup(server: LiveServer, idp: SamlIdp) -> dict[str, str]:
    iam = server.client("iam")
    provider = iam.create_saml_provider(Name=unique("pysaml2"), SAMLMetadataDocument=idp.metadata())
    provider_arn = provider["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"],
        "Condition": {"StringEquals": {"saml:aud": SIGNIN}}}]}
    role = iam.create_role(RoleName=unique("saml-role"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="list-roles", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}))
    return {"provider": provider_arn, "role": role["Arn"], "role_name": role["RoleName"]}


def unsigned_sts(server: LiveServer):  # type: ignore[no-untyped-def]
    return boto3.session.Session().client("sts", endpoint_url=server.url, region_name="us-east-1",
                                          config=botocore.config.Config(signature_version=UNSIGNED,
                                                                        retries={"max_attempts": 1}))


def redeem(server: LiveServer, setup: dict[str, str], assertion: str, **kw: Any) -> dict[str, Any]:
    return unsigned_sts(server).assume_role_with_saml(RoleArn=setup["role"], PrincipalArn=setup["provider"],
                                                      SAMLAssertion=assertion, **kw)


def refused(server: LiveServer, setup: dict[str, str], assertion: str) -> str:
    with pytest.raises(ClientError) as exc:
        redeem(server, setup, assertion)
    return str(exc.value.response["Error"]["Code"])


def encode(root: etree._Element) -> str:
    return base64.b64encode(etree.tostring(root)).decode("ascii")


def signed_tree(idp: SamlIdp, setup: dict[str, str], **kw: Any) -> etree._Element:
    return etree.fromstring(idp.response_xml(aws_attributes(setup["role"], setup["provider"]), **kw).encode())


def test_a_real_idp_response_gets_credentials_that_the_role_policy_governs(
        server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    attrs = aws_attributes(setup["role"], setup["provider"], **{"PrincipalTag:team": ["blue"],
                                                              "SourceIdentity": ["alice@example.com"]})
    out = redeem(server, setup, idp.response(attrs), DurationSeconds=900)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{setup['role_name']}/alice"
    assert out["Subject"] == "alice-id" and out["SubjectType"] == "persistent"
    assert out["Issuer"] == idp.entity_id and out["Audience"] == SIGNIN
    assert out["SourceIdentity"] == "alice@example.com"
    assert out["NameQualifier"]
    creds = out["Credentials"]
    iam = server.client("iam", key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                        token=creds["SessionToken"])
    iam.list_roles(MaxItems=1)  # allowed by the role's policy
    with pytest.raises(ClientError) as exc:
        iam.list_users()
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    me = server.client("sts", key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                       token=creds["SessionToken"]).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"]


def test_the_session_carries_aws_federated_provider_into_its_later_requests(
        server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    iam = server.client("iam")
    iam.put_role_policy(RoleName=setup["role_name"], PolicyName="by-provider", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
            "Condition": {"StringEquals": {"aws:FederatedProvider": setup["provider"]}}}]}))
    try:
        creds = redeem(server, setup, idp.response(aws_attributes(setup["role"], setup["provider"])))["Credentials"]
        session = server.client("iam", key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                                token=creds["SessionToken"])
        session.list_users(MaxItems=1)  # allowed only because the session came from this provider
        with pytest.raises(ClientError) as exc:
            session.list_groups()
        assert exc.value.response["Error"]["Code"] == "AccessDenied"
    finally:
        iam.delete_role_policy(RoleName=setup["role_name"], PolicyName="by-provider")


@pytest.mark.parametrize("shape", [{"sign_response": True, "sign_assertion": False},
                                   {"sign_response": True, "sign_assertion": True}])
def test_a_signed_response_is_accepted_too(server: LiveServer, idp: SamlIdp, setup: dict[str, str],
                                           shape: dict[str, bool]) -> None:
    out = redeem(server, setup, encode(signed_tree(idp, setup, **shape)))
    assert out["Subject"] == "alice-id"


def test_the_aws_cli_redeems_an_assertion(server: LiveServer, idp: SamlIdp, setup: dict[str, str],
                                          tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(tmp_path), "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": server.url,
                "AWS_PAGER": "", "AWS_CONFIG_FILE": str(tmp_path / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")})
    assertion_file = tmp_path / "assertion.b64"
    assertion_file.write_text(idp.response(aws_attributes(setup["role"], setup["provider"])))
    proc = subprocess.run([str(Path(sys.executable).with_name("aws")), "sts", "assume-role-with-saml",
                           "--role-arn", setup["role"], "--principal-arn", setup["provider"],
                           "--saml-assertion", f"file://{assertion_file}"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_a_comment_inside_the_name_id_does_not_truncate_it(server: LiveServer, idp: SamlIdp,
                                                          setup: dict[str, str]) -> None:
    root = signed_tree(idp, setup)
    name_id = root.find(".//saml:NameID", NS)
    assert name_id is not None
    name_id.text = "alice"
    comment = etree.Comment("")
    comment.tail = "-id"
    name_id.append(comment)  # c14n drops comments: the signature still holds
    assert redeem(server, setup, encode(root))["Subject"] == "alice-id"


# --- the negative matrix ------------------------------------------------------------------------------


def test_unsigned_is_refused(server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    root = signed_tree(idp, setup)
    for sig in root.findall(".//ds:Signature", NS):
        sig.getparent().remove(sig)
    assert refused(server, setup, encode(root)) == "InvalidIdentityToken"


def test_signed_by_another_key_is_refused(server: LiveServer, setup: dict[str, str], tmp_path: Path) -> None:
    stranger = SamlIdp(tmp_path, name="stranger", entity_id="https://idp.rolegate.test/saml")
    assert refused(server, setup, stranger.response(aws_attributes(setup["role"], setup["provider"]))) \
        == "InvalidIdentityToken"


def _evil_copy(assertion: etree._Element, role: str = "arn:aws:iam::999999999999:role/evil") -> etree._Element:
    evil = copy.deepcopy(assertion)
    for sig in evil.findall("ds:Signature", NS):
        evil.remove(sig)
    name_id = evil.find(".//saml:NameID", NS)
    assert name_id is not None
    name_id.text = "mallory"
    return evil


def test_wrapping_a_second_unsigned_assertion_beside_the_signed_one_is_refused(
        server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    root = signed_tree(idp, setup)
    signed = root.find("saml:Assertion", NS)
    assert signed is not None
    signed.addprevious(_evil_copy(signed))  # XSW: the reader's "first assertion" is the forged one
    assert refused(server, setup, encode(root)) == "InvalidIdentityToken"


def test_wrapping_the_signed_assertion_inside_advice_of_a_forged_one_is_refused(
        server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    root = signed_tree(idp, setup)
    signed = root.find("saml:Assertion", NS)
    assert signed is not None
    evil = _evil_copy(signed)
    advice = etree.SubElement(evil, f"{{{NS['saml']}}}Advice")
    root.replace(signed, evil)
    advice.append(signed)  # the signature still verifies over the nested original
    assert refused(server, setup, encode(root)) == "InvalidIdentityToken"


def test_wrapping_the_signed_assertion_into_the_signature_object_is_refused(
        server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    root = signed_tree(idp, setup)
    signed = root.find("saml:Assertion", NS)
    assert signed is not None
    evil = _evil_copy(signed)
    sig = copy.deepcopy(signed.find("ds:Signature", NS))
    evil.insert(1, sig)
    obj = etree.SubElement(sig, f"{{{NS['ds']}}}Object")
    root.replace(signed, evil)
    obj.append(signed)  # same ID on both: a resolver that finds "the" ID element may pick either
    assert refused(server, setup, encode(root)) == "InvalidIdentityToken"


def test_wrapping_a_forged_assertion_into_a_signed_response_is_refused(
        server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    root = signed_tree(idp, setup, sign_response=True, sign_assertion=False)
    signed = root.find("saml:Assertion", NS)
    assert signed is not None
    evil = _evil_copy(signed)
    root.replace(signed, evil)  # the response's digest no longer matches
    assert refused(server, setup, encode(root)) == "InvalidIdentityToken"


def test_an_assertion_whose_signature_references_another_element_is_refused(
        server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    root = signed_tree(idp, setup)
    signed = root.find("saml:Assertion", NS)
    assert signed is not None
    evil = _evil_copy(signed)
    evil.set("ID", "forged-id")
    evil.append(copy.deepcopy(signed.find("ds:Signature", NS)))  # its Reference still points at the original
    ext = etree.SubElement(root, f"{{{NS['samlp']}}}Extensions")
    root.replace(signed, evil)
    ext.append(signed)
    assert refused(server, setup, encode(root)) == "InvalidIdentityToken"


def test_a_tampered_attribute_breaks_the_digest(server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    root = signed_tree(idp, setup)
    value = root.find(f".//saml:Attribute[@Name='{ATTR}RoleSessionName']/saml:AttributeValue", NS)
    assert value is not None
    value.text = "mallory"
    assert refused(server, setup, encode(root)) == "InvalidIdentityToken"


def test_a_replayed_assertion_is_refused(server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    assertion = idp.response(aws_attributes(setup["role"], setup["provider"]))
    redeem(server, setup, assertion)
    assert refused(server, setup, assertion) == "InvalidIdentityToken"


def test_a_wrong_audience_is_refused(server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    assertion = idp.response(aws_attributes(setup["role"], setup["provider"]), audience="https://evil.example/sp")
    assert refused(server, setup, assertion) == "InvalidIdentityToken"


def test_a_wrong_recipient_is_refused(server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    assertion = idp.response(aws_attributes(setup["role"], setup["provider"]), recipient="https://evil.example/acs")
    assert refused(server, setup, assertion) == "InvalidIdentityToken"


def test_a_role_pair_absent_is_refused(server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    other = f"arn:aws:iam::{ACCOUNT_ID}:role/some-other-role"
    assertion = idp.response(aws_attributes(other, setup["provider"]))
    assert refused(server, setup, assertion) == "AccessDenied"


def test_a_missing_session_name_is_refused(server: LiveServer, idp: SamlIdp, setup: dict[str, str]) -> None:
    assertion = idp.response(aws_attributes(setup["role"], setup["provider"], session_name=None))
    assert refused(server, setup, assertion) == "InvalidIdentityToken"


def test_a_deleted_provider_is_refused(server: LiveServer, idp: SamlIdp, tmp_path: Path) -> None:
    iam = server.client("iam")
    arn = iam.create_saml_provider(Name=unique("gone"), SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": arn},
                                                     "Action": "sts:AssumeRoleWithSAML"}]}
    role = iam.create_role(RoleName=unique("gone-role"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    setup = {"provider": arn, "role": role["Arn"]}
    redeem(server, setup, idp.response(aws_attributes(role["Arn"], arn)))  # the provider is now cached
    assertion = idp.response(aws_attributes(role["Arn"], arn))
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert refused(server, setup, assertion) == "InvalidIdentityToken"


def test_a_trust_policy_condition_that_fails_is_refused(server: LiveServer, idp: SamlIdp,
                                                       setup: dict[str, str]) -> None:
    iam = server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": setup["provider"]}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"saml:sub": "someone-else"}}}]}
    role = iam.create_role(RoleName=unique("strict"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    strict = {**setup, "role": role["Arn"]}
    assert refused(server, strict, idp.response(aws_attributes(role["Arn"], setup["provider"]))) == "AccessDenied"


# --- AWS's documented error texts (IAM User Guide, "Troubleshoot SAML federation with IAM") ------------------


def refusal(server: LiveServer, setup: dict[str, str], assertion: str) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        redeem(server, setup, assertion)
    error = exc.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_refusals_carry_the_texts_aws_documents(server: LiveServer, idp: SamlIdp, setup: dict[str, str],
                                                tmp_path: Path) -> None:
    attrs = aws_attributes(setup["role"], setup["provider"])
    assert refusal(server, setup, idp.response(attrs, audience="https://evil.example/sp")) == (
        "InvalidIdentityToken", "Response does not contain the required audience.")
    assert refusal(server, setup, idp.response(aws_attributes(setup["role"], setup["provider"],
                                                              session_name="x"))) == (
        "InvalidIdentityToken", "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    assert refusal(server, setup, idp.response(aws_attributes(setup["role"], setup["provider"],
                                                              SourceIdentity=["aws:me"]))) == (
        "InvalidIdentityToken", 'Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"')
    (tmp_path / "other").mkdir()
    other = SamlIdp(tmp_path / "other")  # signs with a key the provider's metadata does not hold
    forged = other.response(attrs)
    assert refusal(server, setup, forged) == ("InvalidIdentityToken", "Response signature invalid")
    missing = {**setup, "provider": f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/never-created"}
    assert refusal(server, missing, idp.response(attrs)) == ("InvalidIdentityToken", "Specified provider doesn't exist.")
