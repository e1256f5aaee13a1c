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
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

from bench.loadgen import Result, run, sign_form
from bench.sts_bench import assuming_user, form, trusted_role
from tests.live import LiveServer, free_port


def prepared(srv: LiveServer) -> list[bytes]:
    iam = srv.client("iam")
    user_arn, key = assuming_user(iam)
    role_arn = trusted_role(iam, user_arn)
    return [sign_form("127.0.0.1", srv.port, form("2011-06-15", Action="AssumeRole", RoleArn=role_arn,
                                                  RoleSessionName=f"s{i}"),
                      key["AccessKeyId"], key["SecretAccessKey"], service="sts") for i in range(50)]


def record_cost(n: int = 100_000) -> float:
    """µs to record what one AssumeRole records: the request, its latency, one credential, six cache lookups
    and one store read — in this process's mode (files when PROMETHEUS_MULTIPROC_DIR is set)."""
    import time

    from rolegate.core import telemetry
    from rolegate.obs.metrics import recorder

    rec = recorder()
    started = time.perf_counter()
    for _ in range(n):
        rec.request("sts", "AssumeRole", None, 0.002)
        telemetry.credentials_issued(telemetry.ASSUME_ROLE)
        for _ in range(6):
            telemetry.cache_lookup(telemetry.EFFECTIVE_POLICIES, True)
        telemetry.store_seconds(telemetry.READ, 0.0001)
    return (time.perf_counter() - started) / n * 1e6


def record_costs() -> dict[str, float]:
    """``record_cost`` in a fresh interpreter per mode: one process, and files as with several workers."""
    import os
    import subprocess

    costs = {}
    code = "from bench.metrics_bench import record_cost; print(record_cost())"
    with tempfile.TemporaryDirectory() as files:
        for mode, extra in (("one process", {}), ("several workers (files)", {"PROMETHEUS_MULTIPROC_DIR": files})):
            env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"} | extra
            out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            costs[mode] = float(out.stdout.strip())
    return costs


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
    for mode, us in record_costs().items():
        print(f"recording one AssumeRole's metrics, {mode}: {us:.2f} µs")
    print(f"AssumeRole credentials counted by /metrics: {counted:,.0f} (answered without error: about {ok:,})")


if __name__ == "__main__":
    main()
