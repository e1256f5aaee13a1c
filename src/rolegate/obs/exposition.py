"""Serving the metrics: the operator's listener (``metrics_address``) and, with several workers, the directory
their values are shared through.

The listener runs in the ``serve`` process, on its own address, never on the API port (ADR 0033): the
parent of ``--workers N`` (or the one server process) answers ``GET /metrics`` in a thread, from the
registry of its own process or, with several workers, from every worker's files.

Multi-process mode follows prometheus-client's documentation ("Multiprocess Mode (E.g. Gunicorn)"): the
parent makes a fresh private directory (``multiprocess_directory``) and sets ``PROMETHEUS_MULTIPROC_DIR``
before any worker starts, so each worker writes its values to files named by its pid; it removes the
directory when it exits. A worker that died (killed, or restarted by uvicorn's supervisor) keeps its
counters and histograms, as the library intends — totals never go down — while its live gauges are
dropped (``mark_process_dead``), which the library leaves to a hook gunicorn has and uvicorn lacks: the
listener does it before each scrape for every pid whose files remain but whose process is gone.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client import multiprocess
from prometheus_client.registry import Collector

__all__ = ["MULTIPROC_ENV", "dead_workers", "multiprocess_directory", "serve_metrics"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# prometheus-client's multiprocess module has no annotations: its two entry points, typed as used here.
_FileCollector: Callable[[CollectorRegistry | None, str], Any] = multiprocess.MultiProcessCollector
_mark_process_dead: Callable[[int, str], None] = multiprocess.mark_process_dead


@contextmanager
def multiprocess_directory() -> Iterator[str]:
    """A new directory (mode 0700) named in ``PROMETHEUS_MULTIPROC_DIR`` while the block runs, then removed."""
    path = tempfile.mkdtemp(prefix="rolegate-metrics-")
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = path
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        shutil.rmtree(path, ignore_errors=True)


def dead_workers(path: str) -> set[int]:
    """Pids that left value files in ``path`` and are no longer running."""
    dead: set[int] = set()
    for name in glob.glob(os.path.join(path, "*.db")):
        stem = os.path.basename(name)[:-3]
        pid_text = stem.rsplit("_", 1)[-1]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.add(pid)
        except PermissionError:  # alive, under another user
            pass
    return dead


class _Workers(Collector):
    """Every worker's values, after dropping the live gauges of workers that have died."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._files = _FileCollector(None, path)

    def collect(self) -> Iterable[Metric]:
        for pid in dead_workers(self._path):
            _mark_process_dead(pid, self._path)
        return cast(Iterable[Metric], self._files.collect())


def serve_metrics(address: tuple[str, int], multiprocess_path: str | None) -> int:
    """Answer ``GET /metrics`` on ``address`` in a daemon thread; the port bound (``address``'s may be 0)."""
    registry: CollectorRegistry = REGISTRY
    if multiprocess_path is not None:
        registry = CollectorRegistry()
        registry.register(_Workers(multiprocess_path))
    server, _thread = start_http_server(address[1], addr=address[0], registry=registry)
    return int(server.server_port)
