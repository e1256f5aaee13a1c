"""End-to-end fixtures: one server with two worker processes, shared by the modules that need a second worker.

Its tests use names of their own and assert only about those names, so a server started once serves them
all; starting a multi-worker server is the slowest set-up in the suite after the main server's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.anywhere.pki import pem, private_pem, root_ca, server_certificate
from tests.live import LiveServer


@pytest.fixture(scope="session")
def two_workers(tmp_path_factory: pytest.TempPathFactory,
                server_store: Callable[[], dict[str, str]]) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("rolegate-2w"), extra_args=["--workers", "2"], env=server_store())
    srv.start()
    yield srv
    srv.stop()


def tls_server(d: Path) -> LiveServer:
    """A started server in ``d`` speaking HTTPS with a certificate for 127.0.0.1 from a CA of its own
    (``ca_bundle``), as IAM Roles Anywhere's clients require."""
    ca, ca_key = root_ca("rolegate TLS CA")
    cert, k = server_certificate(ca, ca_key)
    (d / "ca.pem").write_text(pem(ca))
    (d / "server.pem").write_text(pem(cert))
    (d / "server.key").write_bytes(private_pem(k))
    (d / "data").mkdir()
    srv = LiveServer(d / "data", extra_args=["--tls-cert-file", str(d / "server.pem"),
                                             "--tls-key-file", str(d / "server.key")], ca_bundle=d / "ca.pem")
    srv.start()
    return srv


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server speaking HTTPS (``tls_server``), shared by the session."""
    srv = tls_server(tmp_path_factory.mktemp("rolegate-tls"))
    yield srv
    srv.stop()
