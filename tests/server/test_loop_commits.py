"""An event loop commits the records of the issuances it answered together itself, between two turns, when the
store is free; when it is not, it tries again shortly, then hands the batch to the writer thread
(rolegate.server.loop_commits, docs/adr/0046-the-event-loop-commits-its-issuances.md)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from rolegate.core.batching import BatchWriter, Ticket
from rolegate.server import loop_commits
from rolegate.server.loop_commits import LoopCommits


class Store:
    """Stands for the audit log: records what was written, where, and may be busy or failing."""

    def __init__(self) -> None:
        self.on_loop: list[list[str]] = []
        self.on_thread: list[list[str]] = []
        self.busy = 0  # how many of the next tries find another writer holding the lock
        self.fail: Exception | None = None
        self.loop_thread = threading.get_ident()

    def try_write(self, items: Sequence[str]) -> bool:
        assert threading.get_ident() == self.loop_thread
        if self.fail is not None:
            raise self.fail
        if self.busy:
            self.busy -= 1
            return False
        self.on_loop.append(list(items))
        return True

    def write(self, batch: Sequence[str]) -> None:
        self.on_thread.append(list(batch))


def _commits(store: Store, *, linger: float = 0.05, patience: float = 0.005) -> tuple[LoopCommits[str], BatchWriter[str]]:
    writer: BatchWriter[str] = BatchWriter(store.write, name="test-audit-writer")
    commits = LoopCommits(asyncio.get_running_loop(), store.try_write, writer, lambda items: "+".join(items),
                          linger=linger, patience=patience)
    return commits, writer


async def _done(ticket: Ticket) -> None:
    for _ in range(2000):
        if ticket.done:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the ticket was never completed")


def test_the_records_of_requests_handled_in_one_turn_commit_together_on_the_loop() -> None:
    async def scenario() -> None:
        store = Store()
        commits, writer = _commits(store)
        with commits.expecting(), commits.expecting(), commits.expecting():
            tickets = [commits.submit(name) for name in ("a", "b", "c")]
            assert not any(t.done for t in tickets)  # nothing is done before the write that holds it
        await asyncio.gather(*(_done(t) for t in tickets))
        assert store.on_loop == [["a", "b", "c"]] and store.on_thread == []
        assert all(t.error is None for t in tickets)
        writer.close()
    asyncio.run(scenario())


def test_a_batch_waits_for_a_request_still_on_its_way_to_its_record() -> None:
    async def scenario() -> None:
        store = Store()
        commits, writer = _commits(store, linger=5.0)
        slow = commits.expecting()
        slow.__enter__()  # a request whose body is still arriving
        with commits.expecting():
            first = commits.submit("first")
        await asyncio.sleep(0.02)
        assert store.on_loop == [] and not first.done
        second = commits.submit("second")
        slow.__exit__(None, None, None)
        await asyncio.gather(_done(first), _done(second))
        assert store.on_loop == [["first", "second"]]
        writer.close()
    asyncio.run(scenario())


def test_the_wait_for_others_is_bounded_by_the_linger() -> None:
    async def scenario() -> None:
        store = Store()
        commits, writer = _commits(store, linger=0.01)
        with commits.expecting():  # a request that never reaches its record (its client went away)
            ticket = commits.submit("mine")
            await _done(ticket)
        assert store.on_loop == [["mine"]]
        writer.close()
    asyncio.run(scenario())


def test_a_busy_store_is_tried_again_on_the_loop_with_what_arrived_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loop_commits, "RETRY_SECONDS", 0.05)  # "second" surely arrives before the next try

    async def scenario() -> None:
        store = Store()
        store.busy = 2
        commits, writer = _commits(store, patience=5.0)
        first = commits.submit("first")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        second = commits.submit("second")
        await asyncio.gather(_done(first), _done(second))
        assert store.on_loop == [["first", "second"]] and store.on_thread == []
        writer.close()
    asyncio.run(scenario())


def test_past_its_patience_the_writer_thread_takes_the_batch_and_its_callers_hear_only_then() -> None:
    async def scenario() -> None:
        store = Store()
        store.busy = 10_000
        commits, writer = _commits(store, patience=0.01)
        tickets = [commits.submit("a"), commits.submit("b")]
        await asyncio.gather(*(_done(t) for t in tickets))
        assert store.on_loop == [] and store.on_thread == [["a+b"]]  # one item of the writer's: one commit
        assert all(t.error is None for t in tickets)
        writer.close()
    asyncio.run(scenario())


def test_a_write_that_fails_fails_every_caller_of_its_batch() -> None:
    async def scenario() -> None:
        store = Store()
        store.fail = OSError("disk full")
        commits, writer = _commits(store)
        tickets = [commits.submit("a"), commits.submit("b")]
        await asyncio.gather(*(_done(t) for t in tickets))
        for ticket in tickets:
            with pytest.raises(OSError, match="disk full"):
                ticket.wait()
        store.fail = None
        later = commits.submit("c")
        await _done(later)
        assert later.error is None and store.on_loop == [["c"]]
        writer.close()
    asyncio.run(scenario())


def test_a_closed_writer_fails_a_busy_batch_rather_than_leave_it_waiting() -> None:
    async def scenario() -> None:
        store = Store()
        store.busy = 10_000
        commits, writer = _commits(store, patience=0.0)
        writer.close()  # the server is stopping
        ticket = commits.submit("a")
        await _done(ticket)
        assert isinstance(ticket.error, RuntimeError)
    asyncio.run(scenario())
