"""Bookkeeping writes: queued without waiting, written in batches of one transaction, settled on demand."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rolegate.core.bookkeeping import Bookkeeping


class FakeStore:
    """Transactions are lists; a committed one is kept. ``gate`` holds every transaction's start (a lock
    another process holds)."""

    def __init__(self) -> None:
        self.committed: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()

    @contextmanager
    def write(self) -> Iterator[list[str]]:
        assert self.gate.wait(5)
        tx: list[str] = []
        yield tx
        self.committed.append(tx)


def test_submit_returns_while_the_store_is_locked_and_the_write_follows_when_it_frees() -> None:
    store = FakeStore()
    store.gate.clear()
    writer: Bookkeeping[list[str]] = Bookkeeping(store.write)
    writer.submit(lambda tx: tx.append("a"))  # returns: nobody waits for the lock but the writer's thread
    assert not writer.settle(timeout=0.05) and writer.pending() == 1
    store.gate.set()
    assert writer.settle(timeout=5)
    assert store.committed == [["a"]]
    writer.close()


def test_jobs_queued_together_share_one_transaction() -> None:
    store = FakeStore()
    store.gate.clear()
    writer: Bookkeeping[list[str]] = Bookkeeping(store.write)
    writer.submit(lambda tx: tx.append("first"))  # the writer takes this one and waits at the gate
    for name in ("b", "c", "d"):
        writer.submit(lambda tx, name=name: tx.append(name))  # type: ignore[misc]
    store.gate.set()
    writer.close()
    assert sorted(sum(store.committed, [])) == ["b", "c", "d", "first"]
    assert ["b", "c", "d"] in store.committed or ["first", "b", "c", "d"] in store.committed


def test_a_failing_job_does_not_lose_the_others_of_its_batch() -> None:
    store = FakeStore()
    store.gate.clear()
    writer: Bookkeeping[list[str]] = Bookkeeping(store.write)
    writer.submit(lambda tx: tx.append("first"))

    def broken(tx: list[str]) -> None:
        raise LookupError("its key was deleted meanwhile")

    writer.submit(lambda tx: tx.append("before"))
    writer.submit(broken)
    writer.submit(lambda tx: tx.append("after"))
    store.gate.set()
    writer.close()
    assert sorted(sum(store.committed, [])) == ["after", "before", "first"]
