"""Two source trees side by side: store round trips per request, and GetRole / AssumeRole throughput.

Run: ``.venv/bin/python -m bench.pipeline_bench --tree before=/path/to/old/checkout --tree after=.
[--requests 5000] [--concurrency 8 64] [--rounds 3]``.

Each tree's ``src`` goes first on ``PYTHONPATH`` of the processes started for it, so one virtualenv serves
both (their dependencies must match). Round trips come from ``bench.store_round_trips`` run per tree (exact
counts). Throughput comes from one live server per tree, both started before the first measurement and
measured in alternation — round by round, request kind by request kind — so that drift in the machine's
load falls on both alike; the table gives each tree's median over the rounds and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from bench.loadgen import Result, run, sign_form
from tests.live import ACCOUNT_ID, LiveServer

REPO = Path(__file__).resolve().parent.parent


def _env(tree: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(tree / "src"), str(REPO)])}


def round_trips(tree: Path) -> dict[str, dict[str, float]]:
    out = subprocess.run([sys.executable, "-m", "bench.store_round_trips"], cwd=REPO, check=True,
                         capture_output=True, text=True, env={**os.environ, **_env(tree)})
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _form(version: str, **params: str) -> str:
    return str(httpx.QueryParams({"Version": version, **params}))


def _workload(srv: LiveServer) -> dict[str, list[bytes]]:
    """A user allowed to assume a role and read roles; pre-signed GetRole and AssumeRole requests."""
    iam = srv.client("iam")
    iam.create_user(UserName="bench")
    iam.put_user_policy(UserName="bench", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "iam:GetRole"],
                                                "Resource": "*"}]}))
    key = iam.create_access_key(UserName="bench")["AccessKey"]
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/bench"
    iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn},
                                                "Action": "sts:AssumeRole"}]}))
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/bench-role"
    host, port, kid, secret = "127.0.0.1", srv.port, key["AccessKeyId"], key["SecretAccessKey"]
    return {
        "GetRole": [sign_form(host, port, _form("2010-05-08", Action="GetRole", RoleName="bench-role"), kid, secret)],
        "AssumeRole": [sign_form(host, port, _form("2011-06-15", Action="AssumeRole", RoleArn=role_arn,
                                                   RoleSessionName=f"s{i}"), kid, secret, service="sts")
                       for i in range(50)],
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", action="append", required=True, help="NAME=PATH of a checkout")
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    trees = {name: Path(path).resolve() for name, path in (t.split("=", 1) for t in args.tree)}

    print("## Store round trips per request (steady state)\n")
    counts = {name: round_trips(path) for name, path in trees.items()}
    kinds = list(next(iter(counts.values())))
    print("| request | " + " | ".join(f"{n}: statements (invalidation reads)" for n in trees) + " |")
    print("|---|" + "---:|" * len(trees))
    for kind in kinds:
        cells = [f"{c.get(kind, {}).get('statements', 0):g} ({c.get(kind, {}).get('invalidation reads', 0):g})"
                 for c in counts.values()]
        print(f"| {kind} | " + " | ".join(cells) + " |")

    with tempfile.TemporaryDirectory() as tmp:
        servers = {name: LiveServer(Path(tmp) / name, env=_env(path)) for name, path in trees.items()}
        for name, srv in servers.items():
            (Path(tmp) / name).mkdir()
            srv.start()
        try:
            loads = {name: _workload(srv) for name, srv in servers.items()}
            for name, srv in servers.items():  # warm-up: caches filled, connections made
                run("127.0.0.1", srv.port, loads[name]["AssumeRole"], concurrency=8, total=500, name="warm")
            results: dict[tuple[str, str, int], list[Result]] = {}
            for _ in range(args.rounds):
                for kind in ("GetRole", "AssumeRole"):
                    for c in args.concurrency:
                        for name, srv in servers.items():
                            r = run("127.0.0.1", srv.port, loads[name][kind], concurrency=c,
                                    total=args.requests, name=f"{kind} {c}")
                            results.setdefault((kind, name, c), []).append(r)
        finally:
            for srv in servers.values():
                srv.stop()

    names = list(trees)
    print(f"\n## Throughput (live server, 1 worker, median of {args.rounds} alternating rounds of "
          f"{args.requests} requests)\n")
    print("| request | clients | " + " | ".join(f"{n} req/s | {n} p99 ms" for n in names)
          + (f" | {names[-1]} / {names[0]} |" if len(names) > 1 else " |"))
    print("|---|---:|" + "---:|---:|" * len(names) + ("---:|" if len(names) > 1 else ""))
    for kind in ("GetRole", "AssumeRole"):
        for c in args.concurrency:
            rps = [statistics.median(r.rps for r in results[(kind, n, c)]) for n in names]
            p99 = [statistics.median(r.percentile(0.99) for r in results[(kind, n, c)]) for n in names]
            errors = sum(r.errors for n in names for r in results[(kind, n, c)])
            cells = " | ".join(f"{a:,.0f} | {b:.1f}" for a, b in zip(rps, p99))
            ratio = f" | {rps[-1] / rps[0]:.2f}" if len(names) > 1 else ""
            print(f"| {kind} | {c} | {cells}{ratio} |" + (f" errors: {errors}" if errors else ""))


if __name__ == "__main__":
    main()
