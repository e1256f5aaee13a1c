"""The AWS CLI (``awscli`` from PyPI) drives every IAM Roles Anywhere control-plane operation, as a new user would
set the service up: a CA registered as a trust anchor, its CRL imported, a profile for a role, attribute
mappings, notification settings, tags, subjects; each answer read back through the CLI's own parsing."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests.anywhere.pki import crl, pem, root_ca
from tests.e2e.test_awscli import aws  # noqa: F401  (aws: the CLI fixture)

ACCOUNT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]})


def test_the_aws_cli_drives_every_roles_anywhere_operation(aws: Any, iam: Any, tmp_path: Path) -> None:  # noqa: F811
    ca, ca_key = root_ca("CLI Root CA")
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(pem(ca))
    source = json.dumps({"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pem(ca)}})
    anchor = aws("rolesanywhere", "create-trust-anchor", "--name", "cli-anchor", "--source", source,
                 "--enabled", "--tags", "key=team,value=infra")["trustAnchor"]
    ta_id, ta_arn = anchor["trustAnchorId"], anchor["trustAnchorArn"]
    assert ta_arn == f"arn:aws:rolesanywhere:eu-west-1:{ACCOUNT}:trust-anchor/{ta_id}" and anchor["enabled"]
    assert aws("rolesanywhere", "get-trust-anchor", "--trust-anchor-id", ta_id)["trustAnchor"]["name"] == "cli-anchor"
    assert ta_id in {a["trustAnchorId"] for a in aws("rolesanywhere", "list-trust-anchors")["trustAnchors"]}
    assert aws("rolesanywhere", "update-trust-anchor", "--trust-anchor-id", ta_id, "--name", "renamed")[
        "trustAnchor"]["name"] == "renamed"
    assert aws("rolesanywhere", "disable-trust-anchor", "--trust-anchor-id", ta_id)["trustAnchor"]["enabled"] is False
    assert aws("rolesanywhere", "enable-trust-anchor", "--trust-anchor-id", ta_id)["trustAnchor"]["enabled"] is True
    put = aws("rolesanywhere", "put-notification-settings", "--trust-anchor-id", ta_id, "--notification-settings",
              "enabled=false,event=CA_CERTIFICATE_EXPIRY,threshold=30,channel=ALL")["trustAnchor"]
    assert any(s["event"] == "CA_CERTIFICATE_EXPIRY" and s["threshold"] == 30 for s in put["notificationSettings"])
    reset = aws("rolesanywhere", "reset-notification-settings", "--trust-anchor-id", ta_id,
                "--notification-setting-keys", "event=CA_CERTIFICATE_EXPIRY,channel=ALL")["trustAnchor"]
    assert any(s["event"] == "CA_CERTIFICATE_EXPIRY" and s["threshold"] == 45 for s in reset["notificationSettings"])

    crl_file = tmp_path / "crl.der"
    crl_file.write_bytes(crl(ca, ca_key, (42,)))
    imported = aws("rolesanywhere", "import-crl", "--name", "cli-crl", "--crl-data", f"fileb://{crl_file}",
                   "--trust-anchor-arn", ta_arn)["crl"]
    crl_id = imported["crlId"]
    assert aws("rolesanywhere", "get-crl", "--crl-id", crl_id)["crl"]["trustAnchorArn"] == ta_arn
    assert crl_id in {c["crlId"] for c in aws("rolesanywhere", "list-crls")["crls"]}
    assert aws("rolesanywhere", "update-crl", "--crl-id", crl_id, "--name", "cli-crl-2")["crl"]["name"] == "cli-crl-2"
    assert aws("rolesanywhere", "enable-crl", "--crl-id", crl_id)["crl"]["enabled"] is True
    assert aws("rolesanywhere", "disable-crl", "--crl-id", crl_id)["crl"]["enabled"] is False

    role = f"cli-ra-{uuid.uuid4().hex[:8]}"
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    profile = aws("rolesanywhere", "create-profile", "--name", "cli-profile", "--role-arns", role_arn,
                  "--duration-seconds", "1800", "--accept-role-session-name")["profile"]
    pid, p_arn = profile["profileId"], profile["profileArn"]
    assert (profile["durationSeconds"], profile["acceptRoleSessionName"]) == (1800, True)
    assert aws("rolesanywhere", "get-profile", "--profile-id", pid)["profile"]["roleArns"] == [role_arn]
    assert pid in {p["profileId"] for p in aws("rolesanywhere", "list-profiles")["profiles"]}
    assert aws("rolesanywhere", "update-profile", "--profile-id", pid, "--duration-seconds", "900")[
        "profile"]["durationSeconds"] == 900
    assert aws("rolesanywhere", "enable-profile", "--profile-id", pid)["profile"]["enabled"] is True
    assert aws("rolesanywhere", "disable-profile", "--profile-id", pid)["profile"]["enabled"] is False
    mapped = aws("rolesanywhere", "put-attribute-mapping", "--profile-id", pid, "--certificate-field", "x509Subject",
                 "--mapping-rules", "specifier=CN")["profile"]
    assert {"certificateField": "x509Subject", "mappingRules": [{"specifier": "*"}, {"specifier": "CN"}]} in \
        mapped["attributeMappings"]
    dropped = aws("rolesanywhere", "delete-attribute-mapping", "--profile-id", pid, "--certificate-field",
                  "x509Issuer")["profile"]
    assert "x509Issuer" not in {m["certificateField"] for m in dropped["attributeMappings"]}

    aws("rolesanywhere", "tag-resource", "--resource-arn", p_arn, "--tags", "key=env,value=prod")
    aws("rolesanywhere", "untag-resource", "--resource-arn", ta_arn, "--tag-keys", "team")
    assert aws("rolesanywhere", "list-tags-for-resource", "--resource-arn", p_arn)["tags"] == [
        {"key": "env", "value": "prod"}]
    assert aws("rolesanywhere", "list-tags-for-resource", "--resource-arn", ta_arn)["tags"] == []
    assert isinstance(aws("rolesanywhere", "list-subjects")["subjects"], list)
    assert "ResourceNotFoundException" in aws("rolesanywhere", "get-subject", "--subject-id", str(uuid.uuid4()),
                                              ok=False)

    aws("rolesanywhere", "delete-profile", "--profile-id", pid)
    aws("rolesanywhere", "delete-crl", "--crl-id", crl_id)
    aws("rolesanywhere", "delete-trust-anchor", "--trust-anchor-id", ta_id)
    assert "ResourceNotFoundException" in aws("rolesanywhere", "get-trust-anchor", "--trust-anchor-id", ta_id,
                                              ok=False)
    assert "ValidationException" in aws("rolesanywhere", "create-trust-anchor", "--name", "pca", "--source",
                                        json.dumps({"sourceType": "AWS_ACM_PCA", "sourceData": {
                                            "acmPcaArn": "arn:aws:acm-pca:eu-west-1:123456789012:x"}}), ok=False)
