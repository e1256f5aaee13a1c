"""``run_retrying``: work that lost a write conflict runs again — but only while it has committed nothing, so a
request whose earlier write already committed is never repeated (docs/adr/0035-postgresql-isolation-and-retries.md)."""

from __future__ import annotations

import pytest

from rolegate.core.errors import StoreConflict, StoreUnavailable
from rolegate.store.engine import STORE_CONFLICT
from rolegate.store.ports import note_commit, run_retrying


def test_a_conflict_before_any_commit_runs_the_work_again() -> None:
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise StoreConflict(STORE_CONFLICT)
        note_commit()
        return "done"

    assert run_retrying(work) == "done" and len(calls) == 3


def test_a_conflict_after_a_commit_is_raised_not_repeated() -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        note_commit()  # the first write of the request committed
        raise StoreConflict(STORE_CONFLICT)  # the second lost a race

    with pytest.raises(StoreConflict):
        run_retrying(work)
    assert len(calls) == 1


def test_the_last_conflict_reaches_the_client_after_the_attempts() -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        raise StoreConflict(STORE_CONFLICT)

    with pytest.raises(StoreConflict) as exc:
        run_retrying(work, attempts=3)
    assert len(calls) == 3 and exc.value.status == 503 and exc.value.code == "ServiceUnavailable"


def test_other_failures_are_not_retried() -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        raise StoreUnavailable("the database cannot be reached")

    with pytest.raises(StoreUnavailable):
        run_retrying(work)
    assert len(calls) == 1


def test_commits_of_a_nested_attempt_count_for_it_only() -> None:
    def inner() -> None:
        note_commit()

    def outer() -> int:
        run_retrying(inner)
        raise StoreConflict(STORE_CONFLICT)

    # The inner attempt's commit counts for the outer one too: the outer work is not run again.
    calls: list[int] = []

    def counted() -> int:
        calls.append(1)
        return outer()

    with pytest.raises(StoreConflict):
        run_retrying(counted, attempts=2)
    assert len(calls) == 1
