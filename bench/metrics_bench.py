"""What recording metrics costs: AssumeRole requests/s and p99 with metrics off and on, side by side in one run.

Run: ``.venv/bin/python -m bench.metrics_bench [--workers 2] [--requests 10000] [--rounds 3] [--concurrency 8]``.
Two live servers with identical stores are started, one without ``metrics_address`` (nothing is recorded) and
one with it (every request, cache lookup, store transaction and issued credential recorded, several workers
sharing values through files); pre-signed AssumeRole requests (``bench.loadgen``) are replayed against each
in turn, alternating for ``--rounds`` rounds so that load from elsewhere on the machine falls on both alike. The
metrics server is scraped at the end, so the count it reports is checked against the requests sent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

from bench.loadgen import Result, run, sign_form
from bench.sts_bench import assuming_user, form
from tests.live import ACCOUNT_ID, LiveServer, free_port


def prepared(srv: LiveServer) -> list[bytes]:
    iam = srv.client("iam")
    user_arn, key = assuming_user(iam)
    iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn},
                                                "Action": "sts:AssumeRole"}]}))
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/bench-role"
    return [sign_form("127.0.0.1", srv.port, form("2011-06-15", Action="AssumeRole", RoleArn=role_arn,
                                                  RoleSessionName=f"s{i}"),
                      key["AccessKeyId"], key["SecretAccessKey"], service="sts") for i in range(50)]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args(argv)
    metrics_port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        off = LiveServer(Path(tmp) / "off", extra_args=["--workers", str(args.workers)])
        on = LiveServer(Path(tmp) / "on", extra_args=["--workers", str(args.workers)],
                        env={"ROLEGATE_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}"})
        for srv in (off, on):
            srv.data_dir.mkdir()
            srv.start()
        try:
            requests = {"off": prepared(off), "on": prepared(on)}
            servers = {"off": off, "on": on}
            results: dict[str, list[Result]] = {"off": [], "on": []}
            for name in ("off", "on"):
                run("127.0.0.1", servers[name].port, requests[name], concurrency=args.concurrency, total=500,
                    name="warm-up")
            for r in range(args.rounds):
                for name in ("off", "on") if r % 2 == 0 else ("on", "off"):
                    results[name].append(run("127.0.0.1", servers[name].port, requests[name],
                                             concurrency=args.concurrency, total=args.requests,
                                             name=f"AssumeRole, metrics {name}, round {r + 1}"))
            scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        finally:
            off.stop()
            on.stop()
    counted = sum(float(line.rsplit(" ", 1)[1]) for line in scraped.splitlines()
                  if line.startswith('rolegate_credentials_issued_total{channel="AssumeRole"}'))
    print(f"\nworkers={args.workers} requests={args.requests} rounds={args.rounds} "
          f"concurrency={args.concurrency} python={sys.version.split()[0]}\n")
    print("| request | requests/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for name in ("off", "on"):
        for res in results[name]:
            print(res.row())
    rate = {n: statistics.median(r.rps for r in results[n]) for n in results}
    p99 = {n: statistics.median(r.percentile(0.99) for r in results[n]) for n in results}
    print(f"\nmedian AssumeRole/s: off {rate['off']:,.0f}, on {rate['on']:,.0f} — on/off {rate['on'] / rate['off']:.3f}")
    print(f"median p99 ms: off {p99['off']:.2f}, on {p99['on']:.2f}")
    ok = sum(r.requests - r.errors for r in results["on"]) + 500  # and the warm-up's
    print(f"AssumeRole credentials counted by /metrics: {counted:,.0f} (answered without error: about {ok:,})")


if __name__ == "__main__":
    main()
