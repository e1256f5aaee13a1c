"""Encrypted SAML assertions end to end: a provider created with AddPrivateKey and AssertionEncryptionMode
through boto3, a real pysaml2 IdP encrypting its signed assertion with xmlsec1 to the provider's certificate,
redeemed through an unsigned boto3 client; Required refusing plaintext; the key management IAM documents
(docs/spec/federation.md, "SAML", "Encrypted assertions")."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError
from saml2.sigver import RSA_1_5, TRIPLE_DES_CBC

from tests.federation.pysaml2_idp import AES128_GCM, SamlIdp, aws_attributes, key_pair
from tests.live import LiveServer

pytestmark = pytest.mark.live


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> SamlIdp:
    return SamlIdp(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
def sp_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("sp")
    first, first_cert = key_pair(directory, "sp1")
    second, second_cert = key_pair(directory, "sp2")
    return {"key1": first, "cert1": first_cert, "key2": second, "cert2": second_cert}


def unsigned_sts(server: LiveServer) -> Any:
    return boto3.session.Session().client("sts", endpoint_url=server.url, region_name="us-east-1",
                                          config=botocore.config.Config(signature_version=UNSIGNED,
                                                                        retries={"max_attempts": 1}))


def provider_and_role(server: LiveServer, idp: SamlIdp, **encryption: str) -> dict[str, str]:
    iam = server.client("iam")
    arn = iam.create_saml_provider(Name=unique("enc"), SAMLMetadataDocument=idp.metadata(),
                                   **encryption)["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": arn},
                                                     "Action": "sts:AssumeRoleWithSAML"}]}
    role = iam.create_role(RoleName=unique("enc-role"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    return {"provider": arn, "role": role["Arn"]}


def redeem(server: LiveServer, setup: dict[str, str], assertion: str) -> dict[str, Any]:
    return dict(unsigned_sts(server).assume_role_with_saml(RoleArn=setup["role"], PrincipalArn=setup["provider"],
                                                           SAMLAssertion=assertion))


def refusal(server: LiveServer, setup: dict[str, str], assertion: str) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        redeem(server, setup, assertion)
    return str(exc.value.response["Error"]["Code"]), str(exc.value.response["Error"]["Message"])


def iam_refusal(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return str(exc.value.response["Error"]["Code"]), str(exc.value.response["Error"]["Message"])


@pytest.mark.parametrize("content", ["cbc", "gcm"])
def test_an_encrypted_signed_assertion_is_decrypted_and_verified(
        server: LiveServer, idp: SamlIdp, sp_keys: dict[str, Path], content: str) -> None:
    setup = provider_and_role(server, idp, AssertionEncryptionMode="Required",
                              AddPrivateKey=sp_keys["key1"].read_text())
    attrs = aws_attributes(setup["role"], setup["provider"])
    kwargs: dict[str, Any] = {"content": AES128_GCM, "session_key": "aes-128"} if content == "gcm" else {}
    out = redeem(server, setup, idp.encrypted_response(attrs, sp_keys["cert1"], **kwargs))
    assert out["Subject"] == "alice-id" and out["AssumedRoleUser"]["Arn"].endswith("/alice")


def test_a_signed_response_over_the_ciphertext_is_accepted(server: LiveServer, idp: SamlIdp,
                                                           sp_keys: dict[str, Path]) -> None:
    setup = provider_and_role(server, idp, AddPrivateKey=sp_keys["key1"].read_text())
    attrs = aws_attributes(setup["role"], setup["provider"])
    out = redeem(server, setup, idp.encrypted_response(attrs, sp_keys["cert1"], sign_response=True,
                                                       sign_assertion=False))
    assert out["Subject"] == "alice-id"


def test_an_encrypted_but_unsigned_assertion_is_refused(server: LiveServer, idp: SamlIdp,
                                                        sp_keys: dict[str, Path]) -> None:
    # Encryption is no signature: anyone holding the provider's certificate can encrypt to it.
    setup = provider_and_role(server, idp, AddPrivateKey=sp_keys["key1"].read_text())
    attrs = aws_attributes(setup["role"], setup["provider"])
    code, _ = refusal(server, setup, idp.encrypted_response(attrs, sp_keys["cert1"], sign_assertion=False))
    assert code == "InvalidIdentityToken"


def test_required_refuses_plaintext_and_allowed_takes_both(server: LiveServer, idp: SamlIdp,
                                                           sp_keys: dict[str, Path]) -> None:
    required = provider_and_role(server, idp, AssertionEncryptionMode="Required",
                                 AddPrivateKey=sp_keys["key1"].read_text())
    plain = idp.response(aws_attributes(required["role"], required["provider"]))
    assert refusal(server, required, plain) == (
        "InvalidIdentityToken", "Invalid SAML response received: this SAML provider requires encrypted assertions.")
    allowed = provider_and_role(server, idp, AssertionEncryptionMode="Allowed",
                                AddPrivateKey=sp_keys["key1"].read_text())
    attrs = aws_attributes(allowed["role"], allowed["provider"])
    assert redeem(server, allowed, idp.response(attrs))["Subject"] == "alice-id"
    assert redeem(server, allowed, idp.encrypted_response(attrs, sp_keys["cert1"]))["Subject"] == "alice-id"


def test_an_assertion_encrypted_to_another_key_or_to_a_provider_without_keys_is_refused(
        server: LiveServer, idp: SamlIdp, sp_keys: dict[str, Path]) -> None:
    setup = provider_and_role(server, idp, AddPrivateKey=sp_keys["key1"].read_text())
    attrs = aws_attributes(setup["role"], setup["provider"])
    assert refusal(server, setup, idp.encrypted_response(attrs, sp_keys["cert2"])) == (
        "InvalidIdentityToken", "Invalid SAML response received: the encrypted assertion could not be decrypted "
                                "with the SAML provider's private keys.")
    bare = provider_and_role(server, idp)
    attrs = aws_attributes(bare["role"], bare["provider"])
    assert refusal(server, bare, idp.encrypted_response(attrs, sp_keys["cert1"])) == (
        "InvalidIdentityToken", "Invalid SAML response received: the assertion is encrypted, and this SAML "
                                "provider has no private key to decrypt it.")


def test_keys_rotate_through_update_and_only_ids_are_shown(server: LiveServer, idp: SamlIdp,
                                                           sp_keys: dict[str, Path]) -> None:
    iam = server.client("iam")
    setup = provider_and_role(server, idp, AssertionEncryptionMode="Required",
                              AddPrivateKey=sp_keys["key1"].read_text())
    arn = setup["provider"]
    iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=sp_keys["key2"].read_text())
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Required"
    listed = got["PrivateKeyList"]
    assert len(listed) == 2 and all(set(k) == {"KeyId", "Timestamp"} for k in listed)
    assert "PRIVATE KEY" not in json.dumps(got, default=str)  # the key itself is never returned
    attrs = aws_attributes(setup["role"], setup["provider"])
    assert redeem(server, setup, idp.encrypted_response(attrs, sp_keys["cert2"]))["Subject"] == "alice-id"
    # IAM's documented refusals (IAM User Guide, "Troubleshoot SAML federation with IAM").
    assert iam_refusal(iam.update_saml_provider, SAMLProviderArn=arn, AddPrivateKey=sp_keys["key1"].read_text()) \
        == ("LimitExceeded", "Private key limit of 2 is reached.")
    assert iam_refusal(iam.update_saml_provider, SAMLProviderArn=arn, AddPrivateKey=sp_keys["key1"].read_text(),
                       RemovePrivateKey=listed[0]["KeyId"])[1] == (
        "Unable to add and remove private keys in the same request. Set a value for only one of the two parameters.")
    assert iam_refusal(iam.update_saml_provider, SAMLProviderArn=arn, RemovePrivateKey="A" * 26)[1] == (
        "Failed to remove private key because the Key ID does not match a private key.")
    assert iam_refusal(iam.update_saml_provider, SAMLProviderArn=arn)[1] == (
        "Unable to update identity provider. No updates are defined for metadata or encryption assertion.")
    first = next(k["KeyId"] for k in listed)
    iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=first)
    remaining = iam.get_saml_provider(SAMLProviderArn=arn)["PrivateKeyList"]
    assert [k["KeyId"] for k in remaining] == [k["KeyId"] for k in listed if k["KeyId"] != first]
    assert iam_refusal(iam.update_saml_provider, SAMLProviderArn=arn,
                       RemovePrivateKey=remaining[0]["KeyId"]) == ("InvalidInput", "Failed to remove private key.")


def test_iam_refuses_a_bad_key_and_required_without_a_key(server: LiveServer, idp: SamlIdp) -> None:
    iam = server.client("iam")
    assert iam_refusal(iam.create_saml_provider, Name=unique("bad"), SAMLMetadataDocument=idp.metadata(),
                       AddPrivateKey="-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n") == (
        "InvalidInput", "Invalid private key.")
    assert iam_refusal(iam.create_saml_provider, Name=unique("bad"), SAMLMetadataDocument=idp.metadata(),
                       AssertionEncryptionMode="Required") == (
        "InvalidInput", "Unable to set assertion encryption mode to Required because no private key is provided.")


@pytest.mark.parametrize("weak", [{"content": TRIPLE_DES_CBC, "session_key": "des-192"},
                                  {"key_transport": RSA_1_5}], ids=["3des-content", "rsa-1_5-key-transport"])
def test_weak_algorithms_are_refused(server: LiveServer, idp: SamlIdp, sp_keys: dict[str, Path],
                                     weak: dict[str, str]) -> None:
    # IAM documents AES-GCM and AES-CBC; RSA PKCS#1 v1.5 key transport is a padding oracle (RFC 8017 §7.2).
    setup = provider_and_role(server, idp, AddPrivateKey=sp_keys["key1"].read_text())
    attrs = aws_attributes(setup["role"], setup["provider"])
    code, message = refusal(server, setup, idp.encrypted_response(attrs, sp_keys["cert1"], **weak))
    assert code == "InvalidIdentityToken" and "could not be decrypted" in message
