"""The audit trail's cost: AssumeRole and CreateRole requests/s and p99 with the audit on vs off, side by side in
one run, against two live servers with their stores on disk (docs/adr/0041-audit-record-commits-with-its-change.md).

Run: ``.venv/bin/python -m bench.audit_bench [--workers 2] [--requests 4000] [--concurrency 8 64]``.
With the audit on, an AssumeRole's record is inserted (group-committed) before it answers and a CreateRole's
commits in the role's own transaction; off, neither is written. Requests are pre-signed (``bench.loadgen``); each
CreateRole names a role of its own (at most ``--roles`` per server: IAM's RolesPerAccount quota is 1,000).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.loadgen import Result, run, sign_form
from bench.sts_bench import assuming_user, form, trusted_role
from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--roles", type=int, default=400, help="CreateRole requests per server and round")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    args = ap.parse_args(argv)

    results: dict[str, list[Result]] = {"off": [], "on": []}
    with tempfile.TemporaryDirectory() as tmp:
        servers = {mode: LiveServer(Path(tmp) / mode, extra_args=["--workers", str(args.workers)],
                                    env={"ROLEGATE_AUDIT": "true" if mode == "on" else "false"})
                   for mode in ("off", "on")}
        try:
            assume: dict[str, list[bytes]] = {}
            for mode, srv in servers.items():
                srv.data_dir.mkdir()
                srv.start()
                iam = srv.client("iam")
                user_arn, key = assuming_user(iam)
                role_arn = trusted_role(iam, user_arn)
                assume[mode] = [sign_form("127.0.0.1", srv.port, form("2011-06-15", Action="AssumeRole",
                                                                      RoleArn=role_arn, RoleSessionName=f"s{i}"),
                                          key["AccessKeyId"], key["SecretAccessKey"], service="sts")
                                for i in range(50)]
                run("127.0.0.1", srv.port, assume[mode], concurrency=8, total=300, name="warm-up")
            for round_no, c in enumerate(args.concurrency):
                for mode, srv in servers.items():  # interleaved: both see the same machine load
                    results[mode].append(run("127.0.0.1", srv.port, assume[mode], concurrency=c,
                                             total=args.requests, name=f"AssumeRole, {c} clients"))
                for mode, srv in servers.items():
                    creates = [sign_form("127.0.0.1", srv.port,
                                         form("2010-05-08", Action="CreateRole", RoleName=f"r{round_no}-{i}",
                                              AssumeRolePolicyDocument=TRUST), ROOT_KEY_ID, ROOT_SECRET)
                               for i in range(args.roles)]
                    results[mode].append(run("127.0.0.1", srv.port, creates, concurrency=c, total=len(creates),
                                             name=f"CreateRole, {c} clients"))
        finally:
            for srv in servers.values():
                srv.stop()
    print(f"\nworkers={args.workers} requests={args.requests} roles={args.roles} python={sys.version.split()[0]}\n")
    print("| request | audit off req/s | audit on req/s | change | off p99 ms | on p99 ms | errors off/on |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for off, on in zip(results["off"], results["on"]):
        change = (on.rps - off.rps) / off.rps * 100
        print(f"| {off.name} | {off.rps:,.0f} | {on.rps:,.0f} | {change:+.0f}% | {off.percentile(0.99):.2f} | "
              f"{on.percentile(0.99):.2f} | {off.errors}/{on.errors} |")


if __name__ == "__main__":
    main()
