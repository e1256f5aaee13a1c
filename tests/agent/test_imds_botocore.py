"""``rolegate agent`` in certificate mode (IAM Roles Anywhere), as a real process on loopback, read by the real
clients unmodified: botocore's instance-metadata and container providers through the default chain, a
``credential_process`` profile running ``rolegate credential-process --imds-address``, and the AWS CLI. Each gets
credentials that the role's policies govern. Plus the IMDS defences (tokens, TTLs, X-Forwarded-For, IMDSv1 off),
renewal before expiry and static stability with the server gone (the agent's clock injected), and no secret in the
agent's log."""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import httpx
import pytest
from botocore.exceptions import ClientError, CredentialRetrievalError

from rolegate.agent.imds_app import ImdsApp
from rolegate.agent.metrics import AgentMetrics
from rolegate.agent.roles_anywhere import CertificateIdentity
from rolegate.agent.sources import CertificateSource, Refresher
from rolegate.core.clock import FixedClock, SystemClock
from rolegate.obs.logging import configure_logging
from tests.anywhere.pki import pem, private_pem
from tests.live import tls_server
from tests.e2e.test_rolesanywhere_sessions import Pki, Setup, make_pki, set_up
from tests.live import LiveServer

from .asgi_client import call
from .live_agent import LiveAgent, certificate_args, clean_env, metric

pytestmark = pytest.mark.live

TTL = "x-aws-ec2-metadata-token-ttl-seconds"


@pytest.fixture(scope="module")
def host(tls: LiveServer) -> tuple[Pki, Setup]:
    pki = make_pki("ec", cn="agent-host-1")
    return pki, set_up(tls, pki)


