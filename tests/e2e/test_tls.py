"""``rolegate serve --tls-cert-file --tls-key-file`` speaks HTTPS with the connection limits still applied, boto3
verifies it against the CA given, each request's audit record says what the connection negotiated (CloudTrail's
``tlsDetails``), and a certificate without its key is refused at start."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rolegate.audit.files import read_trail
from tests import live
from tests.anywhere.pki import pem, root_ca, server_certificate
from tests.live import LiveServer


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = live.tls_server(tmp_path_factory.mktemp("tls"), env={"ROLEGATE_HEADER_TIMEOUT_SECONDS": "1"})
    yield srv
    srv.stop()


def test_boto3_calls_the_server_over_verified_https(tls_server: LiveServer) -> None:
    assert tls_server.url.startswith("https://")
    assert tls_server.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert tls_server.client("rolesanywhere").list_trust_anchors()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_request_over_tls_is_recorded_with_the_version_and_cipher_the_connection_negotiated(
        tls_server: LiveServer) -> None:
    # CloudTrail's tlsDetails: tlsVersion, cipherSuite (OpenSSL's names), clientProvidedHostHeader.
    context = ssl.create_default_context(cafile=str(tls_server.ca_bundle))
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        version, (cipher, _, _) = tls.version(), tls.cipher()  # what the server's end agreed to as well
    res = tls_server.client("sts").get_caller_identity()
    deadline = time.monotonic() + 10
    while True:
        found = [r for r in read_trail(tls_server.data_dir / "audit")
                 if r["requestID"] == res["ResponseMetadata"]["RequestId"]]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    [record] = found
    assert record["tlsDetails"] == {"tlsVersion": version, "cipherSuite": cipher,
                                    "clientProvidedHostHeader": f"127.0.0.1:{tls_server.port}"}
    assert version in ("TLSv1.2", "TLSv1.3")


def test_the_server_does_not_answer_plain_http_on_its_tls_port(tls_server: LiveServer) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{tls_server.port}/healthz", timeout=2)


def test_a_client_that_does_not_trust_the_ca_is_refused_the_handshake(tls_server: LiveServer) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(tls_server.url + "/healthz", timeout=2)  # the system store does not know the test CA


def test_connection_limits_apply_inside_tls(tls_server: LiveServer) -> None:
    # A client that completes the handshake but never sends its request head is cut off at the header timeout.
    context = ssl.create_default_context(cafile=str(tls_server.ca_bundle))
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the head never ends
        data = tls.recv(4096)
    assert data.startswith(b"HTTP/1.1 408")


def test_a_certificate_without_its_key_is_refused_at_start(tmp_path: Path) -> None:
    cert = tmp_path / "server.pem"
    ca, ca_key = root_ca()
    cert.write_text(pem(server_certificate(ca, ca_key)[0]))
    proc = subprocess.run([sys.executable, "-m", "rolegate", "serve", "--data-dir", str(tmp_path / "d"),
                           "--tls-cert-file", str(cert)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "tls_cert_file and tls_key_file must be set together" in " ".join(proc.stderr.split())
