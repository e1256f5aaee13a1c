"""Multi-process metrics (``rolegate.obs.exposition``): the directory is private and removed, and a dead
worker's live gauges are dropped at the next scrape while the live workers' stay."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict, mmap_key

from rolegate.obs.exposition import MULTIPROC_ENV, _Workers, dead_workers, multiprocess_directory


def _exited_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_directory_is_private_named_in_the_environment_and_removed() -> None:
    with multiprocess_directory() as path:
        assert os.environ[MULTIPROC_ENV] == path
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    assert not Path(path).exists() and os.environ.get(MULTIPROC_ENV) != path


def test_dead_workers_are_the_pids_whose_process_is_gone(tmp_path: Path) -> None:
    gone = _exited_pid()
    for name in (f"counter_{gone}.db", f"gauge_livesum_{gone}.db", f"counter_{os.getpid()}.db"):
        (tmp_path / name).write_bytes(b"")
    assert dead_workers(str(tmp_path)) == {gone}


def _write(path: Path, metric: str, sample: str, value: float) -> None:
    values = MmapedDict(str(path))
    values.write_value(mmap_key(metric, sample, (), (), "help"), value, 0.0)
    values.close()


def test_a_scrape_drops_a_dead_worker_s_live_gauges_and_keeps_its_counters(tmp_path: Path) -> None:
    gone, alive = _exited_pid(), os.getpid()
    _write(tmp_path / f"counter_{gone}.db", "rolegate_requests", "rolegate_requests_total", 3)
    _write(tmp_path / f"counter_{alive}.db", "rolegate_requests", "rolegate_requests_total", 4)
    _write(tmp_path / f"gauge_livesum_{gone}.db", "rolegate_audit_backlog_events", "rolegate_audit_backlog_events", 5)
    _write(tmp_path / f"gauge_livesum_{alive}.db", "rolegate_audit_backlog_events", "rolegate_audit_backlog_events", 2)
    scraped = {s.name: s.value for family in _Workers(str(tmp_path)).collect() for s in family.samples}
    assert scraped == {"rolegate_requests_total": 7, "rolegate_audit_backlog_events": 2}
    assert not (tmp_path / f"gauge_livesum_{gone}.db").exists()
