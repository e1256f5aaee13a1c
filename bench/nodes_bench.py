"""Many nodes on one PostgreSQL, side by side with SQLite's single node: AssumeRole, GetRole and CreateRole
requests/s and p50/p99 with 1, 2 and 3 nodes, and the cross-node invalidation latency (a key deactivated on node 1
until node 2 refuses it; a policy detached on node 1 until node 3 denies).

Run: ``ROLEGATE_TEST_POSTGRES_URL=postgresql+psycopg://… .venv/bin/python -m bench.nodes_bench
[--requests 3000] [--creates 600] [--concurrency 16] [--samples 20]`` (``scripts/postgres_cluster.sh start DIR
PORT`` prints such a URL). Each configuration gets a fresh migrated database; each node is one worker process;
the load generator (``bench.loadgen``, pre-signed requests on keep-alive connections) spreads its connections
evenly over the nodes, as a round-robin balancer would, and all configurations run in one invocation so their
ratios are comparable. On a 2-core machine the nodes, PostgreSQL and the load generator share two cores: more
nodes add processes, not cores, so the curve shows the cost of the shared database, not the gain of more
machines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from botocore.exceptions import ClientError

from bench.loadgen import Result, run, sign_form
from tests.live import ACCOUNT_ID, ROOT_KEY_ID, ROOT_SECRET, LiveServer
from tests.postgres import URL_VARIABLE, create_template, database_from, drop_database, server_env

TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TRUST_ACCOUNT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]})
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def form(version: str = "2010-05-08", **params: str) -> str:
    return str(httpx.QueryParams({"Version": version, **params}))


@contextmanager
def started(nodes: int, envs: Callable[[], dict[str, str]], tmp: Path) -> Iterator[list[LiveServer]]:
    servers: list[LiveServer] = []
    try:
        for i in range(nodes):
            srv = LiveServer(tmp / f"node{i}", env=envs())
            srv.data_dir.mkdir(parents=True)
            srv.start()
            servers.append(srv)
        yield servers
    finally:
        for srv in servers:
            srv.stop()


def spread(servers: Sequence[LiveServer], make: Callable[[LiveServer], list[bytes]], *, total: int,
           concurrency: int, name: str) -> Result:
    """``total`` requests over all nodes at once, ``concurrency`` connections split evenly between them."""
    per = [make(s) for s in servers]
    results: list[Result | None] = [None] * len(servers)

    def one(i: int) -> None:
        results[i] = run("127.0.0.1", servers[i].port, per[i], concurrency=max(1, concurrency // len(servers)),
                         total=total // len(servers), name=name)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(servers))]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    done = [r for r in results if r is not None]
    return Result(name, sum(r.requests for r in done), sum(r.errors for r in done), seconds,
                  [x for r in done for x in r.latencies_ms])


def workload(servers: list[LiveServer], label: str, args: argparse.Namespace) -> list[Result]:
    first = servers[0]
    iam = first.client("iam")
    user = f"bench-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    role_arn = iam.create_role(RoleName="bench-assume", AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["Arn"]
    for i in range(20):
        iam.create_role(RoleName=f"bench-get-{i}", AssumeRolePolicyDocument=TRUST_EC2)

    def signer(srv: LiveServer, service: str = "iam", k: str = ROOT_KEY_ID,
               s: str = ROOT_SECRET) -> Callable[[str], bytes]:
        return lambda body: sign_form("127.0.0.1", srv.port, body, k, s, service=service)

    def assumes(srv: LiveServer) -> list[bytes]:
        sign = signer(srv, "sts", key["AccessKeyId"], key["SecretAccessKey"])
        return [sign(form("2011-06-15", Action="AssumeRole", RoleArn=role_arn, RoleSessionName=f"b{i}"))
                for i in range(20)]

    def gets(srv: LiveServer) -> list[bytes]:
        return [signer(srv)(form(Action="GetRole", RoleName=f"bench-get-{i}")) for i in range(20)]

    counter = iter(range(10**9))

    def creates(srv: LiveServer) -> list[bytes]:
        sign = signer(srv)
        return [sign(form(Action="CreateRole", RoleName=f"bench-new-{next(counter)}",
                          AssumeRolePolicyDocument=TRUST_EC2))
                for _ in range(args.creates // len(servers))]

    c = args.concurrency
    # Warm every node's caches (keys, roles, policies) and connections before timing.
    spread(servers, assumes, total=40 * len(servers), concurrency=len(servers), name="warm")
    spread(servers, gets, total=40 * len(servers), concurrency=len(servers), name="warm")
    return [spread(servers, assumes, total=args.requests, concurrency=c, name=f"{label} AssumeRole"),
            spread(servers, gets, total=args.requests, concurrency=c, name=f"{label} GetRole"),
            spread(servers, creates, total=args.creates, concurrency=c, name=f"{label} CreateRole")]


def invalidation_latency(servers: list[LiveServer], samples: int) -> dict[str, list[float]]:
    """Seconds from a write acknowledged by node 1 until another node enforces it, per sample."""
    iam = servers[0].client("iam")
    found: dict[str, list[float]] = {"key deactivated (node 1 -> node 2)": [],
                                     "policy detached (node 1 -> node 3)": []}
    for _ in range(samples):
        user = f"inv-{uuid.uuid4().hex[:8]}"
        iam.create_user(UserName=user)
        policy = iam.create_policy(PolicyName=user, PolicyDocument=ALLOW_ALL)["Policy"]["Arn"]
        iam.attach_user_policy(UserName=user, PolicyArn=policy)
        k = iam.create_access_key(UserName=user)["AccessKey"]
        on2 = servers[1].client("iam", key_id=k["AccessKeyId"], secret=k["SecretAccessKey"])
        on3 = servers[2 % len(servers)].client("iam", key_id=k["AccessKeyId"], secret=k["SecretAccessKey"])
        on2.get_user()
        on3.list_roles(MaxItems=1)  # both nodes now hold the key and the user's policies in their caches
        for label, write, probe, code in (
                ("policy detached (node 1 -> node 3)",
                 lambda: iam.detach_user_policy(UserName=user, PolicyArn=policy),
                 lambda: on3.list_roles(MaxItems=1), "AccessDenied"),
                ("key deactivated (node 1 -> node 2)",
                 lambda: iam.update_access_key(UserName=user, AccessKeyId=k["AccessKeyId"], Status="Inactive"),
                 on2.get_user, "InvalidClientTokenId")):
            write()
            acked = time.perf_counter()
            while True:
                try:
                    probe()
                except ClientError as exc:
                    if exc.response["Error"]["Code"] == code:
                        break
                    raise
                if time.perf_counter() - acked > 10:
                    raise RuntimeError(f"{label}: still not enforced after 10 s")
            found[label].append(time.perf_counter() - acked)
    return found


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--creates", type=int, default=600)  # below the RolesPerAccount quota (1,000) per database
    ap.add_argument("--concurrency", type=int, default=12)
    ap.add_argument("--samples", type=int, default=20)
    args = ap.parse_args(argv)
    base = os.environ.get(URL_VARIABLE)
    if not base:
        sys.exit(f"{URL_VARIABLE} must name a PostgreSQL cluster (scripts/postgres_cluster.sh start DIR PORT)")
    results: list[Result] = []
    latencies: dict[str, list[float]] = {}
    template = create_template(base)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            with started(1, dict, Path(tmp) / "sqlite") as servers:
                results += workload(servers, "SQLite, 1 node", args)
            for n in (1, 2, 3):
                with ExitStack() as stack:
                    url = stack.enter_context(database_from(base, template))
                    servers = stack.enter_context(started(n, lambda: server_env(url), Path(tmp) / f"pg{n}"))
                    results += workload(servers, f"PostgreSQL, {n} node{'s' if n > 1 else ''}", args)
                    if n == 3:
                        latencies = invalidation_latency(servers, args.samples)
    finally:
        drop_database(base, template)
    print(f"\nconcurrency={args.concurrency} (split over the nodes) requests={args.requests} creates={args.creates} "
          f"python={sys.version.split()[0]} cpus={os.cpu_count()}\n")
    print("| configuration, request | requests/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(r.row())
    print("\n| invalidation across nodes (3 nodes) | samples | p50 ms | max ms |\n|---|---:|---:|---:|")
    for label, values in latencies.items():
        print(f"| {label} | {len(values)} | {statistics.median(values) * 1000:.1f} | {max(values) * 1000:.1f} |")


if __name__ == "__main__":
    main()
