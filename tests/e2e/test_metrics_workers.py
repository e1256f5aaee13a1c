"""/metrics with two workers, after real boto3 calls: the counts served on the operator listener are the sum
over both workers, each of which served some of the calls, and a worker killed with ``kill -9`` (uvicorn
starts another) takes none of its counts with it (docs/metrics.md, ADR 0033)."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import botocore.exceptions
import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.live import ACCOUNT_ID, LiveServer, free_port

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
CALLERS = 16
ROUNDS = 2


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    metrics = f"http://127.0.0.1:{free_port()}/metrics"
    srv = LiveServer(tmp_path_factory.mktemp("rolegate-metrics"), extra_args=["--workers", "2"],
                     env={"ROLEGATE_METRICS_ADDRESS": metrics.removeprefix("http://").removesuffix("/metrics")})
    srv.start()
    try:
        yield srv, metrics
    finally:
        srv.stop()


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(url, timeout=10).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def sample(values: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return values.get((name, frozenset(labels.items())), 0.0)


def workers(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    # uvicorn's workers, not multiprocessing's resource tracker (also a child).
    return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def multiproc_dir(pid: int) -> Path:
    env = dict(item.split(b"=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in item)
    return Path(env[b"PROMETHEUS_MULTIPROC_DIR"].decode())


def assume_roles_served_by(directory: Path, pid: int) -> float:
    families = MultiProcessCollector.merge([str(directory / f"counter_{pid}.db")])
    return sum(s.value for f in families for s in f.samples
               if s.name == "rolegate_requests_total" and s.labels.get("operation") == "AssumeRole")


def test_counts_add_up_across_workers_and_survive_a_killed_worker(metered: tuple[LiveServer, str]) -> None:
    srv, metrics = metered
    iam = srv.client("iam")
    iam.create_user(UserName="metered")
    iam.put_user_policy(UserName="metered", PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName="metered")["AccessKey"]
    iam.create_role(RoleName="metered-target", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/metered"}}]}))
    iam.create_user(UserName="unmetered")  # no permissions: refused
    weak = iam.create_access_key(UserName="unmetered")["AccessKey"]
    before = scrape(metrics)

    # Separate clients hold separate connections, which the two workers accept between them.
    clients = [srv.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"]) for _ in range(CALLERS)]

    def assume(i: int) -> None:
        for r in range(ROUNDS):
            clients[i].assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/metered-target",
                                   RoleSessionName=f"c{i}-r{r}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(assume, range(CALLERS)))
    denied = 3
    for _ in range(denied):
        with pytest.raises(botocore.exceptions.ClientError) as info:
            srv.client("iam", key_id=weak["AccessKeyId"], secret=weak["SecretAccessKey"]).list_roles()
        assert info.value.response["Error"]["Code"] == "AccessDenied"
    for name in ("NoSuchThing", "AnotherMadeUpAction"):
        assert httpx.post(srv.url, data={"Action": name, "Version": "2010-05-08"}).status_code == 400

    after = scrape(metrics)
    issued = CALLERS * ROUNDS

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("rolegate_requests_total", service="sts", operation="AssumeRole", outcome="ok") == issued
    assert grew("rolegate_request_duration_seconds_count", service="sts", operation="AssumeRole") == issued
    assert grew("rolegate_credentials_issued_total", channel="AssumeRole") == issued
    assert grew("rolegate_access_denied_total", action="iam:ListRoles") == denied
    assert grew("rolegate_requests_total", service="unknown", operation="unknown", outcome="InvalidAction") == 2
    assert not any("NoSuchThing" in v or "AnotherMadeUpAction" in v for _, labels in after for _, v in labels)

    # Each worker served some of the calls: the listener's total is their sum.
    pids = workers(srv.proc.pid)  # type: ignore[union-attr]
    assert len(pids) == 2
    directory = multiproc_dir(pids[0])
    served = [assume_roles_served_by(directory, pid) for pid in pids]
    assert all(n > 0 for n in served) and sum(served) == issued

    # kill -9 one worker: uvicorn starts another; the dead one's counts stay in the totals.
    os.kill(pids[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (len(now := workers(srv.proc.pid)) < 2 or pids[0] in now):  # type: ignore[union-attr]
        time.sleep(0.1)
    assert pids[0] not in workers(srv.proc.pid)  # type: ignore[union-attr]
    assert sample(scrape(metrics), "rolegate_credentials_issued_total", channel="AssumeRole") \
        == sample(after, "rolegate_credentials_issued_total", channel="AssumeRole")
    srv.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"]).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/metered-target", RoleSessionName="after-the-kill")
    assert sample(scrape(metrics), "rolegate_credentials_issued_total", channel="AssumeRole") \
        == sample(after, "rolegate_credentials_issued_total", channel="AssumeRole") + 1


def test_the_api_port_does_not_serve_metrics(metered: tuple[LiveServer, str]) -> None:
    srv, _ = metered
    assert httpx.get(srv.url + "/metrics").status_code in (404, 405)
