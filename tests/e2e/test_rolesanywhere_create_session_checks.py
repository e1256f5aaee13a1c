"""CreateSession's checks one by one, with requests signed by hand (``tests.anywhere.signer``) against the TLS
server: both client dialects (the Go helper's query-string ARNs with a chunked body), the exact response
body, and the negative matrix of issue 14 — each refusal with AWS's code, leaving no subject behind."""

from __future__ import annotations

import datetime as dt
import json
import ssl
import uuid
from typing import Any

import httpx
import pytest
from cryptography import x509

from tests.anywhere.pki import NOW, certificate, crl, key, pem, sha1_leaf
from tests.anywhere.signer import Signed, sign
from tests.e2e.test_rolesanywhere_sessions import Pki, Setup, make_pki, set_up
from tests.live import LiveServer

ACCOUNT = "123456789012"


def send(server: LiveServer, req: Signed, *, chunked: bool = False, body: bytes | None = None) -> httpx.Response:
    context = ssl.create_default_context(cafile=str(server.ca_bundle))
    payload = req.body if body is None else body
    content: Any = iter([payload[:7], payload[7:]]) if chunked else payload
    url = f"{server.url}{req.path}" + (f"?{req.query}" if req.query else "")
    headers = {k: v for k, v in req.headers.items() if k != "host"}
    with httpx.Client(verify=context) as client:
        return client.post(url, headers=headers, content=content)


def signed(server: LiveServer, pki: Pki, s: Setup, **kw: Any) -> Signed:
    chain = kw.pop("chain", (pki.intermediate,))
    return sign(kw.pop("leaf", pki.leaf), kw.pop("leaf_key", pki.leaf_key), f"127.0.0.1:{server.port}",
                anchor_arn=s.anchor_arn, profile_arn=s.profile_arn, role_arn=s.role_arn, chain=chain, **kw)


def refused(res: httpx.Response) -> tuple[int, str, str]:
    return res.status_code, res.headers.get("x-amzn-errortype", ""), res.json().get("message", "")


def subjects(server: LiveServer) -> set[str]:
    return {s["x509Subject"] for s in server.client("rolesanywhere").list_subjects(pageSize=1000)["subjects"]}


@pytest.fixture
def ready(tls: LiveServer) -> tuple[LiveServer, Pki, Setup]:
    pki = make_pki("ec", cn=f"host-{uuid.uuid4().hex[:8]}")
    return tls, pki, set_up(tls, pki)


# --- the two dialects --------------------------------------------------------------------------------


