"""What rolegate writes to disk is its owner's alone: the data directory 0700, the database with its WAL and
shared-memory files, the master key and the root credentials 0600 — whatever the umask (issue 10, item 7)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from rolegate.server.config import Settings
from rolegate.server.runtime import open_runtime, prepare
from rolegate.store.engine import create_store_engine


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o002)  # group-writable, world-readable by default: what a shared host may have
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_directory_and_everything_in_it_are_private(tmp_path: Path, permissive_umask: None) -> None:
    data = tmp_path / "new" / "data"
    settings = Settings(data_dir=data)
    prepare(settings)
    runtime = open_runtime(settings)
    try:
        with runtime.store.read() as tx:
            tx.accounts.list_all()  # the WAL and shared-memory files exist while a connection is open
        files = {p.name: mode(p) for p in data.iterdir()}
    finally:
        runtime.store.close()
    assert mode(data) == 0o700
    assert {"rolegate.db", "rolegate.db-wal", "rolegate.db-shm", "master.key", "root-credentials"} <= set(files)
    assert {name: m for name, m in files.items() if m != 0o600} == {}


def test_a_database_an_older_release_left_readable_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    db.write_bytes(b"")
    db.chmod(0o644)
    create_store_engine(f"sqlite:///{db}").dispose()
    assert mode(db) == 0o600


def test_a_master_key_left_readable_is_tightened(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    prepare(settings)
    key = settings.data_dir / "master.key"
    key.chmod(0o644)
    open_runtime(settings).store.close()
    assert mode(key) == 0o600
