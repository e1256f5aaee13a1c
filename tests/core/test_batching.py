"""The batch writer: one thread runs what callers submit in batches, and each ticket is done only once the batch
holding its item has run (docs/adr/0044-issuance-records-in-lean-batches.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from rolegate.core.batching import BatchWriter


def test_a_lone_item_runs_at_once_and_its_ticket_says_so() -> None:
    ran: list[list[int]] = []
    writer: BatchWriter[int] = BatchWriter(lambda items: ran.append(list(items)), name="test-writer")
    ticket = writer.submit(1)
    ticket.wait()
    assert ticket.done and ticket.error is None and ran == [[1]]
    writer.close()


def test_items_submitted_while_a_batch_runs_go_together_in_the_next() -> None:
    release, running = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def run(items: Sequence[int]) -> None:
        batches.append(list(items))
        if items[0] == 0:
            running.set()
            release.wait(5)

    writer: BatchWriter[int] = BatchWriter(run, name="test-writer")
    first = writer.submit(0)
    assert running.wait(5)  # the first batch is running
    rest = [writer.submit(n) for n in range(1, 6)]
    assert not any(t.done for t in rest)
    release.set()
    for t in [first, *rest]:
        t.wait()
    assert batches == [[0], [1, 2, 3, 4, 5]]
    writer.close()


def test_a_batch_that_fails_fails_every_ticket_in_it_and_the_writer_goes_on() -> None:
    def run(items: Sequence[int]) -> None:
        if 13 in items:
            raise OSError("disk full")

    writer: BatchWriter[int] = BatchWriter(run, name="test-writer")
    bad = writer.submit(13)
    with pytest.raises(OSError):
        bad.wait()
    assert isinstance(bad.error, OSError)
    writer.submit(1).wait()  # the next batch is written
    writer.close()


def test_a_callback_runs_once_done_or_at_once_if_already_done() -> None:
    writer: BatchWriter[int] = BatchWriter(lambda items: None, name="test-writer")
    ticket = writer.submit(1)
    heard = threading.Event()
    ticket.on_done(heard.set)
    assert heard.wait(5)
    late: list[bool] = []
    ticket.on_done(lambda: late.append(True))
    assert late == [True]
    writer.close()


def test_a_failing_callback_does_not_stop_the_writer() -> None:
    writer: BatchWriter[int] = BatchWriter(lambda items: None, name="test-writer")
    release = threading.Event()
    writer._run_batch = lambda items: release.wait(5)  # type: ignore[method-assign]  # hold the first batch
    first = writer.submit(1)
    first.on_done(lambda: 1 / 0)  # type: ignore[func-returns-value]
    release.set()
    first.wait()
    writer.submit(2).wait()
    writer.close()


def test_close_runs_what_is_queued_then_refuses_more() -> None:
    ran: list[int] = []
    writer: BatchWriter[int] = BatchWriter(lambda items: ran.extend(items), name="test-writer")
    tickets = [writer.submit(n) for n in range(20)]
    writer.close()
    assert all(t.done for t in tickets) and sorted(ran) == list(range(20))
    with pytest.raises(RuntimeError):
        writer.submit(99)


def test_max_batch_bounds_a_batch() -> None:
    release = threading.Event()
    sizes: list[int] = []

    def run(items: Sequence[int]) -> None:
        sizes.append(len(items))
        release.wait(5)

    writer: BatchWriter[int] = BatchWriter(run, name="test-writer", max_batch=3)
    tickets = [writer.submit(n) for n in range(8)]
    release.set()
    for t in tickets:
        t.wait()
    assert max(sizes) <= 3 and sum(sizes) == 8
    writer.close()


def test_a_batch_waits_for_work_under_way_and_carries_its_item_too() -> None:
    batches: list[list[int]] = []
    writer: BatchWriter[int] = BatchWriter(lambda items: batches.append(list(items)), name="test-writer", linger=5)
    with writer.expecting():  # a request being handled: the batch holding 1 waits for it
        first = writer.submit(1)
        time.sleep(0.05)
        assert not first.done
        second = writer.submit(2)
    first.wait()
    second.wait()
    assert batches == [[1, 2]]
    writer.close()


def test_with_nothing_under_way_a_lone_item_does_not_wait() -> None:
    writer: BatchWriter[int] = BatchWriter(lambda items: None, name="test-writer", linger=5)
    started = time.monotonic()
    writer.submit(1).wait()
    assert time.monotonic() - started < 2.5  # far below the linger
    writer.close()


def test_the_wait_is_bounded_by_the_linger() -> None:
    writer: BatchWriter[int] = BatchWriter(lambda items: None, name="test-writer", linger=0.05)
    with writer.expecting():  # never ends while we wait: the batch runs once the linger is up
        writer.submit(1).wait()
    writer.close()


def test_a_full_batch_runs_without_waiting() -> None:
    batches: list[list[int]] = []
    writer: BatchWriter[int] = BatchWriter(lambda items: batches.append(list(items)), name="test-writer",
                                           max_batch=2, linger=5)
    release, running = threading.Event(), threading.Event()

    def hold(items: Sequence[int]) -> None:
        batches.append(list(items))
        if items[0] == 0:
            running.set()
            release.wait(5)

    writer._run_batch = hold  # type: ignore[method-assign]
    zero = writer.submit(0)  # nothing under way: it runs at once, and is held
    assert running.wait(5)
    with writer.expecting():
        tickets = [writer.submit(1), writer.submit(2)]
        release.set()
        for t in [zero, *tickets]:
            t.wait()  # inside expecting: the full batch [1, 2] did not wait for it to end
    assert batches[-1] == [1, 2]
    writer.close()


def test_close_ends_a_wait() -> None:
    writer: BatchWriter[int] = BatchWriter(lambda items: None, name="test-writer", linger=5)
    with writer.expecting():
        ticket = writer.submit(1)
        started = time.monotonic()
        writer.close()
        assert ticket.done and time.monotonic() - started < 2.5
