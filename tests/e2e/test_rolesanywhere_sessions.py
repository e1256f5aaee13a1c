"""CreateSession end to end: ``iam-rolesanywhere-session`` (PyPI, unmodified) against a TLS server on loopback,
with RSA and EC keys on root → intermediate → leaf chains; the credentials it gets are allowed and denied as
the role's policies and the certificate's tags say; subjects are recorded."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from iam_rolesanywhere_session import IAMRolesAnywhereSession

from tests.anywhere.pki import certificate, key, pem, private_pem, root_ca
from tests.live import LiveServer

ACCOUNT = "123456789012"


@dataclass
class Pki:
    root: x509.Certificate
    intermediate: x509.Certificate
    intermediate_key: Any
    leaf: x509.Certificate
    leaf_key: Any
    root_key: Any = None


def make_pki(kind: str, cn: str = "web-1.example.com", **leaf: Any) -> Pki:
    root, root_key = root_ca(f"{kind} Root", kind=kind)
    int_key = key(kind)
    intermediate = certificate(f"{kind} Intermediate", root_key, issuer=root, public_key=int_key.public_key())
    leaf_key = key(kind)
    cert = certificate(cn, int_key, issuer=intermediate, ca=False, public_key=leaf_key.public_key(), **leaf)
    return Pki(root, intermediate, int_key, cert, leaf_key, root_key)


@dataclass
class Setup:
    anchor_arn: str
    profile_arn: str
    role_arn: str
    role_name: str


def set_up(server: LiveServer, pki: Pki, *, trust_condition: dict[str, Any] | None = None,
           profile: dict[str, Any] | None = None) -> Setup:
    ra, iam = server.client("rolesanywhere"), server.client("iam")
    anchor = ra.create_trust_anchor(name=f"a-{uuid.uuid4().hex[:6]}", enabled=True, source={
        "sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pem(pki.root)}})["trustAnchor"]
    statement: dict[str, Any] = {
        "Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        "Condition": {"ArnEquals": {"aws:SourceArn": anchor["trustAnchorArn"]}, **(trust_condition or {})}}
    name = f"ra-{uuid.uuid4().hex[:8]}"
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [statement]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="read-self", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": role_arn}]}))
    made = ra.create_profile(name=f"p-{uuid.uuid4().hex[:6]}", roleArns=[role_arn], enabled=True,
                             **(profile or {}))["profile"]
    return Setup(anchor["trustAnchorArn"], made["profileArn"], role_arn, name)


def client_session(server: LiveServer, pki: Pki, s: Setup, **kw: Any) -> IAMRolesAnywhereSession:
    return IAMRolesAnywhereSession(
        profile_arn=s.profile_arn, role_arn=s.role_arn, trust_anchor_arn=s.anchor_arn,
        certificate=pem(pki.leaf).encode(), private_key=private_pem(pki.leaf_key),
        certificate_chain=pem(pki.intermediate).encode(), region="us-east-1",
        endpoint=f"127.0.0.1:{server.port}", verify=str(server.ca_bundle), **kw)


def frozen(server: LiveServer, pki: Pki, s: Setup, **kw: Any) -> Any:
    return client_session(server, pki, s, **kw).get_refreshable_credentials().get_frozen_credentials()


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_the_python_client_gets_credentials_that_the_roles_policies_govern(tls: LiveServer, kind: str) -> None:
    pki = make_pki(kind)
    s = set_up(tls, pki)
    creds = frozen(tls, pki, s)
    assert creds.access_key.startswith("ASIA") and creds.token
    iam = tls.client("iam", key_id=creds.access_key, secret=creds.secret_key, token=creds.token)
    assert iam.get_role(RoleName=s.role_name)["Role"]["Arn"] == s.role_arn  # allowed by the role's policy
    with pytest.raises(ClientError) as info:
        iam.list_users()  # not allowed
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    me = tls.client("sts", key_id=creds.access_key, secret=creds.secret_key, token=creds.token).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{s.role_name}/{format(pki.leaf.serial_number, 'x')}"


def test_each_certificate_that_created_a_session_is_a_subject(tls: LiveServer) -> None:
    pki = make_pki("ec", cn="db-7")
    s = set_up(tls, pki)
    creds = frozen(tls, pki, s)
    assert creds.access_key
    subjects = tls.client("rolesanywhere").list_subjects()["subjects"]
    mine = [x for x in subjects if x["x509Subject"] == pki.leaf.subject.rfc4514_string()]
    assert len(mine) == 1 and mine[0]["subjectArn"].startswith(f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:subject/")
    detail = tls.client("rolesanywhere").get_subject(subjectId=mine[0]["subjectId"])["subject"]
    assert [c["serialNumber"] for c in detail["credentials"]] == [str(pki.leaf.serial_number)]


def test_certificate_attributes_are_principal_tags_the_trust_policy_can_test(tls: LiveServer) -> None:
    pki = make_pki("ec", cn="batch-1")
    ok = set_up(tls, pki, trust_condition={"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "batch-1"}})
    assert frozen(tls, pki, ok).access_key
    refused = set_up(tls, pki, trust_condition={"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "someone"}})
    with pytest.raises(Exception, match="AccessDeniedException|Not authorized"):
        frozen(tls, pki, refused)


def test_session_duration_and_accepted_session_name(tls: LiveServer) -> None:
    pki = make_pki("rsa", cn="named")
    s = set_up(tls, pki, profile={"acceptRoleSessionName": True, "durationSeconds": 1800})
    creds = frozen(tls, pki, s, role_session_name="my-session", session_duration=3600)
    me = tls.client("sts", key_id=creds.access_key, secret=creds.secret_key, token=creds.token).get_caller_identity()
    assert me["Arn"].endswith(f"/{s.role_name}/my-session")


def test_a_session_name_is_refused_when_the_profile_does_not_accept_it(tls: LiveServer) -> None:
    pki = make_pki("rsa")
    s = set_up(tls, pki)
    with pytest.raises(Exception, match="roleSessionName is not accepted"):
        frozen(tls, pki, s, role_session_name="sneaky")


def test_session_policies_of_the_profile_narrow_the_session(tls: LiveServer) -> None:
    pki = make_pki("ec")
    s = set_up(tls, pki, profile={"sessionPolicy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})})
    creds = frozen(tls, pki, s)
    iam = tls.client("iam", key_id=creds.access_key, secret=creds.secret_key, token=creds.token)
    with pytest.raises(ClientError):
        iam.get_role(RoleName=s.role_name)  # the role allows it, the session policy does not
