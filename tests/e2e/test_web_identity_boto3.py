"""AssumeRoleWithWebIdentity against a real OpenID provider (node ``oidc-provider``, tests/federation/oidc_fixtures.py)
over HTTPS with a test CA the server trusts through ``federation_ca_bundle``: boto3 calling unsigned, the
credentials then allowed and denied as the role's policies say, and every forgery refused with AWS's error
code (docs/spec/federation.md, "Web identity (OIDC)")."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.credentials
import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import RSAKey

from tests.federation.oidc_fixtures import AUDIENCE, ISSUER, PROVIDER_URL, OidcIdp
from tests.live import ACCOUNT_ID, LiveServer

PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{PROVIDER_URL}"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcIdp]:
    provider = OidcIdp(tmp_path_factory.mktemp("oidc-idp"))
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def server(idp: OidcIdp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Refreshes limited to one a second here, so the rotation tests need not wait a minute; the limit itself
    # is pinned by tests/federation/test_jwks.py.
    srv = LiveServer(tmp_path_factory.mktemp("rolegate-wi"), env={
        "ROLEGATE_FEDERATION_CA_BUNDLE": str(idp.ca_pem), "ROLEGATE_FEDERATION_JWKS_REFRESH_SECONDS": "1"})
    srv.start()
    srv.client("iam").create_open_id_connect_provider(Url=ISSUER, ClientIDList=[AUDIENCE])
    yield srv
    srv.stop()


def trust(*, sub: str = "ci-client", extra_actions: tuple[str, ...] = ()) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": PROVIDER_ARN},
        "Action": ["sts:AssumeRoleWithWebIdentity", *extra_actions],
        "Condition": {"StringEquals": {f"{PROVIDER_URL}:aud": AUDIENCE, f"{PROVIDER_URL}:sub": sub}}}]})


def make_role(server: LiveServer, trust_policy: str, *, allow: str = "iam:ListRoles") -> str:
    iam = server.client("iam")
    name = f"wi-{uuid.uuid4().hex[:10]}"
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy)["Role"]["Arn"])
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": allow, "Resource": "*"}]}))
    return arn


def unsigned_sts(server: LiveServer) -> Any:
    return boto3.session.Session().client("sts", endpoint_url=server.url, region_name="us-east-1",
                                          config=botocore.config.Config(signature_version=UNSIGNED,
                                                                        retries={"max_attempts": 1}))


def assume(server: LiveServer, role_arn: str, token: str, **kwargs: Any) -> dict[str, Any]:
    return dict(unsigned_sts(server).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="ci", WebIdentityToken=token, **kwargs))


def refused(server: LiveServer, role_arn: str, token: str) -> str:
    with pytest.raises(ClientError) as exc:
        assume(server, role_arn, token)
    return str(exc.value.response["Error"]["Code"])


@pytest.fixture(scope="module")
def role(server: LiveServer) -> str:
    return make_role(server, trust())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _with_payload(token: str, change: dict[str, Any]) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload))
    claims.update(change)
    return ".".join((header, _b64(json.dumps(claims).encode()), signature))


# --- the operation, end to end --------------------------------------------------------------------


def test_a_token_from_the_identity_provider_gets_credentials_the_roles_policy_governs(
        server: LiveServer, idp: OidcIdp, role: str) -> None:
    token = idp.token()
    out = assume(server, role, token)
    role_name = role.rsplit("/", 1)[-1]
    assert out["SubjectFromWebIdentityToken"] == "ci-client"
    assert out["Provider"] == PROVIDER_URL and out["Audience"] == AUDIENCE
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role_name}/ci"
    creds = out["Credentials"]
    keys = {"key_id": creds["AccessKeyId"], "secret": creds["SecretAccessKey"], "token": creds["SessionToken"]}
    who = server.client("sts", **keys).get_caller_identity()
    assert who["Arn"] == out["AssumedRoleUser"]["Arn"]
    iam = server.client("iam", **keys)
    iam.list_roles()  # the role's policy allows it
    with pytest.raises(ClientError) as exc:
        iam.list_users()  # and nothing else
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_the_session_carries_aws_federated_provider_into_its_later_requests(
        server: LiveServer, idp: OidcIdp) -> None:
    # IAM User Guide, aws:FederatedProvider: the session's requests name the IdP that authenticated it, so
    # a policy can allow only sessions from one provider.
    iam = server.client("iam")
    arn = make_role(server, trust())
    name = arn.rsplit("/", 1)[-1]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
             "Condition": {"StringEquals": {"aws:FederatedProvider": PROVIDER_ARN}}},
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
             "Condition": {"StringEquals": {"aws:FederatedProvider": "arn:aws:iam::123456789012:oidc-provider/x"}}}]}))
    creds = assume(server, arn, idp.token())["Credentials"]
    session = server.client("iam", key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                            token=creds["SessionToken"])
    session.list_roles(MaxItems=1)
    with pytest.raises(ClientError) as exc:
        session.list_users()
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_an_es256_token_verifies_too(server: LiveServer, idp: OidcIdp) -> None:
    arn = make_role(server, trust(sub="ec-client"))
    assert assume(server, arn, idp.token("ec-client"))["SubjectFromWebIdentityToken"] == "ec-client"


def test_a_trust_policy_whose_sub_condition_does_not_match_refuses(server: LiveServer, idp: OidcIdp) -> None:
    arn = make_role(server, trust(sub="someone-else"))
    assert refused(server, arn, idp.token()) == "AccessDenied"


def test_session_tags_and_source_identity_come_from_the_token_and_need_their_permissions(
        server: LiveServer, idp: OidcIdp) -> None:
    token = idp.token("tagged-client")
    without = make_role(server, trust(sub="tagged-client"))
    assert refused(server, without, token) == "AccessDenied"  # no sts:TagSession / sts:SetSourceIdentity
    arn = make_role(server, trust(sub="tagged-client", extra_actions=("sts:TagSession", "sts:SetSourceIdentity")),
                    allow="iam:ListRoles")
    out = assume(server, arn, token)
    assert out["SourceIdentity"] == "ci-runner"
    assert out["PackedPolicySize"] > 0


def test_session_policies_narrow_the_session_and_duration_is_capped_by_the_role(
        server: LiveServer, idp: OidcIdp, role: str) -> None:
    deny_all = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
    creds = assume(server, role, idp.token(), Policy=deny_all)["Credentials"]
    iam = server.client("iam", key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                        token=creds["SessionToken"])
    with pytest.raises(ClientError) as exc:
        iam.list_roles()
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        assume(server, role, idp.token(), DurationSeconds=7200)
    assert exc.value.response["Error"]["Code"] == "ValidationError"


# --- the negative matrix ------------------------------------------------------------------------------


def test_wrong_issuer_no_provider_registered_for_it(server: LiveServer, idp: OidcIdp, role: str) -> None:
    assert refused(server, role, _with_payload(idp.token(), {"iss": "https://127.0.0.3"})) == "InvalidIdentityToken"


def test_wrong_audience(server: LiveServer, idp: OidcIdp, role: str) -> None:
    assert refused(server, role, idp.token(audience="not-registered")) == "InvalidIdentityToken"


def test_payload_tampered(server: LiveServer, idp: OidcIdp, role: str) -> None:
    assert refused(server, role, _with_payload(idp.token("other-client"), {"sub": "ci-client"})) \
        == "InvalidIdentityToken"


def test_signature_tampered(server: LiveServer, idp: OidcIdp, role: str) -> None:
    header, payload, signature = idp.token().split(".")
    raw = bytearray(_unb64(signature))
    raw[10] ^= 0x01
    assert refused(server, role, ".".join((header, payload, _b64(bytes(raw))))) == "InvalidIdentityToken"


def test_alg_none(server: LiveServer, idp: OidcIdp, role: str) -> None:
    header, payload, _ = idp.token().split(".")
    kid = json.loads(_unb64(header))["kid"]
    unsecured = _b64(json.dumps({"alg": "none", "kid": kid}).encode())
    assert refused(server, role, f"{unsecured}.{payload}.") == "InvalidIdentityToken"
    assert refused(server, role, f"{unsecured}.{payload}.x") == "InvalidIdentityToken"


def test_hs256_signed_with_the_providers_public_key(server: LiveServer, idp: OidcIdp, role: str) -> None:
    header, payload, _ = idp.token().split(".")
    kid = json.loads(_unb64(header))["kid"]
    jwk = next(k for k in idp.jwks()["keys"] if k["kid"] == kid)
    public_pem = RSAKey.import_key(jwk).public_key.public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    forged_header = _b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
    mac = hmac.new(public_pem, f"{forged_header}.{payload}".encode(), hashlib.sha256).digest()
    assert refused(server, role, f"{forged_header}.{payload}.{_b64(mac)}") == "InvalidIdentityToken"


def test_expired(server: LiveServer, idp: OidcIdp, role: str) -> None:
    # A token the provider signed for one second (its "short-client" resource server lifetime).
    token = idp.token("short-client")
    time.sleep(2.1)
    assert refused(server, role, token) == "ExpiredTokenException"


def test_not_a_compact_jws(server: LiveServer, role: str) -> None:
    assert refused(server, role, "a.b.c.d.e") == "InvalidIdentityToken"


# --- keys: rotation, removal, an unreachable provider --------------------------------------------


def test_keys_rotate_without_a_restart_and_removed_keys_stop_verifying(
        server: LiveServer, idp: OidcIdp, role: str) -> None:
    old = idp.token()
    assume(server, role, old)
    idp.rotate()
    new = idp.token()
    assert json.loads(_unb64(new.split(".")[0]))["kid"] != json.loads(_unb64(old.split(".")[0]))["kid"]
    assert assume(server, role, new)["SubjectFromWebIdentityToken"] == "ci-client"  # new kid picked up
    assume(server, role, old)  # the old key is still published: old tokens still verify
    idp.drop_old_keys()
    idp.rotate()
    time.sleep(1.1)  # past this server's refresh limit
    assume(server, role, idp.token())  # the refresh that learns the old key is gone
    time.sleep(1.1)
    assert refused(server, role, old) == "InvalidIdentityToken"


def test_unknown_kid_while_the_provider_is_down(server: LiveServer, idp: OidcIdp, role: str) -> None:
    cached = idp.token()
    assume(server, role, cached)
    idp.rotate()
    unknown = idp.token()
    idp.down()
    try:
        time.sleep(1.1)
        assert refused(server, role, unknown) == "IDPCommunicationError"
        assume(server, role, cached)  # cached keys keep working while the provider is unreachable
    finally:
        idp.up()
    time.sleep(1.1)
    assume(server, role, unknown)  # back up: the next refresh learns the new key


# --- real clients ---------------------------------------------------------------------------------


def test_botocores_web_identity_provider_works_unmodified_across_a_token_rewrite(
        server: LiveServer, idp: OidcIdp, role: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(idp.token() + "\n")  # as Kubernetes writes it; botocore sends it unstripped
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", role)
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "pod")
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    session = boto3.session.Session(region_name="us-east-1")
    creds = session.get_credentials()
    assert creds is not None and creds.method == "assume-role-with-web-identity"
    first = creds.get_frozen_credentials().access_key
    assert session.client("sts").get_caller_identity()["Arn"].endswith(f"{role.rsplit('/', 1)[-1]}/pod")
    token_file.write_text(idp.token() + "\n")  # the projected token is rotated
    # Most of an hour passes, as far as botocore can tell: its clock (``_local_now``) moves into the refresh
    # window, so its own refresh logic re-reads the token file and calls again. The provider's code is untouched.
    later = botocore.credentials._local_now() + datetime.timedelta(minutes=48)
    monkeypatch.setattr(botocore.credentials, "_local_now", lambda: later)
    monkeypatch.setattr(creds, "_time_fetcher", lambda: later)
    assert creds.get_frozen_credentials().access_key != first
    session.client("iam").list_roles()


def test_the_aws_cli_assumes_a_role_with_web_identity(server: LiveServer, idp: OidcIdp, role: str,
                                                      tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    aws_bin = Path(sys.executable).with_name("aws")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": str(tmp_path), "AWS_DEFAULT_REGION": "us-east-1"})
    proc = subprocess.run([str(aws_bin), "sts", "assume-role-with-web-identity", "--endpoint-url", server.url,
                           "--role-arn", role, "--role-session-name", "cli", "--web-identity-token", idp.token(),
                           "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["AssumedRoleUser"]["Arn"].endswith("/cli") and out["Credentials"]["AccessKeyId"].startswith("ASIA")


# --- a provider whose chain no trusted root signs: IAM's thumbprint fallback ------------------------


@pytest.fixture(scope="module")
def untrusting_server(idp: OidcIdp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server that does not trust the test CA: only a provider's ThumbprintList can vouch for the IdP."""
    srv = LiveServer(tmp_path_factory.mktemp("rolegate-wi-untrusting"),
                     env={"ROLEGATE_FEDERATION_JWKS_REFRESH_SECONDS": "1"})
    srv.start()
    yield srv
    srv.stop()


def test_an_untrusted_chain_is_accepted_only_by_the_thumbprint_of_its_top_certificate(
        untrusting_server: LiveServer, idp: OidcIdp) -> None:
    srv = untrusting_server
    iam = srv.client("iam")
    iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=[AUDIENCE], ThumbprintList=["0" * 40])
    arn = make_role(srv, trust())
    assert refused(srv, arn, idp.token()) == "IDPCommunicationError"  # the chain is not trusted, no print fits
    # The server presents only its own certificate, so that is the top of its chain.
    top = idp.server_certificate_der()
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=PROVIDER_ARN,
                                                   ThumbprintList=[hashlib.sha1(top).hexdigest()])
    time.sleep(1.1)  # past this server's refresh limit
    assert assume(srv, arn, idp.token())["SubjectFromWebIdentityToken"] == "ci-client"
