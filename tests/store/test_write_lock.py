"""rolegate's writers queue for a SQLite file before SQLite's own lock: threads on a lock, processes on an
``flock`` beside the database, handed over at once, dropped by the kernel when a holder dies, and bounded by the
busy timeout (docs/adr/0044-issuance-records-in-lean-batches.md)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rolegate.core.errors import StoreUnavailable
from rolegate.iam.entities import AccountRecord
from rolegate.store.engine import STORE_BUSY, create_store_engine
from rolegate.store.ports import AuditEvent
from rolegate.store.sealing import Sealer
from rolegate.store.sql import SqlStore
from rolegate.store.sql.write_lock import WriteLock, WriteLockTimeout
from tests.migrated import copy_database

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def test_a_second_holder_waits_until_the_first_releases(tmp_path: Path) -> None:
    # Two locks on one file stand for two processes: flock excludes across open files.
    first, second = WriteLock(tmp_path / "db-writelock", 5.0), WriteLock(tmp_path / "db-writelock", 5.0)
    first.acquire()
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (second.acquire(), got.set()))
    waiter.start()
    assert not got.wait(0.2)
    first.release()
    assert got.wait(5.0)
    waiter.join()
    second.release()
    first.close(), second.close()


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "db-writelock", 5.0)
    inside, most = 0, 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(50):
            lock.acquire()
            with guard:
                inside += 1
                most = max(most, inside)
            with guard:
                inside -= 1
            lock.release()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1
    lock.close()


def test_a_hold_past_the_timeout_gives_up_and_leaves_the_lock_usable(tmp_path: Path) -> None:
    holder, waiter = WriteLock(tmp_path / "db-writelock", 5.0), WriteLock(tmp_path / "db-writelock", 0.05)
    holder.acquire()
    with pytest.raises(WriteLockTimeout):
        waiter.acquire()
    holder.release()
    waiter.acquire()  # the failed wait released the thread lock it took
    waiter.release()
    holder.close(), waiter.close()


def test_a_holder_killed_mid_transaction_does_not_keep_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "db-writelock"
    proc = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        lock = WriteLock(path, 0.1)
        with pytest.raises(WriteLockTimeout):
            lock.acquire()
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    started = time.monotonic()
    lock.acquire()
    assert time.monotonic() - started < 1.0
    lock.release()
    lock.close()


def test_the_lock_file_is_the_owners_alone(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "db-writelock", 1.0)
    assert (tmp_path / "db-writelock").stat().st_mode & 0o077 == 0
    lock.close()


def test_another_rolegate_writer_holding_past_the_busy_timeout_is_store_unavailable(
        migrated_database: Path, tmp_path: Path) -> None:
    url = copy_database(migrated_database, tmp_path / "store.db")
    ours = SqlStore(create_store_engine(url, busy_timeout_ms=50), Sealer(b"k" * 32))
    theirs = WriteLock(Path(f"{(tmp_path / 'store.db').resolve()}-writelock"), 5.0)  # another worker's writer
    theirs.acquire()
    try:
        with pytest.raises(StoreUnavailable) as info, ours.write() as uow:
            uow.accounts.create(AccountRecord("111122223333", "acme", NOW))
        assert (info.value.status, info.value.reason) == (503, STORE_BUSY)
        ours.audit_log.append([])  # nothing to write takes no lock
        with pytest.raises(StoreUnavailable):  # a lean write queues on the same lock
            ours.saml_assertions.claim_many([("assertion", NOW + dt.timedelta(minutes=5))], NOW)
    finally:
        theirs.release()
        theirs.close()
    with ours.write() as uow:
        assert uow.accounts.get("111122223333") is None
    ours.close()


def test_a_writer_that_may_not_wait_is_told_no_at_once_while_another_holds_the_lock(tmp_path: Path) -> None:
    # What an event loop committing its own records asks (docs/adr/0046): yes only while nobody holds it.
    first, second = WriteLock(tmp_path / "db-writelock", 5.0), WriteLock(tmp_path / "db-writelock", 5.0)
    first.acquire()
    started = time.monotonic()
    assert not second.try_acquire()
    assert time.monotonic() - started < 0.1
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()  # the other "process" holds it now
    second.release()
    first.close(), second.close()


def test_a_thread_of_the_same_process_holding_it_is_a_no_too(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "db-writelock", 5.0)
    lock.acquire()
    answers: list[bool] = []
    asker = threading.Thread(target=lambda: answers.append(lock.try_acquire()))
    asker.start()
    asker.join()
    assert answers == [False]
    lock.release()
    assert lock.try_acquire()
    lock.release()
    lock.close()


def test_records_appended_without_waiting_are_refused_untouched_while_another_writer_holds_the_store(
        migrated_database: Path, tmp_path: Path) -> None:
    url = copy_database(migrated_database, tmp_path / "store.db")
    ours = SqlStore(create_store_engine(url, busy_timeout_ms=5000), Sealer(b"k" * 32))
    theirs = WriteLock(Path(f"{(tmp_path / 'store.db').resolve()}-writelock"), 5.0)  # another worker's writer
    assert ours.audit_log.local  # SQLite: a commit the event loop may run itself
    record = AuditEvent(event_id="e-1", event_time=NOW, event_name="AssumeRole", event_source="sts.amazonaws.com",
                        username=None, access_key_id=None, read_only=True, recipient_account_id="111122223333",
                        resources=(), record="{}", complete=True)
    theirs.acquire()
    try:
        started = time.monotonic()
        assert ours.audit_log.append([record], wait=False) is False
        assert time.monotonic() - started < 1.0  # not the busy timeout
    finally:
        theirs.release()
        theirs.close()
    with ours.read() as tx:
        assert tx.audit_events.after(0, 10) == []
    assert ours.audit_log.append([record], wait=False) is True
    with ours.read() as tx:
        assert [e.event_id for _, e in tx.audit_events.after(0, 10)] == ["e-1"]
    ours.close()
