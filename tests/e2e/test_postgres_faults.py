"""Faults of a many-node deployment, each under load from real boto3 clients, with its figures printed:

- PostgreSQL restarted under load: while it is down the nodes answer AWS's retryable ``ServiceUnavailable``
  (503) — never a 500 — and ``/readyz`` is false so a balancer drains them; they recover by themselves when it
  is back, and every acknowledged write is there.
- kill -9 of one node under mixed load: clients that fail over to the other node lose no acknowledged write,
  and see no 5xx at all; the only failures are the killed node's in-flight requests (connection errors).
- a slow database (a lock held on a table the requests need, for ten statement timeouts): requests end near
  ``statement_timeout`` with a clean 503 instead of piling up, and the next requests after the lock is gone are fast again.

The database is a cluster of this module's own (``tests.postgres_cluster``), so stopping it disturbs no other
test. Clients make one attempt each (no SDK retries) so that every 503 is seen and counted.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from sqlalchemy import make_url

from tests.live import LiveServer
from tests.postgres import postgres_url, server_env
from tests.postgres_cluster import OwnCluster, own_cluster

pytestmark = [pytest.mark.live, pytest.mark.slow]

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
STATEMENT_TIMEOUT_MS = 500
LOCK_SECONDS = 5.0  # how long the slow-database test holds its lock: ten statement timeouts


def figure(capsys: pytest.CaptureFixture[str], text: str) -> None:
    """A measured figure, printed to the terminal even when pytest captures output."""
    with capsys.disabled():
        print(f"\n[figure] {text}")


@dataclass
class Setup:
    cluster: OwnCluster
    nodes: list[LiveServer]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    postgres_url()  # fails in CI, skips elsewhere, when no PostgreSQL is configured
    cluster = own_cluster()
    nodes: list[LiveServer] = []
    try:
        url = cluster.start()
        for i in range(2):
            env = {**server_env(url), "ROLEGATE_DATABASE_STATEMENT_TIMEOUT_MS": str(STATEMENT_TIMEOUT_MS)}
            node = LiveServer(tmp_path_factory.mktemp(f"fault-node{i + 1}"), env=env)
            node.start()
            nodes.append(node)
        yield Setup(cluster, nodes)
    finally:
        for node in nodes:
            node.stop()
        cluster.remove()


@dataclass
class Load:
    """Client threads making CreateRole (unique names) and GetRole calls until stopped; what they saw."""

    pick: Callable[[int], list[LiveServer]]  # the nodes a thread tries, in order, for its n-th call
    threads: int = 4
    acknowledged: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)
    timeline: list[tuple[float, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    prefix: str = field(default_factory=lambda: f"fault-{uuid.uuid4().hex[:8]}")
    latencies: list[float] = field(default_factory=list)

    def run(self) -> list[threading.Thread]:
        workers = [threading.Thread(target=self._worker, args=(i,), daemon=True) for i in range(self.threads)]
        for w in workers:
            w.start()
        return workers

    def _note(self, outcome: str, took: float) -> None:
        with self.lock:
            self.outcomes[outcome] += 1
            self.timeline.append((time.monotonic(), outcome))
            self.latencies.append(took)

    def _worker(self, index: int) -> None:
        n = 0
        clients: dict[str, Any] = {}  # one boto3 client per node per thread, as a long-running client keeps
        while not self.stop.is_set():
            n += 1
            name = f"{self.prefix}-{index}-{n}"
            for node in self.pick(n):
                iam = clients.get(node.url) or clients.setdefault(node.url, node.client("iam"))
                started = time.monotonic()
                try:
                    if n % 2:
                        try:
                            iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
                        except ClientError as exc:
                            # A create whose first try committed before its node died: the retry on another
                            # node finds it. The client has its role either way.
                            if exc.response["Error"]["Code"] != "EntityAlreadyExists":
                                raise
                        with self.lock:
                            self.acknowledged.add(name)
                    else:
                        with self.lock:
                            known = next(iter(self.acknowledged), None)
                        if known is not None:
                            iam.get_role(RoleName=known)
                    self._note("ok", time.monotonic() - started)
                    break
                except ClientError as exc:
                    status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
                    self._note(f"{status} {exc.response['Error']['Code']}", time.monotonic() - started)
                    break
                except (EndpointConnectionError, ConnectionError, OSError) as exc:
                    self._note(f"connection {type(exc).__name__}", time.monotonic() - started)
                    continue  # the next node, as a client behind a balancer would
                except Exception as exc:  # botocore's wrapped connection errors
                    if "Connection" not in type(exc).__name__ and "Read" not in type(exc).__name__:
                        raise
                    self._note(f"connection {type(exc).__name__}", time.monotonic() - started)
                    continue


def ready(node: LiveServer) -> int:
    return httpx.get(node.url + "/readyz", timeout=10).status_code


def test_postgresql_restarted_under_load_answers_503_and_recovers(setup: Setup,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    load = Load(pick=lambda n: [setup.nodes[n % 2]])
    workers = load.run()
    time.sleep(1.0)
    down_at = time.monotonic()
    setup.cluster.stop()
    time.sleep(0.5)
    assert [ready(node) for node in setup.nodes] == [503, 503]  # a balancer drains both nodes
    time.sleep(1.5)
    setup.cluster.start()
    up_at = time.monotonic()
    deadline = up_at + 15
    while time.monotonic() < deadline and any(ready(node) != 200 for node in setup.nodes):
        time.sleep(0.1)
    ready_at = time.monotonic()
    time.sleep(1.0)
    load.stop.set()
    for w in workers:
        w.join(30)

    assert [ready(node) for node in setup.nodes] == [200, 200]
    failures = {k: v for k, v in load.outcomes.items() if k != "ok"}
    assert set(failures) <= {"503 ServiceUnavailable"}, failures
    after = [outcome for at, outcome in load.timeline if at > ready_at + 0.2]
    assert after and all(o == "ok" for o in after)
    for name in load.acknowledged:  # nothing acknowledged was lost, on either node
        setup.nodes[0].client("iam").get_role(RoleName=name)
    figure(capsys, f"PostgreSQL down {up_at - down_at:.1f} s under 4 clients: {load.outcomes['ok']} ok, "
                   f"{failures.get('503 ServiceUnavailable', 0)} answered 503 ServiceUnavailable, 0 other errors; "
                   f"both nodes ready again {ready_at - up_at:.2f} s after PostgreSQL was back; "
                   f"{len(load.acknowledged)} acknowledged creates all present")


def test_kill_9_of_one_node_under_load_loses_no_acknowledged_write(setup: Setup,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    victim, survivor = setup.nodes
    load = Load(pick=lambda n: [victim, survivor] if n % 2 else [survivor, victim])
    workers = load.run()
    time.sleep(1.5)
    victim.kill()
    time.sleep(1.5)
    load.stop.set()
    for w in workers:
        w.join(30)
    try:
        server_errors = {k: v for k, v in load.outcomes.items() if k[0] == "5"}
        assert not server_errors, server_errors
        assert {k for k in load.outcomes if k != "ok"} <= {k for k in load.outcomes if k.startswith("connection")}
        for name in load.acknowledged:
            survivor.client("iam").get_role(RoleName=name)
        refused = sum(v for k, v in load.outcomes.items() if k.startswith("connection"))
        figure(capsys, f"kill -9 of 1 of 2 nodes under 4 clients: {load.outcomes['ok']} ok, 0 5xx, {refused} "
                       f"connection failures (failed over to the survivor); {len(load.acknowledged)} acknowledged "
                       "creates all present")
    finally:
        victim.start()


def test_a_slow_database_answers_clean_503s_at_the_statement_timeout(setup: Setup,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    node = setup.nodes[0]
    name = f"slow-{uuid.uuid4().hex[:8]}"
    node.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    dsn = make_url(setup.cluster.url).set(drivername="postgresql").render_as_string(hide_password=False)
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()

    clients = [node.client("iam") for _ in range(8)]
    for iam in clients:
        iam.get_role(RoleName=name)  # connected before the lock is taken

    def client_loop(stop: threading.Event, i: int) -> None:
        n = 0
        iam = clients[i]
        while not stop.is_set():
            n += 1
            started = time.monotonic()
            try:
                if n % 2:
                    iam.create_role(RoleName=f"{name}-{i}-{n}", AssumeRolePolicyDocument=TRUST)
                else:
                    iam.get_role(RoleName=name)
                outcome = "ok"
            except ClientError as exc:
                outcome = f"{exc.response['ResponseMetadata']['HTTPStatusCode']} {exc.response['Error']['Code']}"
            with lock:
                outcomes[outcome] += 1
                latencies.append(time.monotonic() - started)

    with psycopg.connect(dsn) as holder:
        # An operator's long migration, or a stuck transaction: every statement on roles waits on this lock.
        holder.execute("LOCK TABLE roles IN ACCESS EXCLUSIVE MODE")
        stop = threading.Event()
        threads = [threading.Thread(target=client_loop, args=(stop, i), daemon=True) for i in range(8)]
        for t in threads:
            t.start()
        time.sleep(LOCK_SECONDS)
        stop.set()
        for t in threads:
            t.join(30)
        holder.rollback()
    slowest = max(latencies)
    assert outcomes["503 ServiceUnavailable"] > 0
    assert set(outcomes) <= {"503 ServiceUnavailable", "ok"}, outcomes
    # No pile-up: requests end near the statement timeout — slowest 1.1 s on a quiet machine, 2.6 s with the
    # shared 2-core one fully loaded — not at the end of the lock; and straight after, requests are fast.
    # With the audit on, a write can meet the timeout twice — waiting for the write lock, which the audit records
    # of the refused requests before it also take, then for the locked table — and a refusal's record waits
    # its turn behind them: 1.5–1.6 s typical here against 1.0–1.1 s with the audit off.
    typical = statistics.median(latencies)
    assert typical < 4 * STATEMENT_TIMEOUT_MS / 1000, typical
    assert slowest < 0.8 * LOCK_SECONDS, slowest
    iam = node.client("iam")
    iam.get_role(RoleName=name)
    started = time.monotonic()
    for _ in range(10):
        iam.get_role(RoleName=name)
    after = (time.monotonic() - started) / 10
    assert after < 0.5
    figure(capsys, f"a {LOCK_SECONDS:.0f} s table lock with statement_timeout {STATEMENT_TIMEOUT_MS} ms, 8 clients: "
                   f"{outcomes['503 ServiceUnavailable']} answered 503 ServiceUnavailable, {outcomes['ok']} ok, "
                   f"median {typical * 1000:.0f} ms, slowest {slowest * 1000:.0f} ms; afterwards {after * 1000:.1f} ms per GetRole")
