"""STS throughput and latency: AssumeRole, GetCallerIdentity signed with session credentials, and the health
endpoint as the floor, side by side in one run against a live server with its store on disk.

Run: ``.venv/bin/python -m bench.sts_bench [--workers 2] [--requests 20000] [--concurrency 8 64]``.
Requests are pre-signed (``bench.loadgen``) and replayed over keep-alive connections; each AssumeRole
replay issues a fresh session, exactly as a real client's call would.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import Result, run, sign_form
from tests.live import ACCOUNT_ID, LiveServer


def assuming_user(iam: Any) -> tuple[str, dict[str, str]]:
    """The user each STS bench signs AssumeRole as, allowed ``sts:AssumeRole`` on any role: its ARN and key."""
    iam.create_user(UserName="bench")
    iam.put_user_policy(UserName="bench", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key: dict[str, str] = iam.create_access_key(UserName="bench")["AccessKey"]
    return f"arn:aws:iam::{ACCOUNT_ID}:user/bench", key


def trusted_role(iam: Any, user_arn: str) -> str:
    """The role ``bench-role``, trusting ``user_arn`` to assume it: its ARN."""
    iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn},
                                                "Action": "sts:AssumeRole"}]}))
    return f"arn:aws:iam::{ACCOUNT_ID}:role/bench-role"


def form(version: str, **params: str) -> str:
    return str(httpx.QueryParams({"Version": version, **params}))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    args = ap.parse_args(argv)

    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        srv = LiveServer(Path(tmp), extra_args=["--workers", str(args.workers)])
        srv.start()
        try:
            host, port = "127.0.0.1", srv.port
            iam = srv.client("iam")
            user_arn, key = assuming_user(iam)
            role_arn = trusted_role(iam, user_arn)
            iam.put_role_policy(RoleName="bench-role", PolicyName="read", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}))
            user_sts = srv.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
            session = user_sts.assume_role(RoleArn=role_arn, RoleSessionName="bench")["Credentials"]

            assume = [sign_form(host, port, form("2011-06-15", Action="AssumeRole", RoleArn=role_arn,
                                                 RoleSessionName=f"s{i}"),
                                key["AccessKeyId"], key["SecretAccessKey"], service="sts") for i in range(50)]
            whoami = [sign_form(host, port, form("2011-06-15", Action="GetCallerIdentity"),
                                session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"],
                                service="sts")]
            health = [f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()]
            run(host, port, assume, concurrency=8, total=500, name="warm-up")
            for c in args.concurrency:
                results.append(run(host, port, health, concurrency=c, total=args.requests,
                                   name=f"GET /healthz (floor), {c} clients"))
                results.append(run(host, port, assume, concurrency=c, total=args.requests,
                                   name=f"AssumeRole, {c} clients"))
                results.append(run(host, port, whoami, concurrency=c, total=args.requests,
                                   name=f"GetCallerIdentity (session credentials), {c} clients"))
        finally:
            srv.stop()
    print(f"\nworkers={args.workers} requests={args.requests} python={sys.version.split()[0]}\n")
    print("| request | requests/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(r.row())


if __name__ == "__main__":
    main()
