"""Fixtures shared by the whole suite: a live rolegate server on a random port, and AWS clients for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live import LiveServer


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One strict-mode server for the whole run; tests use distinct names so they don't collide."""
    srv = LiveServer(tmp_path_factory.mktemp("rolegate"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def iam(server: LiveServer):  # type: ignore[no-untyped-def]
    return server.client("iam")


@pytest.fixture
def sts(server: LiveServer):  # type: ignore[no-untyped-def]
    return server.client("sts")
