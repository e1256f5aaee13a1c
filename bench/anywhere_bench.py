"""IAM Roles Anywhere CreateSession throughput beside AssumeRole, side by side in one run against a live
server with its store on disk: CreateSession with an RSA-2048 leaf and with a P-256 leaf (both root →
intermediate → leaf), and AssumeRole signed with an IAM user's key (``bench.sts_bench.assuming_user``).

Run: ``.venv/bin/python -m bench.anywhere_bench [--workers 2] [--requests 5000] [--concurrency 8 64] [--rounds N]
[--audit on|off]`` (the audit trail: on, the default, or off)
(``--rounds``: the rows alternate N times per concurrency and the median of the per-round ratios is reported).
Requests are signed before the clock starts (``tests.anywhere.signer`` for CreateSession: valid for five
minutes) and replayed over keep-alive connections, plain HTTP (TLS costs both alike and is not what is
measured); every CreateSession replay verifies the signature and the chain and issues a fresh session.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from bench.loadgen import Result, add_audit_option, audit_env, measured_run, run, sign_form
from bench.sts_bench import assuming_user, form, trusted_role
from tests.anywhere.signer import sign
from tests.e2e.test_rolesanywhere_sessions import make_pki, set_up
from tests.live import LiveServer


def _raw(req_method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> bytes:
    head = f"{req_method} {path}{'?' + query if query else ''} HTTP/1.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"content-length: {len(body)}\r\n\r\n"
    return head.encode() + body


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    ap.add_argument("--rounds", type=int, default=1, help="alternating rounds per concurrency; median ratio")
    add_audit_option(ap)
    args = ap.parse_args(argv)

    results: list[Result] = []
    ratios: dict[tuple[str, int], list[float]] = {}
    cpu: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        srv = LiveServer(Path(tmp), extra_args=["--workers", str(args.workers)],
                         env=audit_env(args.audit))
        try:
            srv.start()  # inside: a server that never became ready is stopped too
            host, port = "127.0.0.1", srv.port
            iam = srv.client("iam")
            user_arn, key = assuming_user(iam)
            role_arn = trusted_role(iam, user_arn)
            assume = [sign_form(host, port, form("2011-06-15", Action="AssumeRole", RoleArn=role_arn,
                                                 RoleSessionName=f"s{i}"),
                                key["AccessKeyId"], key["SecretAccessKey"], service="sts") for i in range(50)]
            create: dict[str, list[bytes]] = {}
            for kind, label in (("rsa", "RSA-2048"), ("ec", "P-256")):
                pki = make_pki(kind, cn=f"bench-{kind}-{uuid.uuid4().hex[:6]}")
                s = set_up(srv, pki)
                signed = [sign(pki.leaf, pki.leaf_key, f"{host}:{port}", anchor_arn=s.anchor_arn,
                               profile_arn=s.profile_arn, role_arn=s.role_arn, chain=(pki.intermediate,))
                          for _ in range(20)]
                create[label] = [_raw(r.method, r.path, r.query, r.headers, r.body) for r in signed]
            run(host, port, assume, concurrency=8, total=300, name="warm-up")
            for reqs in create.values():
                run(host, port, reqs, concurrency=8, total=300, name="warm-up")
            assert srv.proc is not None
            pid = srv.proc.pid
            for c in args.concurrency:
                for _ in range(args.rounds):  # alternating, so the neighbours' load falls on every row alike
                    base, base_cpu = measured_run(pid, host, port, assume, concurrency=c, total=args.requests,
                                                  name=f"AssumeRole, {c} clients")
                    results.append(base)
                    cpu.setdefault(("AssumeRole", c), []).append(base_cpu)
                    for label, reqs in create.items():
                        row, row_cpu = measured_run(pid, host, port, reqs, concurrency=c, total=args.requests,
                                                    name=f"CreateSession ({label} leaf), {c} clients")
                        results.append(row)
                        ratios.setdefault((label, c), []).append(row.rps / base.rps)
                        cpu.setdefault((label, c), []).append(row_cpu)
        finally:
            srv.stop()
    print(f"\nworkers={args.workers} requests={args.requests} rounds={args.rounds} python={sys.version.split()[0]}\n")
    print("| request | requests/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(r.row())
    for (label, c), each in ratios.items():
        print(f"CreateSession ({label}) / AssumeRole at {c} clients: {statistics.median(each):.0%} (median of "
              f"{len(each)} alternating rounds: {', '.join(f'{r:.0%}' for r in sorted(each))})")
    print("\nServer CPU per request (user + system of the server and its workers, median of the rounds):")
    for (label, c), each in cpu.items():
        print(f"  {label}, {c} clients: {statistics.median(each):.2f} ms")


if __name__ == "__main__":
    main()
