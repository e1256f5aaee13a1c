"""IAM Roles Anywhere trust anchors through boto3's ``rolesanywhere`` client against a live server: the rest-json
protocol end to end, the source checked to be a CA, every trust-anchor operation, tags, notification settings,
and authorization by ``rolesanywhere:*`` actions on the anchor's ARN."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.anywhere.pki import certificate, key, pem, root_ca, sha1_ca_pem
from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer

ACCOUNT = "123456789012"


@pytest.fixture
def ra(server: LiveServer) -> Any:
    return boto3.session.Session().client("rolesanywhere", endpoint_url=server.url, region_name="us-east-1",
                                          aws_access_key_id=ROOT_KEY_ID, aws_secret_access_key=ROOT_SECRET)


def bundle(cert_pem: str) -> dict[str, Any]:
    return {"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": cert_pem}}


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


def new_anchor(ra: Any, **kw: Any) -> dict[str, Any]:
    ca, _ = root_ca()
    return ra.create_trust_anchor(name=f"anchor-{uuid.uuid4().hex[:8]}", source=bundle(pem(ca)), **kw)["trustAnchor"]


def test_create_answers_201_with_the_anchor_its_arn_and_default_notification_settings(ra: Any) -> None:
    ca, _ = root_ca()
    out = ra.create_trust_anchor(name="corp ca", source=bundle(pem(ca)), enabled=True,
                                 tags=[{"key": "team", "value": "infra"}])
    anchor = out["trustAnchor"]
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert anchor["trustAnchorArn"] == f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:trust-anchor/{anchor['trustAnchorId']}"
    assert (anchor["name"], anchor["enabled"], anchor["source"]) == ("corp ca", True, bundle(pem(ca)))
    assert {(s["event"], s["threshold"], s["configuredBy"]) for s in anchor["notificationSettings"]} == {
        ("CA_CERTIFICATE_EXPIRY", 45, "rolesanywhere.amazonaws.com"),
        ("END_ENTITY_CERTIFICATE_EXPIRY", 45, "rolesanywhere.amazonaws.com")}
    assert anchor["createdAt"] == anchor["updatedAt"]
    assert ra.list_tags_for_resource(resourceArn=anchor["trustAnchorArn"])["tags"] == [
        {"key": "team", "value": "infra"}]


def test_an_anchor_is_disabled_unless_created_enabled(ra: Any) -> None:
    assert new_anchor(ra)["enabled"] is False


def test_get_by_id_or_arn_and_not_found(ra: Any) -> None:
    anchor = new_anchor(ra)
    assert ra.get_trust_anchor(trustAnchorId=anchor["trustAnchorId"])["trustAnchor"] == anchor
    assert ra.get_trust_anchor(trustAnchorId=anchor["trustAnchorArn"])["trustAnchor"] == anchor
    with pytest.raises(ra.exceptions.ResourceNotFoundException) as info:
        ra.get_trust_anchor(trustAnchorId=str(uuid.uuid4()))
    assert error(info)[:2] == ("ResourceNotFoundException", 404)


def test_enable_disable_update_and_delete(ra: Any) -> None:
    anchor = new_anchor(ra)
    assert ra.enable_trust_anchor(trustAnchorId=anchor["trustAnchorId"])["trustAnchor"]["enabled"] is True
    assert ra.disable_trust_anchor(trustAnchorId=anchor["trustAnchorId"])["trustAnchor"]["enabled"] is False
    other, _ = root_ca("Other Root CA")
    updated = ra.update_trust_anchor(trustAnchorId=anchor["trustAnchorId"], name="renamed",
                                     source=bundle(pem(other)))["trustAnchor"]
    assert (updated["name"], updated["source"]) == ("renamed", bundle(pem(other)))
    assert updated["updatedAt"] >= anchor["updatedAt"]
    assert ra.delete_trust_anchor(trustAnchorId=anchor["trustAnchorId"])["trustAnchor"]["name"] == "renamed"
    with pytest.raises(ra.exceptions.ResourceNotFoundException):
        ra.get_trust_anchor(trustAnchorId=anchor["trustAnchorId"])


def test_list_pages_with_next_token(ra: Any) -> None:
    made = {new_anchor(ra)["trustAnchorId"] for _ in range(3)}
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = ra.list_trust_anchors(pageSize=2, **token)
        assert len(page["trustAnchors"]) <= 2
        seen += [a["trustAnchorId"] for a in page["trustAnchors"]]
        if not page.get("nextToken"):
            break
        token = {"nextToken": page["nextToken"]}
    assert made <= set(seen) and len(seen) == len(set(seen))


def test_a_source_that_is_not_a_ca_certificate_is_refused(ra: Any) -> None:
    ca, ca_key = root_ca()
    leaf = certificate("leaf", ca_key, issuer=ca, ca=False, public_key=key().public_key())
    with pytest.raises(ra.exceptions.ValidationException) as info:
        ra.create_trust_anchor(name="leaf", source=bundle(pem(leaf)))
    assert "is not a CA certificate" in error(info)[2]


def test_a_ca_without_certificate_sign_key_usage_is_refused(ra: Any) -> None:
    k = key()
    with pytest.raises(ra.exceptions.ValidationException) as info:
        ra.create_trust_anchor(name="nousage", source=bundle(pem(certificate("no usage", k, key_usage=False))))
    assert "key usage Certificate Sign and CRL Sign" in error(info)[2]


def test_a_sha1_signed_ca_is_refused(ra: Any) -> None:
    with pytest.raises(ra.exceptions.ValidationException) as info:
        ra.create_trust_anchor(name="sha1", source=bundle(sha1_ca_pem()))
    assert "SHA1" in error(info)[2]


def test_data_that_is_not_pem_is_refused(ra: Any) -> None:
    with pytest.raises(ra.exceptions.ValidationException) as info:
        ra.create_trust_anchor(name="junk", source=bundle("not a certificate"))
    assert "not a valid PEM" in error(info)[2]


def test_an_acm_pca_source_is_a_clear_validation_error(ra: Any) -> None:
    with pytest.raises(ra.exceptions.ValidationException) as info:
        ra.create_trust_anchor(name="pca", source={
            "sourceType": "AWS_ACM_PCA",
            "sourceData": {"acmPcaArn": f"arn:aws:acm-pca:us-east-1:{ACCOUNT}:certificate-authority/x"}})
    code, status, message = error(info)
    assert (code, status) == ("ValidationException", 400) and "AWS_ACM_PCA" in message


def test_refused_creates_leave_nothing_behind(ra: Any) -> None:
    before = _all_ids(ra)
    with pytest.raises(ClientError):
        ra.create_trust_anchor(name="junk", source=bundle("not a certificate"))
    assert _all_ids(ra) == before


def test_tag_untag_and_list_tags(ra: Any) -> None:
    arn = new_anchor(ra)["trustAnchorArn"]
    ra.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    ra.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ra.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    with pytest.raises(ra.exceptions.TooManyTagsException):
        ra.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    with pytest.raises(ra.exceptions.ResourceNotFoundException):
        ra.list_tags_for_resource(resourceArn=arn.rsplit("/", 1)[0] + "/" + str(uuid.uuid4()))


def test_notification_settings_are_stored_and_reset_to_the_default(ra: Any) -> None:
    anchor = new_anchor(ra)
    put = ra.put_notification_settings(trustAnchorId=anchor["trustAnchorId"], notificationSettings=[
        {"enabled": False, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 10, "channel": "ALL"}])["trustAnchor"]
    ca_setting = next(s for s in put["notificationSettings"] if s["event"] == "CA_CERTIFICATE_EXPIRY")
    assert (ca_setting["enabled"], ca_setting["threshold"], ca_setting["configuredBy"]) == (False, 10, ACCOUNT)
    got = ra.get_trust_anchor(trustAnchorId=anchor["trustAnchorId"])["trustAnchor"]
    assert got["notificationSettings"] == put["notificationSettings"]
    reset = ra.reset_notification_settings(trustAnchorId=anchor["trustAnchorId"], notificationSettingKeys=[
        {"event": "CA_CERTIFICATE_EXPIRY", "channel": "ALL"}])["trustAnchor"]
    assert reset["notificationSettings"] == anchor["notificationSettings"]


def test_calls_are_authorized_by_rolesanywhere_actions_on_the_anchor_arn(server: LiveServer, ra: Any) -> None:
    allowed, denied = new_anchor(ra), new_anchor(ra)
    iam = server.client("iam")
    name = f"ra-reader-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "rolesanywhere:GetTrustAnchor",
                       "Resource": allowed["trustAnchorArn"]}]}))
    keys = iam.create_access_key(UserName=name)["AccessKey"]
    user = boto3.session.Session().client("rolesanywhere", endpoint_url=server.url, region_name="us-east-1",
                                          aws_access_key_id=keys["AccessKeyId"],
                                          aws_secret_access_key=keys["SecretAccessKey"])
    assert user.get_trust_anchor(trustAnchorId=allowed["trustAnchorId"])["trustAnchor"]["name"] == allowed["name"]
    with pytest.raises(user.exceptions.AccessDeniedException) as info:
        user.get_trust_anchor(trustAnchorId=denied["trustAnchorId"])
    code, status, message = error(info)
    assert (code, status) == ("AccessDeniedException", 403)
    assert f"rolesanywhere:GetTrustAnchor on resource: {denied['trustAnchorArn']}" in message
    with pytest.raises(user.exceptions.AccessDeniedException):
        user.list_trust_anchors()


def _all_ids(ra: Any) -> set[str]:
    return {a["trustAnchorId"] for page in ra.get_paginator("list_trust_anchors").paginate()
            for a in page["trustAnchors"]}
