"""Coalescing: concurrent calls run as one batch, each caller gets its own item's result, and nobody returns
before the batch holding its item has run (or hears that batch's error)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from rolegate.core.coalescing import Coalescer


class Recorder:
    """A batch function that records its batches; ``gate`` holds a batch in progress (a commit under way)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.fail = False

    def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        self.started.set()
        assert self.gate.wait(5)
        if self.fail:
            raise OSError("disk I/O error")
        return [i * 10 for i in items]


def _callers(coalescer: Coalescer[int, int], items: Sequence[int]) -> tuple[list[threading.Thread],
                                                                           dict[int, object]]:
    answers: dict[int, object] = {}

    def call(i: int) -> None:
        try:
            answers[i] = coalescer.call(i)
        except Exception as exc:  # noqa: BLE001 (the test looks at what each caller got)
            answers[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in items]
    for t in threads:
        t.start()
    return threads, answers


def _wait_queued(coalescer: Coalescer[int, int], n: int) -> None:
    for _ in range(500):
        with coalescer._cond:
            if len(coalescer._queue) >= n:
                return
        threading.Event().wait(0.01)
    raise AssertionError(f"{n} callers never queued")


def test_a_lone_call_runs_at_once_with_its_own_result() -> None:
    batch = Recorder()
    assert Coalescer(batch).call(4) == 40
    assert batch.batches == [[4]]


def test_calls_arriving_while_a_batch_runs_share_the_next_batch_and_each_gets_its_own_result() -> None:
    batch = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(batch)
    batch.gate.clear()
    first, first_answer = _callers(coalescer, [1])
    assert batch.started.wait(5)  # the first call leads; its batch is held "committing"
    rest, answers = _callers(coalescer, [2, 3, 4, 5])
    _wait_queued(coalescer, 4)
    assert not answers  # nobody returns while their batch has not run
    batch.gate.set()
    for t in first + rest:
        t.join(5)
    assert first_answer == {1: 10} and answers == {2: 20, 3: 30, 4: 40, 5: 50}
    assert batch.batches[0] == [1] and sorted(batch.batches[1]) == [2, 3, 4, 5] and len(batch.batches) == 2


def test_a_failed_batch_fails_every_caller_in_it_and_none_is_told_it_succeeded() -> None:
    batch = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(batch)
    batch.gate.clear()
    first, _ = _callers(coalescer, [1])
    assert batch.started.wait(5)
    rest, answers = _callers(coalescer, [2, 3])
    _wait_queued(coalescer, 2)
    batch.fail = True
    batch.gate.set()
    for t in first + rest:
        t.join(5)
    assert all(isinstance(answers[i], OSError) for i in (2, 3))
    batch.fail = False
    assert coalescer.call(6) == 60  # the next batch runs as usual


def test_a_batch_holds_at_most_max_batch_items_and_the_rest_follow() -> None:
    batch = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(batch, max_batch=2)
    batch.gate.clear()
    first, _ = _callers(coalescer, [0])
    assert batch.started.wait(5)
    rest, answers = _callers(coalescer, [1, 2, 3, 4, 5])
    _wait_queued(coalescer, 5)
    batch.gate.set()
    for t in first + rest:
        t.join(5)
    assert answers == {i: i * 10 for i in range(1, 6)}
    assert [len(b) for b in batch.batches] == [1, 2, 2, 1]


def test_a_batch_function_that_miscounts_its_results_fails_its_callers() -> None:
    coalescer: Coalescer[int, int] = Coalescer(lambda items: [])
    with pytest.raises(RuntimeError, match="returned 0 results"):
        coalescer.call(1)
