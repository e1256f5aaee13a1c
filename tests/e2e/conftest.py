"""End-to-end fixtures: one server with two worker processes, shared by the modules that need a second worker.

Its tests use names of their own and assert only about those names, so a server started once serves them
all; starting a multi-worker server is the slowest set-up in the suite after the main server's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.live import LiveServer


@pytest.fixture(scope="session")
def two_workers(tmp_path_factory: pytest.TempPathFactory,
                server_store: Callable[[], dict[str, str]]) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("rolegate-2w"), extra_args=["--workers", "2"], env=server_store())
    srv.start()
    yield srv
    srv.stop()
