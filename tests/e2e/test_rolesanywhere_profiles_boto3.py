"""IAM Roles Anywhere profiles, attribute mappings, CRLs and subjects through boto3's ``rolesanywhere`` client
against a live server: every operation, the defaults AWS documents, the checks on input, iam:PassRole for the
roles a profile names, and one CRL per trust anchor signed by that anchor's CA."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.anywhere.pki import crl, pem, root_ca
from tests.live import LiveServer

ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]})


@pytest.fixture
def ra(server: LiveServer) -> Any:
    return server.client("rolesanywhere")


@pytest.fixture
def role_arn(iam: Any) -> str:
    name = f"ra-role-{uuid.uuid4().hex[:8]}"
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"])


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


def _anchor(ra: Any) -> tuple[dict[str, Any], Any, Any]:
    ca, ca_key = root_ca()
    anchor = ra.create_trust_anchor(name=f"a-{uuid.uuid4().hex[:8]}", enabled=True, source={
        "sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pem(ca)}})["trustAnchor"]
    return anchor, ca, ca_key


# --- profiles ------------------------------------------------------------------------------------------


def test_create_profile_answers_201_with_aws_defaults(ra: Any, role_arn: str) -> None:
    out = ra.create_profile(name="web servers", roleArns=[role_arn])
    profile = out["profile"]
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert profile["profileArn"] == f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:profile/{profile['profileId']}"
    assert (profile["enabled"], profile["durationSeconds"], profile["acceptRoleSessionName"],
            profile["requireInstanceProperties"]) == (False, 3600, False, False)
    assert profile["createdBy"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert profile["attributeMappings"] == [
        {"certificateField": "x509Subject", "mappingRules": [{"specifier": "*"}]},
        {"certificateField": "x509Issuer", "mappingRules": [{"specifier": "*"}]},
        {"certificateField": "x509SAN", "mappingRules": [{"specifier": "DNS"}, {"specifier": "URI"},
                                                         {"specifier": "Name/*"}]}]


def test_profile_get_list_update_enable_disable_delete(ra: Any, role_arn: str) -> None:
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                                 "Resource": "*"}]})
    made = ra.create_profile(name="p", roleArns=[role_arn], durationSeconds=900, sessionPolicy=policy,
                             managedPolicyArns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                             acceptRoleSessionName=True, requireInstanceProperties=True,
                             tags=[{"key": "k", "value": "v"}])["profile"]
    pid = made["profileId"]
    assert ra.get_profile(profileId=pid)["profile"] == made
    assert pid in {p["profileId"] for p in ra.list_profiles()["profiles"]}
    updated = ra.update_profile(profileId=pid, name="renamed", durationSeconds=7200)["profile"]
    assert (updated["name"], updated["durationSeconds"], updated["sessionPolicy"]) == ("renamed", 7200, policy)
    assert ra.enable_profile(profileId=pid)["profile"]["enabled"] is True
    assert ra.disable_profile(profileId=pid)["profile"]["enabled"] is False
    assert ra.list_tags_for_resource(resourceArn=made["profileArn"])["tags"] == [{"key": "k", "value": "v"}]
    ra.delete_profile(profileId=pid)
    with pytest.raises(ra.exceptions.ResourceNotFoundException):
        ra.get_profile(profileId=pid)


def test_duration_outside_900_to_43200_is_a_validation_exception(ra: Any, role_arn: str) -> None:
    with pytest.raises(ra.exceptions.ValidationException) as info:
        ra.create_profile(name="p", roleArns=[role_arn], durationSeconds=43201)
    assert "Member must have value less than or equal to 43200" in error(info)[2]


def test_a_session_policy_that_is_not_a_policy_is_refused(ra: Any, role_arn: str) -> None:
    with pytest.raises(ra.exceptions.ValidationException) as info:
        ra.create_profile(name="p", roleArns=[role_arn], sessionPolicy="{not json")
    assert "Invalid session policy" in error(info)[2]


def test_attribute_mappings_are_put_and_deleted(ra: Any, role_arn: str) -> None:
    pid = ra.create_profile(name="p", roleArns=[role_arn])["profile"]["profileId"]
    ra.delete_attribute_mapping(profileId=pid, certificateField="x509Subject")
    put = ra.put_attribute_mapping(profileId=pid, certificateField="x509Subject",
                                   mappingRules=[{"specifier": "CN"}, {"specifier": "OU"}])["profile"]
    assert {"certificateField": "x509Subject", "mappingRules": [{"specifier": "CN"}, {"specifier": "OU"}]} in \
        put["attributeMappings"]
    left = ra.delete_attribute_mapping(profileId=pid, certificateField="x509SAN", specifiers=["DNS"])["profile"]
    san = next(m for m in left["attributeMappings"] if m["certificateField"] == "x509SAN")
    assert san["mappingRules"] == [{"specifier": "URI"}, {"specifier": "Name/*"}]
    with pytest.raises(ra.exceptions.ValidationException):
        ra.put_attribute_mapping(profileId=pid, certificateField="x509SAN", mappingRules=[{"specifier": "IP"}])


def test_naming_a_role_needs_iam_pass_role_to_the_service(server: LiveServer, iam: Any, role_arn: str) -> None:
    name = f"ra-admin-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rolesanywhere:*", "Resource": "*"}]}))
    keys = iam.create_access_key(UserName=name)["AccessKey"]
    user = server.client("rolesanywhere", key_id=keys["AccessKeyId"], secret=keys["SecretAccessKey"])
    with pytest.raises(user.exceptions.AccessDeniedException) as info:
        user.create_profile(name="p", roleArns=[role_arn])
    assert f"iam:PassRole on resource: {role_arn}" in error(info)[2]
    iam.put_user_policy(UserName=name, PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": "rolesanywhere.amazonaws.com"}}}]}))
    assert user.create_profile(name="p", roleArns=[role_arn])["profile"]["roleArns"] == [role_arn]


def test_a_role_arn_that_is_not_a_role_is_refused(ra: Any) -> None:
    with pytest.raises(ra.exceptions.ValidationException):
        ra.create_profile(name="p", roleArns=[f"arn:aws:iam::{ACCOUNT}:user/alice"])


# --- CRLs ----------------------------------------------------------------------------------------------


def test_import_crl_for_an_anchor_then_every_crl_operation(ra: Any) -> None:
    anchor, ca, ca_key = _anchor(ra)
    data = crl(ca, ca_key, (1234,))
    out = ra.import_crl(name="corp crl", crlData=data, trustAnchorArn=anchor["trustAnchorArn"])
    made = out["crl"]
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert (made["enabled"], made["crlData"], made["trustAnchorArn"]) == (False, data, anchor["trustAnchorArn"])
    assert made["crlArn"] == f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:crl/{made['crlId']}"
    assert ra.get_crl(crlId=made["crlId"])["crl"] == made
    assert made["crlId"] in {c["crlId"] for c in ra.list_crls()["crls"]}
    assert ra.enable_crl(crlId=made["crlId"])["crl"]["enabled"] is True
    assert ra.disable_crl(crlId=made["crlId"])["crl"]["enabled"] is False
    newer = crl(ca, ca_key, (1234, 5678), der=False)
    updated = ra.update_crl(crlId=made["crlId"], name="renamed", crlData=newer)["crl"]
    assert (updated["name"], updated["crlData"]) == ("renamed", newer)
    ra.tag_resource(resourceArn=made["crlArn"], tags=[{"key": "k", "value": "v"}])
    assert ra.list_tags_for_resource(resourceArn=made["crlArn"])["tags"] == [{"key": "k", "value": "v"}]
    ra.delete_crl(crlId=made["crlId"])
    with pytest.raises(ra.exceptions.ResourceNotFoundException):
        ra.get_crl(crlId=made["crlId"])


def test_one_crl_per_trust_anchor(ra: Any) -> None:
    anchor, ca, ca_key = _anchor(ra)
    ra.import_crl(name="first", crlData=crl(ca, ca_key), trustAnchorArn=anchor["trustAnchorArn"])
    with pytest.raises(ClientError) as info:
        ra.import_crl(name="second", crlData=crl(ca, ca_key), trustAnchorArn=anchor["trustAnchorArn"])
    assert error(info)[:2] == ("ConflictException", 409)


def test_a_crl_not_signed_by_the_anchor_is_refused(ra: Any) -> None:
    anchor, _, _ = _anchor(ra)
    other, other_key = root_ca("Another CA")
    with pytest.raises(ra.exceptions.ValidationException) as info:
        ra.import_crl(name="foreign", crlData=crl(other, other_key), trustAnchorArn=anchor["trustAnchorArn"])
    assert "not signed by a CA certificate of the trust anchor" in error(info)[2]


def test_crl_data_that_is_not_a_crl_is_refused(ra: Any) -> None:
    anchor, _, _ = _anchor(ra)
    with pytest.raises(ra.exceptions.ValidationException):
        ra.import_crl(name="junk", crlData=b"junk", trustAnchorArn=anchor["trustAnchorArn"])


def test_a_crl_for_a_missing_anchor_is_not_found(ra: Any) -> None:
    ca, ca_key = root_ca()
    with pytest.raises(ra.exceptions.ResourceNotFoundException):
        ra.import_crl(name="orphan", crlData=crl(ca, ca_key),
                      trustAnchorArn=f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/{uuid.uuid4()}")


# --- subjects ------------------------------------------------------------------------------------------


def test_an_unknown_subject_is_not_found_and_listing_works(ra: Any) -> None:
    assert isinstance(ra.list_subjects()["subjects"], list)
    with pytest.raises(ra.exceptions.ResourceNotFoundException):
        ra.get_subject(subjectId=str(uuid.uuid4()))
