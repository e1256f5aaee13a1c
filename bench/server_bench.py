"""Server throughput and latency: CreateRole, GetRole, ListRoles against a live server, health as floor.

Run: ``.venv/bin/python -m bench.server_bench [--workers 1] [--requests 5000] [--concurrency 16]``.
The server runs from a fresh data directory on disk with one worker unless told otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.loadgen import Result, run, sign_form
from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def form(**params: str) -> str:
    return str(httpx.QueryParams({"Version": "2010-05-08", **params}))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        srv = LiveServer(Path(tmp), extra_args=["--workers", str(args.workers)])
        srv.start()
        try:
            host, port = "127.0.0.1", srv.port
            sign = lambda body: sign_form(host, port, body, ROOT_KEY_ID, ROOT_SECRET)  # noqa: E731
            n_create = min(args.requests, 900)  # the default RolesPerAccount quota is 1,000
            creates = [sign(form(Action="CreateRole", RoleName=f"bench-{i}", AssumeRolePolicyDocument=TRUST))
                       for i in range(n_create)]
            gets = [sign(form(Action="GetRole", RoleName=f"bench-{i % 100}")) for i in range(100)]
            lists = [sign(form(Action="ListRoles", MaxItems="100"))]
            health = [f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()]
            results: list[Result] = []
            c = args.concurrency
            results.append(run(host, port, health, concurrency=c, total=args.requests, name="GET /healthz (floor)"))
            results.append(run(host, port, creates, concurrency=c, total=n_create, name="CreateRole"))
            time.sleep(0.5)
            results.append(run(host, port, gets, concurrency=c, total=args.requests, name="GetRole"))
            results.append(run(host, port, lists, concurrency=c, total=max(200, args.requests // 10),
                               name="ListRoles (100 roles a page)"))
        finally:
            srv.stop()
    print(f"\nworkers={args.workers} concurrency={args.concurrency} python={sys.version.split()[0]}\n")
    print("| request | requests/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(r.row())


if __name__ == "__main__":
    main()