@pytest.fixture(scope="module")
def agent(tls: LiveServer, host: tuple[Pki, Setup], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveAgent]:
    pki, s = host
    d = tmp_path_factory.mktemp("agent-cert")
    a = LiveAgent(d / "state", certificate_args(tls, pki, s, d))
    a.start()
    yield a
    a.stop()


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """This process with no AWS configuration: the default chain finds nothing but what a test points it at."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return monkeypatch


def _governed_by_the_role(session: boto3.session.Session, tls: LiveServer, s: Setup) -> None:
    """The credentials work, as the role: GetRole allowed by its policy, ListUsers not."""
    sts = session.client("sts", endpoint_url=tls.url, region_name="us-east-1", verify=str(tls.ca_bundle))
    assert f":assumed-role/{s.role_name}/" in sts.get_caller_identity()["Arn"]
    iam = session.client("iam", endpoint_url=tls.url, region_name="us-east-1", verify=str(tls.ca_bundle))
    assert iam.get_role(RoleName=s.role_name)["Role"]["Arn"] == s.role_arn
    with pytest.raises(ClientError) as denied:
        iam.list_users()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


# --- the real clients ------------------------------------------------------------------------------

def test_the_default_chain_finds_the_agent_as_instance_metadata(no_aws: pytest.MonkeyPatch, agent: LiveAgent,
                                                                tls: LiveServer, host: tuple[Pki, Setup]) -> None:
    no_aws.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", agent.imds_url)
    no_aws.setenv("AWS_EC2_METADATA_V1_DISABLED", "true")  # IMDSv2 only, as a hardened instance would
    session = boto3.session.Session(region_name="us-east-1")
    creds = session.get_credentials()
    assert creds is not None and creds.method == "iam-role"
    assert creds.get_frozen_credentials().access_key.startswith("ASIA")
    _governed_by_the_role(session, tls, host[1])


def test_the_container_provider_gets_credentials_with_the_account(no_aws: pytest.MonkeyPatch, agent: LiveAgent,
                                                                   tls: LiveServer, host: tuple[Pki, Setup]) -> None:
    no_aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.container_url)
    no_aws.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(agent.token_file))
    no_aws.setenv("AWS_EC2_METADATA_DISABLED", "true")
    session = boto3.session.Session(region_name="us-east-1")
    creds = session.get_credentials()
    assert creds is not None and creds.method == "container-role"
    assert creds.account_id == "123456789012"
    _governed_by_the_role(session, tls, host[1])


def test_the_container_provider_with_a_wrong_token_gets_nothing(no_aws: pytest.MonkeyPatch, agent: LiveAgent,
                                                                 tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-token"
    wrong.write_text("not-the-agents-token")
    no_aws.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.container_url)
    no_aws.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(wrong))
    with pytest.raises(CredentialRetrievalError):
        boto3.session.Session(region_name="us-east-1").get_credentials()


def test_the_container_endpoint_refuses_no_token_401_and_a_wrong_one_403(agent: LiveAgent) -> None:
    assert httpx.get(agent.container_url, trust_env=False).status_code == 401
    assert httpx.get(agent.container_url, headers={"Authorization": "guess"}, trust_env=False).status_code == 403
    ok = httpx.get(agent.container_url, headers={"Authorization": agent.container_token or ""}, trust_env=False)
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"


def test_a_credential_process_profile_reads_the_agent(no_aws: pytest.MonkeyPatch, agent: LiveAgent, tls: LiveServer,
                                                       host: tuple[Pki, Setup], tmp_path: Path) -> None:
    command = [sys.executable, "-m", "rolegate", "credential-process", "--imds-address", f"127.0.0.1:{agent.imds_port}"]
    printed = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout)
    assert printed["Version"] == 1 and printed["AccountId"] == "123456789012"
    assert set(printed) == {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AccountId"}
    config = tmp_path / "config"
    config.write_text(f"[profile via-agent]\ncredential_process = {shlex.join(command)}\n")
    no_aws.setenv("AWS_CONFIG_FILE", str(config))
    session = boto3.session.Session(profile_name="via-agent", region_name="us-east-1")
    creds = session.get_credentials()
    assert creds is not None and creds.method == "custom-process"
    _governed_by_the_role(session, tls, host[1])


def test_credential_process_says_why_when_no_agent_answers(tmp_path: Path) -> None:
    from tests.live import free_port

    got = subprocess.run([sys.executable, "-m", "rolegate", "credential-process", "--imds-address",
                          f"127.0.0.1:{free_port()}"], capture_output=True, text=True, timeout=60)
    assert got.returncode == 1 and "cannot reach the agent" in got.stderr and got.stdout == ""


def test_the_aws_cli_uses_the_agent_with_no_credentials_configured(agent: LiveAgent, tls: LiveServer,
                                                                    host: tuple[Pki, Setup], tmp_path: Path) -> None:
    env = {**clean_env(tmp_path), "AWS_EC2_METADATA_SERVICE_ENDPOINT": agent.imds_url}
    aws = str(Path(sys.executable).parent / "aws")
    got = subprocess.run([aws, "sts", "get-caller-identity", "--endpoint-url", tls.url, "--ca-bundle",
                          str(tls.ca_bundle), "--region", "us-east-1", "--output", "json"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert got.returncode == 0, got.stderr
    assert f":assumed-role/{host[1].role_name}/" in json.loads(got.stdout)["Arn"]
    denied = subprocess.run([aws, "iam", "list-users", "--endpoint-url", tls.url, "--ca-bundle", str(tls.ca_bundle),
                             "--region", "us-east-1"], capture_output=True, text=True, env=env, timeout=120)
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr


# --- the IMDS defences -----------------------------------------------------------------------------

def test_a_get_without_a_token_is_401_while_imdsv1_is_off(agent: LiveAgent) -> None:
    assert agent.get("latest/meta-data/iam/security-credentials/").status_code == 401
    assert agent.get("latest/meta-data/iam/security-credentials/", token="forged").status_code == 401
    role = agent.get("latest/meta-data/iam/security-credentials/", token=agent.token())
    assert role.status_code == 200 and role.headers["content-type"].startswith("text/plain")


def test_an_expired_token_is_401(agent: LiveAgent) -> None:
    token = agent.token(ttl="1")
    time.sleep(1.1)
    assert agent.get("latest/meta-data/iam/security-credentials/", token=token).status_code == 401


@pytest.mark.parametrize("ttl,status", [("1", 200), ("21600", 200), ("0", 400), ("21601", 400), ("ten", 400)])
def test_the_token_ttl_must_be_one_second_to_six_hours(agent: LiveAgent, ttl: str, status: int) -> None:
    res = httpx.put(agent.imds_url + "latest/api/token", headers={TTL: ttl}, trust_env=False)
    assert res.status_code == status
    if status == 200:
        assert res.headers[TTL] == ttl


def test_a_token_put_without_a_ttl_is_400(agent: LiveAgent) -> None:
    assert httpx.put(agent.imds_url + "latest/api/token", trust_env=False).status_code == 400


def test_a_token_put_relayed_by_a_proxy_is_refused(agent: LiveAgent) -> None:
    res = httpx.put(agent.imds_url + "latest/api/token", headers={TTL: "60", "X-Forwarded-For": "10.0.0.7"},
                    trust_env=False)
    assert res.status_code == 403 and res.text != ""
    assert not res.text.startswith("AQ")  # no token in the refusal


def test_the_token_path_takes_only_put(agent: LiveAgent) -> None:
    assert httpx.get(agent.imds_url + "latest/api/token", headers={TTL: "60"}, trust_env=False).status_code == 405


class _ForwardingProxy:
    """An HTTP forward proxy on loopback that relays what it is sent and adds ``X-Forwarded-For``, as a proxy a
    server-side request forgery goes through would."""

    def __init__(self) -> None:
        import http.server
        import threading

        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")}
                got = httpx.request(self.command, self.path, headers={**headers, "X-Forwarded-For": "10.0.0.7"},
                                    content=body, trust_env=False)
                proxy.seen.append((self.command, got.status_code))
                self.send_response(got.status_code)
                self.send_header("content-length", str(len(got.content)))
                self.end_headers()
                self.wfile.write(got.content)

            do_GET = do_PUT = _relay

            def log_message(self, *args: Any) -> None:
                pass

        self.seen: list[tuple[str, int]] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_client_behind_a_forwarding_proxy_gets_no_credentials(no_aws: pytest.MonkeyPatch, agent: LiveAgent) -> None:
    """botocore through a proxy (it honours HTTP_PROXY for IMDS): the token PUT carries X-Forwarded-For and is
    refused (403), botocore falls back to IMDSv1, and with v1 off those GETs are 401 — no credentials."""
    proxy = _ForwardingProxy()
    try:
        no_aws.delenv("NO_PROXY")
        no_aws.setenv("HTTP_PROXY", proxy.url)
        no_aws.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", agent.imds_url)
        no_aws.setenv("AWS_EC2_METADATA_DISABLED", "false")
        assert boto3.session.Session(region_name="us-east-1").get_credentials() is None
    finally:
        proxy.close()
    assert proxy.seen[0] == ("PUT", 403) and ("GET", 401) in proxy.seen


def test_a_host_outside_the_platform_has_no_instance_paths(agent: LiveAgent) -> None:
    token = agent.token()
    for path in ("latest/meta-data/instance-id", "latest/dynamic/instance-identity/document"):
        assert agent.get(path, token).status_code == 404


def test_imdsv1_on_answers_gets_without_a_token(tls: LiveServer, host: tuple[Pki, Setup], tmp_path: Path) -> None:
    pki, s = host
    a = LiveAgent(tmp_path / "state", certificate_args(tls, pki, s, tmp_path, "--imdsv1", "on"), container_token=None)
    a.start()
    try:
        assert a.get("latest/meta-data/iam/security-credentials/").text == s.role_name
    finally:
        code = a.stop()
    assert code == 0 and "agent stopping" in a.log()  # SIGTERM: a clean stop


def test_the_hop_limit_of_the_imds_listener_is_one() -> None:
    import socket

    from rolegate.agent.runner import IMDS_HOP_LIMIT, bind

    sock = bind("imds", "127.0.0.1:0", IMDS_HOP_LIMIT)
    sock.setblocking(True)
    try:
        with socket.create_connection(sock.getsockname()) as client:
            accepted, _ = sock.accept()
            with accepted:  # what answers the client: every response leaves with a hop limit of 1
                assert accepted.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) == 1
            default = int(Path("/proc/sys/net/ipv4/ip_default_ttl").read_text())
            assert client.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) == default  # the client's own is untouched
    finally:
        sock.close()


# --- the process -----------------------------------------------------------------------------------

def test_the_status_listener_reports_health_and_counts(agent: LiveAgent) -> None:
    agent.get("latest/meta-data/iam/security-credentials/", token=agent.token())
    assert agent.health().startswith("ok role=")
    exposition = agent.metrics()
    assert metric(exposition, 'rolegate_agent_requests_total{listener="imds",status="200"}') >= 2
    assert metric(exposition, 'rolegate_agent_refreshes_total{operation="CreateSession"}') >= 1
    assert 3000 < metric(exposition, "rolegate_agent_credentials_expiry_seconds") <= 3600


def test_the_agents_log_carries_no_secret(no_aws: pytest.MonkeyPatch, agent: LiveAgent) -> None:
    no_aws.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", agent.imds_url)
    creds = boto3.session.Session(region_name="us-east-1").get_credentials().get_frozen_credentials()
    log = agent.log()
    assert "credentials refreshed" in log and creds.access_key in log  # the key id names the session
    assert creds.secret_key not in log and creds.token not in log
    assert agent.container_token is not None and agent.container_token not in log


def test_a_refused_certificate_stops_the_agent_with_one_line(tls: LiveServer, tmp_path: Path) -> None:
    pki = make_pki("ec", cn="refused-host")
    s = set_up(tls, pki)
    tls.client("rolesanywhere").disable_profile(profileId=s.profile_arn.rsplit("/", 1)[1])
    a = LiveAgent(tmp_path / "state", certificate_args(tls, pki, s, tmp_path), container_token=None)
    a.start(wait=False)
    assert a.wait() == 1
    assert "rolegate agent: IAM Roles Anywhere refused the certificate: AccessDeniedException" in a.log()


def test_a_container_token_file_with_a_newline_is_refused_at_start(tls: LiveServer, host: tuple[Pki, Setup],
                                                                    tmp_path: Path) -> None:
    pki, s = host
    a = LiveAgent(tmp_path / "state", certificate_args(tls, pki, s, tmp_path), container_token="token\n")
    a.start(wait=False)
    assert a.wait() == 1 and "must hold the token alone, with no newline" in a.log()


def test_an_address_in_use_is_one_line_and_exit_1(agent: LiveAgent, tls: LiveServer, host: tuple[Pki, Setup],
                                                  tmp_path: Path) -> None:
    pki, s = host
    a = LiveAgent(tmp_path / "state", certificate_args(tls, pki, s, tmp_path), container_token=None,
                  imds_port=agent.imds_port)
    a.start(wait=False)
    assert a.wait() == 1 and f"cannot listen on 127.0.0.1:{agent.imds_port} (--imds-address)" in a.log()


# --- renewal and static stability, on the agent's own clock ----------------------------------------

def _source(server: LiveServer, pki: Pki, s: Setup, clock: Any, duration: int = 900) -> CertificateSource:
    identity = CertificateIdentity(pki.leaf, pki.leaf_key, [pki.intermediate], s.anchor_arn, s.profile_arn,
                                   s.role_arn, "us-east-1", server.url, duration, None, server.ca_bundle)
    return CertificateSource(identity, AgentMetrics(), clock)


def _served_key(app: ImdsApp, role: str) -> tuple[int, str | None]:
    token = call(app, "PUT", "/latest/api/token", {TTL: "60"}).text
    got = call(app, "GET", f"/latest/meta-data/iam/security-credentials/{role}", {"x-aws-ec2-metadata-token": token})
    return got.status, json.loads(got.body)["AccessKeyId"] if got.status == 200 else None


def _on_a_fixed_clock(server: LiveServer, kind: str, cn: str) -> tuple[Setup, FixedClock, CertificateSource, ImdsApp]:
    """A started certificate source for a new host, its IMDS app, and the clock both read (now, standing still)."""
    pki = make_pki(kind, cn=cn)
    s = set_up(server, pki)
    clock = FixedClock(SystemClock().now())
    source = _source(server, pki, s, clock)
    app = ImdsApp(source, clock, AgentMetrics())
    source.start()
    return s, clock, source, app


def test_short_sessions_are_renewed_well_before_they_expire(tls: LiveServer) -> None:
    s, clock, source, app = _on_a_fixed_clock(tls, "rsa", "renewing-host")
    status, first = _served_key(app, s.role_name)
    assert status == 200 and first is not None
    clock.advance(224)  # a 900 s session is renewed after a quarter of its life, with 11 minutes left
    source.refresh()
    assert _served_key(app, s.role_name) == (200, first)
    clock.advance(2)
    source.refresh()
    status, second = _served_key(app, s.role_name)
    assert status == 200 and second not in (None, first)
    sts = tls.client("sts", key_id=second or "", secret=source.view().credentials.secret_access_key,  # type: ignore[union-attr]
                     token=source.view().credentials.session_token)  # type: ignore[union-attr]
    assert f"/{s.role_name}/" in sts.get_caller_identity()["Arn"]


def test_with_the_server_gone_the_agent_serves_what_it_holds_until_expiry(tmp_path: Path) -> None:
    server = tls_server(tmp_path)
    try:
        s, clock, source, app = _on_a_fixed_clock(server, "ec", "stable-host")
        _, held = _served_key(app, s.role_name)
    finally:
        server.stop()
    stream = io.StringIO()
    configure_logging("info", json=True, stream=stream)
    creds = source.view().credentials
    assert creds is not None and held == creds.access_key_id
    clock.advance(300)  # renewal is due, and the server does not answer
    assert Refresher(source).poll_once() is False
    assert _served_key(app, s.role_name) == (200, held)  # static stability: still served
    failure = [json.loads(line) for line in stream.getvalue().splitlines() if "refresh failed" in line]
    assert failure and failure[0]["level"] == "warning" and "cannot reach" in failure[0]["error"]
    assert creds.secret_access_key not in stream.getvalue() and creds.session_token not in stream.getvalue()
    clock.set(creds.expiration)
    assert _served_key(app, s.role_name) == (404, None)  # expired credentials are never served