def test_the_python_dialect_answers_201_with_the_documented_body(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    res = send(server, signed(server, pki, s))
    assert res.status_code == 201 and res.headers["content-type"] == "application/json"
    body = res.json()
    assert set(body) == {"credentialSet", "subjectArn"}
    (entry,) = body["credentialSet"]
    assert set(entry) == {"assumedRoleUser", "credentials", "packedPolicySize", "roleArn", "sourceIdentity"}
    session = format(pki.leaf.serial_number, "x")
    assert entry["assumedRoleUser"]["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{s.role_name}/{session}"
    assert entry["assumedRoleUser"]["assumedRoleId"].startswith("AROA")
    assert entry["assumedRoleUser"]["assumedRoleId"].endswith(f":{session}")
    assert set(entry["credentials"]) == {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}
    assert entry["credentials"]["accessKeyId"].startswith("ASIA")
    expires = dt.datetime.fromisoformat(entry["credentials"]["expiration"].replace("Z", "+00:00"))
    assert 850 <= (expires - dt.datetime.now(dt.timezone.utc)).total_seconds() <= 905
    assert (entry["roleArn"], entry["sourceIdentity"]) == (s.role_arn, f"CN={pki.leaf.subject.rfc4514_string()[3:]}")
    assert body["subjectArn"].startswith(f"arn:aws:rolesanywhere:us-east-1:{ACCOUNT}:subject/")


def test_the_go_dialect_with_query_string_arns_and_a_chunked_body(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    req = signed(server, pki, s, go=True)
    assert "profileArn=arn%3Aaws%3Arolesanywhere" in req.query
    res = send(server, req, chunked=True)
    assert res.status_code == 201, res.text
    assert res.json()["credentialSet"][0]["roleArn"] == s.role_arn


@pytest.mark.parametrize("algorithm", ["AWS4-X509-ECDSA-SHA256", "AWS4-X509-ECDSA-SHA384", "AWS4-X509-ECDSA-SHA512"])
def test_every_ecdsa_algorithm_string_is_accepted(ready: tuple[LiveServer, Pki, Setup], algorithm: str) -> None:
    server, pki, s = ready
    assert send(server, signed(server, pki, s, algorithm=algorithm)).status_code == 201


@pytest.mark.parametrize("algorithm", ["AWS4-X509-RSA-SHA256", "AWS4-X509-RSA-SHA384", "AWS4-X509-RSA-SHA512"])
def test_every_rsa_algorithm_string_is_accepted(tls: LiveServer, algorithm: str) -> None:
    pki = make_pki("rsa")
    s = set_up(tls, pki)
    assert send(tls, signed(tls, pki, s, algorithm=algorithm)).status_code == 201


def test_an_algorithm_that_does_not_match_the_key_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    assert refused(send(server, signed(server, pki, s, algorithm="AWS4-X509-RSA-SHA256")))[:2] == \
        (403, "AccessDeniedException")


# --- the negative matrix --------------------------------------------------------------------------------


def _denied(server: LiveServer, res: httpx.Response, leaf: x509.Certificate, code: str = "AccessDeniedException",
            status: int = 403) -> str:
    got = refused(res)
    assert got[:2] == (status, code), got
    assert leaf.subject.rfc4514_string() not in subjects(server)
    return got[2]


def _with_leaf(pki: Pki, **kw: Any) -> Pki:
    leaf_key = key("ec")
    leaf = certificate(f"leaf-{uuid.uuid4().hex[:6]}", pki.intermediate_key, issuer=pki.intermediate, ca=False,
                       public_key=leaf_key.public_key(), **kw)
    return Pki(pki.root, pki.intermediate, pki.intermediate_key, leaf, leaf_key)


def test_an_expired_leaf_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    old = _with_leaf(pki, not_before=NOW - dt.timedelta(days=10), not_after=NOW - dt.timedelta(days=1))
    assert "Untrusted signing certificate" in _denied(server, send(server, signed(server, old, s,
                                                      leaf=old.leaf, leaf_key=old.leaf_key)), old.leaf)


def test_a_not_yet_valid_leaf_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    new = _with_leaf(pki, not_before=NOW + dt.timedelta(days=1), not_after=NOW + dt.timedelta(days=10))
    _denied(server, send(server, signed(server, new, s, leaf=new.leaf, leaf_key=new.leaf_key)), new.leaf)


def test_a_leaf_from_another_ca_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, _, s = ready
    stranger = make_pki("ec", cn="stranger")
    _denied(server, send(server, signed(server, stranger, s, leaf=stranger.leaf, leaf_key=stranger.leaf_key,
                                        chain=(stranger.intermediate,))), stranger.leaf)


def test_an_intermediate_without_ca_true_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    root_key = key("ec")
    root = certificate("Root B", root_key)
    not_ca_key = key("ec")
    not_ca = certificate("Not a CA", root_key, issuer=root, ca=False, public_key=not_ca_key.public_key())
    leaf_key = key("ec")
    leaf = certificate("under-not-ca", not_ca_key, issuer=not_ca, ca=False, public_key=leaf_key.public_key())
    other = set_up(server, Pki(root, not_ca, not_ca_key, leaf, leaf_key))
    _denied(server, send(server, sign(leaf, leaf_key, f"127.0.0.1:{server.port}", anchor_arn=other.anchor_arn,
                                      profile_arn=other.profile_arn, role_arn=other.role_arn, chain=(not_ca,))), leaf)


def test_a_leaf_revoked_by_an_enabled_crl_is_refused_and_accepted_while_it_is_disabled(tls: LiveServer) -> None:
    ra = tls.client("rolesanywhere")
    root_key = key("ec")
    root = certificate("CRL Root", root_key)
    leaf_key = key("ec")
    leaf = certificate(f"revoked-{uuid.uuid4().hex[:6]}", root_key, issuer=root, ca=False,
                       public_key=leaf_key.public_key())
    pki = Pki(root, root, root_key, leaf, leaf_key, root_key)
    s = set_up(tls, pki)
    crl_id = ra.import_crl(name="r", crlData=crl(root, root_key, (leaf.serial_number,)), trustAnchorArn=s.anchor_arn,
                           enabled=True)["crl"]["crlId"]
    assert "revoked" in _denied(tls, send(tls, signed(tls, pki, s, chain=())), leaf)
    ra.disable_crl(crlId=crl_id)
    assert send(tls, signed(tls, pki, s, chain=())).status_code == 201


def test_an_intermediate_revoked_by_the_anchors_crl_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    server.client("rolesanywhere").import_crl(
        name="r", crlData=crl(pki.root, pki.root_key, (pki.intermediate.serial_number,)),
        trustAnchorArn=s.anchor_arn, enabled=True)
    assert "revoked" in _denied(server, send(server, signed(server, pki, s)), pki.leaf)


def test_a_crl_not_signed_by_the_anchor_cannot_be_imported(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, _, s = ready
    other = make_pki("ec")
    with pytest.raises(Exception, match="not signed by a CA certificate of the trust anchor"):
        server.client("rolesanywhere").import_crl(name="foreign", crlData=crl(other.root, other.root_key),
                                                  trustAnchorArn=s.anchor_arn)


def test_a_disabled_trust_anchor_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    server.client("rolesanywhere").disable_trust_anchor(trustAnchorId=s.anchor_arn.rsplit("/", 1)[1])
    assert "trust anchor is disabled" in _denied(server, send(server, signed(server, pki, s)), pki.leaf)


def test_a_disabled_profile_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    server.client("rolesanywhere").disable_profile(profileId=s.profile_arn.rsplit("/", 1)[1])
    assert "profile is disabled" in _denied(server, send(server, signed(server, pki, s)), pki.leaf)


def test_a_role_not_in_the_profile_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    other = set_up(server, pki)
    mixed = Setup(s.anchor_arn, s.profile_arn, other.role_arn, other.role_name)
    assert "not one of the profile's roles" in _denied(server, send(server, signed(server, pki, mixed)), pki.leaf)


def test_a_trust_policy_without_the_service_principal_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    server.client("iam").update_assume_role_policy(RoleName=s.role_name, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    _denied(server, send(server, signed(server, pki, s)), pki.leaf)


def test_a_failing_x509_condition_in_the_trust_policy_is_refused(tls: LiveServer) -> None:
    pki = make_pki("ec", cn="wrong-cn")
    s = set_up(tls, pki, trust_condition={"StringEquals": {"aws:PrincipalTag/x509Issuer/CN": "Someone else"}})
    _denied(tls, send(tls, signed(tls, pki, s)), pki.leaf)


def test_a_body_changed_after_signing_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    req = signed(server, pki, s)
    changed = req.body.replace(b'"durationSeconds": 900', b'"durationSeconds": 901')
    assert "signature does not match" in _denied(server, send(server, req, body=changed), pki.leaf)


def test_a_serial_in_credential_that_is_not_the_leafs_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    message = _denied(server, send(server, signed(server, pki, s, serial=pki.leaf.serial_number + 1)), pki.leaf)
    assert "serial number" in message


def test_a_stale_x_amz_date_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    stale = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=6)
    assert "Signature expired" in _denied(server, send(server, signed(server, pki, s, when=stale)), pki.leaf)


def test_a_sha1_signed_certificate_is_refused(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    leaf, leaf_key = sha1_leaf(pki.intermediate, pki.intermediate_key)
    _denied(server, send(server, signed(server, pki, s, leaf=leaf, leaf_key=leaf_key)), leaf)


def test_a_session_for_a_missing_trust_anchor_is_not_found(ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    gone = Setup(s.anchor_arn.rsplit("/", 1)[0] + f"/{uuid.uuid4()}", s.profile_arn, s.role_arn, s.role_name)
    _denied(server, send(server, signed(server, pki, gone)), pki.leaf, code="ResourceNotFoundException", status=404)


def test_an_unsigned_request_is_refused(tls: LiveServer) -> None:
    context = ssl.create_default_context(cafile=str(tls.ca_bundle))
    res = httpx.post(f"{tls.url}/sessions", json={}, verify=context)
    assert (res.status_code, res.headers["x-amzn-errortype"]) == (403, "AccessDeniedException")


# --- what the per-worker caches may not hide ---------------------------------------------------------
# The certificates a header carries are parsed once per distinct value, the verified path is kept under the
# anchor account's invalidation stamp, the certificate's tags per certificate: each change below must be seen
# by the very next request, which carries the same headers as the accepted ones before it.


def _warm(server: LiveServer, pki: Pki, s: Setup) -> Signed:
    req = signed(server, pki, s)
    for _ in range(3):  # the same signed request, replayed: every cache on its path is hit
        assert send(server, req).status_code == 201
    return req


def _refused_after(res: httpx.Response, reason: str) -> bool:
    """Refused as AccessDeniedException with ``reason`` in the message (the subject exists: it was accepted
    before the change)."""
    status, code, message = refused(res)
    return (status, code) == (403, "AccessDeniedException") and reason in message


def test_a_crl_imported_after_the_path_was_cached_refuses_the_next_request(
        ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    req = _warm(server, pki, s)
    server.client("rolesanywhere").import_crl(name="late", trustAnchorArn=s.anchor_arn, enabled=True,
                                              crlData=crl(pki.root, pki.root_key, (pki.intermediate.serial_number,)))
    assert _refused_after(send(server, req), "revoked")


def test_an_anchor_disabled_after_the_path_was_cached_refuses_the_next_request(
        ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    req = _warm(server, pki, s)
    ra = server.client("rolesanywhere")
    anchor_id = s.anchor_arn.rsplit("/", 1)[1]
    ra.disable_trust_anchor(trustAnchorId=anchor_id)
    assert _refused_after(send(server, req), "trust anchor is disabled")
    ra.enable_trust_anchor(trustAnchorId=anchor_id)
    assert send(server, req).status_code == 201


def test_an_anchor_updated_to_another_ca_after_the_path_was_cached_refuses_the_next_request(
        ready: tuple[LiveServer, Pki, Setup]) -> None:
    server, pki, s = ready
    req = _warm(server, pki, s)
    other = make_pki("ec")
    server.client("rolesanywhere").update_trust_anchor(
        trustAnchorId=s.anchor_arn.rsplit("/", 1)[1],
        source={"sourceType": "CERTIFICATE_BUNDLE", "sourceData": {"x509CertificateData": pem(other.root)}})
    assert _refused_after(send(server, req), "Untrusted signing certificate")


def test_a_profile_mapping_changed_after_the_tags_were_cached_changes_the_next_sessions_tags(tls: LiveServer) -> None:
    """The trust policy requires the subject CN tag; once the profile stops mapping the subject, the same
    certificate's next session has no such tag and is refused."""
    cn = f"tagged-{uuid.uuid4().hex[:6]}"
    pki = make_pki("ec", cn=cn)
    s = set_up(tls, pki, trust_condition={"StringEquals": {"aws:PrincipalTag/x509Subject/CN": cn}})
    req = _warm(tls, pki, s)
    tls.client("rolesanywhere").delete_attribute_mapping(profileId=s.profile_arn.rsplit("/", 1)[1],
                                                          certificateField="x509Subject")
    assert _refused_after(send(tls, req), "")
