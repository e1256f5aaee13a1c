"""Group commit: writers that arrive together share one durable commit, and none is acknowledged before it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from rolegate.store.engine import WRITE, create_store_engine
from rolegate.store.sql.group_commit import GroupCommitter


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = create_store_engine(f"sqlite:///{tmp_path / 'g.db'}")
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE item (name TEXT PRIMARY KEY)")
    return eng


class Commits:
    """Counts the groups committed, and can make the next commit fail."""

    def __init__(self) -> None:
        self.count = 0
        self.fail_next = False

    def __call__(self, conn: Connection) -> None:
        if self.fail_next:
            self.fail_next = False
            raise OSError(28, "No space left on device")
        self.count += 1


def committer(engine: Engine, commits: Commits) -> GroupCommitter:
    def open_group() -> Connection:
        conn = engine.connect().execution_options(**{WRITE: True})
        conn.begin()
        return conn
    return GroupCommitter(open_group, before_commit=commits)


def names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(text("SELECT name FROM item"))}


def insert(conn: Connection, name: str) -> None:
    conn.execute(text("INSERT INTO item (name) VALUES (:n)"), {"n": name})


def run_in_threads(group: GroupCommitter, first: Callable[[Connection], None],
                   others: list[Callable[[Connection], None]]) -> list[BaseException | None]:
    """``first`` writes and, while it holds the turn, lets ``others`` queue up behind it: one group."""
    outcomes: list[BaseException | None] = [None] * (len(others) + 1)

    def writer(i: int, body: Callable[[Connection], None]) -> None:
        try:
            with group.write() as conn:
                body(conn)
        except BaseException as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=writer, args=(i + 1, body)) for i, body in enumerate(others)]

    def leader(conn: Connection) -> None:
        first(conn)
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while group._waiting < len(others) and time.monotonic() < deadline:  # noqa: SLF001 (the queue)
            time.sleep(0.005)

    lead = threading.Thread(target=writer, args=(0, leader))
    lead.start()
    lead.join(20)
    for t in threads:
        t.join(20)
    return outcomes


def test_writers_that_arrive_together_share_one_commit(engine: Engine) -> None:
    commits = Commits()
    group = committer(engine, commits)
    outcomes = run_in_threads(group, lambda c: insert(c, "a"),
                              [lambda c, n=n: insert(c, n) for n in ("b", "c", "d")])
    assert outcomes == [None] * 4
    assert names(engine) == {"a", "b", "c", "d"}
    assert commits.count == 1


def test_a_writer_that_fails_rolls_back_alone(engine: Engine) -> None:
    commits = Commits()
    group = committer(engine, commits)

    def fails(conn: Connection) -> None:
        insert(conn, "bad")
        raise ValueError("refused")

    outcomes = run_in_threads(group, lambda c: insert(c, "a"), [fails, lambda c: insert(c, "c")])
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], ValueError)
    assert names(engine) == {"a", "c"}
    assert commits.count == 1


def test_a_failed_commit_fails_every_writer_of_the_group_and_keeps_nothing(engine: Engine) -> None:
    commits = Commits()
    commits.fail_next = True
    group = committer(engine, commits)
    outcomes = run_in_threads(group, lambda c: insert(c, "a"), [lambda c: insert(c, "b")])
    assert all(isinstance(o, OSError) for o in outcomes)
    assert names(engine) == set()
    with group.write() as conn:  # the next group is unaffected
        insert(conn, "later")
    assert names(engine) == {"later"}


def test_a_writer_alone_commits_at_once(engine: Engine) -> None:
    commits = Commits()
    group = committer(engine, commits)
    with group.write() as conn:
        insert(conn, "solo")
    assert names(engine) == {"solo"} and commits.count == 1


def test_a_write_inside_a_write_is_part_of_it(engine: Engine) -> None:
    commits = Commits()
    group = committer(engine, commits)
    with pytest.raises(ValueError):
        with group.write() as outer:
            insert(outer, "outer")
            with group.write() as inner:
                insert(inner, "inner")
            raise ValueError("the outer write fails")
    assert names(engine) == set()
    with group.write() as outer:
        with group.write() as inner:
            insert(inner, "inner")
    assert names(engine) == {"inner"} and commits.count == 1
