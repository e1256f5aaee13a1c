"""SSH public keys, server and signing certificates, service-specific credentials and service last accessed,
through boto3 against the live server: real keys and certificates in, AWS's shapes and errors out, secrets
returned once and never listed."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.keymaterial import issue, ssh_keygen
from tests.live import LiveServer

ACCOUNT = "123456789012"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"])


def test_an_ssh_key_round_trips_with_ssh_keygens_fingerprint_and_blocks_delete_user(
        iam: Any, tmp_path: Path) -> None:
    user = unique("ssh")
    iam.create_user(UserName=user)
    line, fingerprint = ssh_keygen(tmp_path, "ed25519")
    key = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=line)["SSHPublicKey"]
    assert key["Fingerprint"] == fingerprint and key["Status"] == "Active"
    pem = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key["SSHPublicKeyId"], Encoding="PEM")
    assert pem["SSHPublicKey"]["SSHPublicKeyBody"].startswith("-----BEGIN PUBLIC KEY-----")
    listed = iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]
    assert [k["SSHPublicKeyId"] for k in listed] == [key["SSHPublicKeyId"]]
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=line)
    assert error(exc) == ("DuplicateSSHPublicKey", 400)
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error(exc) == ("DeleteConflict", 409)
    iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=key["SSHPublicKeyId"])
    iam.delete_user(UserName=user)


def test_text_that_is_no_key_is_an_unrecognized_encoding(iam: Any) -> None:
    user = unique("ssh")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody="ssh-rsa not-base64")
    assert error(exc) == ("UnrecognizedPublicKeyEncoding", 400)


def test_a_server_certificate_is_uploaded_read_and_listed_without_its_private_key(iam: Any) -> None:
    name, issued = unique("web"), issue()
    out = iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=issued.certificate,
                                        PrivateKey=issued.private_key, CertificateChain=issued.chain, Path="/edge/")
    meta = out["ServerCertificateMetadata"]
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/edge/{name}"
    assert meta["ServerCertificateId"].startswith("ASCA") and meta["Expiration"].year == 2036
    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert got["CertificateBody"] == issued.certificate and got["CertificateChain"] == issued.chain
    assert "PRIVATE KEY" not in json.dumps(got, default=str)
    names = [c["ServerCertificateName"] for c in iam.list_server_certificates(PathPrefix="/edge/")
             ["ServerCertificateMetadataList"]]
    assert name in names
    iam.delete_server_certificate(ServerCertificateName=name)


def test_a_private_key_of_another_certificate_is_a_key_pair_mismatch(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName=unique("web"), CertificateBody=issue().certificate,
                                      PrivateKey=issue().private_key)
    assert error(exc) == ("KeyPairMismatch", 400)


def test_a_signing_certificate_is_uploaded_listed_and_deactivated(iam: Any) -> None:
    user, cert = unique("sign"), issue().certificate
    iam.create_user(UserName=user)
    uploaded = iam.upload_signing_certificate(UserName=user, CertificateBody=cert)["Certificate"]
    iam.update_signing_certificate(UserName=user, CertificateId=uploaded["CertificateId"], Status="Inactive")
    listed = iam.list_signing_certificates(UserName=user)["Certificates"]
    assert [(c["CertificateId"], c["Status"]) for c in listed] == [(uploaded["CertificateId"], "Inactive")]
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=user, CertificateBody=cert)
    assert error(exc) == ("DuplicateCertificate", 409)


def test_a_service_password_is_returned_at_create_and_reset_only(iam: Any) -> None:
    user = unique("git")
    iam.create_user(UserName=user)
    created = iam.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
    cred = created["ServiceSpecificCredential"]
    assert cred["ServiceUserName"] == f"{user}-at-{ACCOUNT}" and len(cred["ServicePassword"]) == 44
    listed = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == [cred["ServiceSpecificCredentialId"]]
    assert "ServicePassword" not in listed[0]
    reset = iam.reset_service_specific_credential(UserName=user,
                                                  ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"])
    assert reset["ServiceSpecificCredential"]["ServicePassword"] != cred["ServicePassword"]
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(UserName=user, ServiceName="s3.amazonaws.com")
    assert error(exc) == ("NotSupportedService", 404)


def test_service_last_accessed_shows_the_users_own_iam_call(iam: Any, server: LiveServer) -> None:
    user = unique("seen")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = server.client("iam", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    as_user.get_user()
    arn = f"arn:aws:iam::{ACCOUNT}:user/{user}"
    job = iam.generate_service_last_accessed_details(Arn=arn, Granularity="ACTION_LEVEL")["JobId"]
    report = iam.get_service_last_accessed_details(JobId=job)
    assert report["JobStatus"] == "COMPLETED" and report["JobType"] == "ACTION_LEVEL"
    [service] = report["ServicesLastAccessed"]
    assert service["ServiceNamespace"] == "iam" and service["LastAuthenticatedEntity"] == arn
    assert [a["ActionName"] for a in service["TrackedActionsLastAccessed"]] == ["GetUser"]
    entities = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="iam")
    assert [e["EntityInfo"]["Arn"] for e in entities["EntityDetailsList"]] == [arn]


def test_features_rolegate_does_not_host_answer_as_for_an_account_that_does_not_use_them(iam: Any) -> None:
    assert iam.list_delegation_requests()["DelegationRequests"] == []
    with pytest.raises(ClientError) as exc:
        iam.list_organizations_features()
    assert error(exc) == ("OrganizationNotFoundException", 400)
    assert isinstance(exc.value, iam.exceptions.OrganizationNotFoundException)
    with pytest.raises(ClientError) as exc:
        iam.get_outbound_web_identity_federation_info()
    assert error(exc) == ("FeatureDisabled", 404)
    with pytest.raises(ClientError) as exc:
        iam.get_organizations_access_report(JobId=str(uuid.uuid4()))
    assert error(exc) == ("NoSuchEntity", 404)


def test_a_policy_may_limit_service_credentials_to_one_service_by_condition_key(iam: Any, server: LiveServer) -> None:
    user = unique("git")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="codecommit-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["iam:*ServiceSpecificCredential*"], "Resource": "*",
            "Condition": {"StringEquals": {"iam:ServiceSpecificCredentialServiceName": "codecommit.amazonaws.com"}}}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = server.client("iam", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    as_user.create_service_specific_credential(UserName=user, ServiceName="codecommit.amazonaws.com")
    keyspaces = iam.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        as_user.delete_service_specific_credential(
            UserName=user, ServiceSpecificCredentialId=keyspaces["ServiceSpecificCredential"]["ServiceSpecificCredentialId"])
    assert error(exc) == ("AccessDenied", 403)
