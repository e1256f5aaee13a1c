"""AssumeRoleWithSAML against AssumeRole, side by side in one run against a live server (issue 12's SAML line:
SAML at least 40% of AssumeRole's requests/s on this 2-core machine).

Run: ``.venv/bin/python -m bench.saml_bench [--workers 2] [--requests 2000] [--concurrency 8 64] [--rounds N]
[--audit on|off]`` (the audit trail: on, the default, or off)
(``--rounds``: the rows alternate N times per concurrency, the median of the per-round ratios is reported).
A real pysaml2 IdP (tests/federation/pysaml2_idp.py, signing with xmlsec1) signs one response per request
beforehand: an assertion is accepted once, so each SAML request carries a fresh one, as a real sign-in does.
Each measured request therefore costs what AWS's does: base64, parse, RSA-SHA256 signature and digest
verification, the conditions, the trust check, the replay record written to the store, the session sealed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.loadgen import Result, add_audit_option, audit_env, measured_run, run, sign_form
from bench.sts_bench import assuming_user, form
from tests.federation.pysaml2_idp import SamlIdp, aws_attributes
from tests.live import ACCOUNT_ID, LiveServer


def unsigned_form(host: str, port: int, body: str) -> bytes:
    data = body.encode()
    return (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-www-form-urlencoded; "
            f"charset=utf-8\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=2000, help="per measurement; one assertion each")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    ap.add_argument("--rounds", type=int, default=1, help="alternating rounds per concurrency; median ratio")
    add_audit_option(ap)
    args = ap.parse_args(argv)

    results: list[Result] = []
    ratios: dict[int, list[float]] = {}
    cpu: dict[int, list[tuple[float, float]]] = {}  # server CPU ms per request: (AssumeRole, SAML) per round
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "idp").mkdir()
        (Path(tmp) / "srv").mkdir()
        idp = SamlIdp(Path(tmp) / "idp")
        srv = LiveServer(Path(tmp) / "srv", extra_args=["--workers", str(args.workers)],
                         env=audit_env(args.audit))
        try:
            srv.start()  # inside: a server that never became ready is stopped too
            host, port = "127.0.0.1", srv.port
            iam = srv.client("iam")
            user_arn, key = assuming_user(iam)
            provider = iam.create_saml_provider(Name="bench-idp", SAMLMetadataDocument=idp.metadata())
            provider_arn = provider["SAMLProviderArn"]
            iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"},
                    {"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithSAML",
                     "Condition": {"StringEquals": {"saml:aud": "https://signin.aws.amazon.com/saml"}}}]}))
            role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/bench-role"

            assume = [sign_form(host, port, form("2011-06-15", Action="AssumeRole", RoleArn=role_arn,
                                                 RoleSessionName=f"s{i}"),
                                key["AccessKeyId"], key["SecretAccessKey"], service="sts") for i in range(50)]
            needed = args.requests * len(args.concurrency) * args.rounds + 200
            t0 = time.perf_counter()
            # pysaml2 waits on an xmlsec1 process per signature: a few threads sign side by side.
            with ThreadPoolExecutor(4) as signers:
                saml = list(signers.map(lambda i: unsigned_form(host, port, form(
                    "2011-06-15", Action="AssumeRoleWithSAML", RoleArn=role_arn, PrincipalArn=provider_arn,
                    SAMLAssertion=idp.response(aws_attributes(role_arn, provider_arn, f"u{i}")))), range(needed)))
            print(f"signed {needed} assertions with pysaml2 in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            run(host, port, assume, concurrency=8, total=500, name="warm-up")
            run(host, port, saml[:200], concurrency=8, total=200, name="warm-up")
            fresh = saml[200:]
            n = 0
            assert srv.proc is not None
            pid = srv.proc.pid
            for c in args.concurrency:
                for _ in range(args.rounds):  # alternating, so the neighbours' load falls on both rows alike
                    a, a_cpu = measured_run(pid, host, port, assume, concurrency=c, total=args.requests,
                                            name=f"AssumeRole, {c} clients")
                    batch, n = fresh[n:n + args.requests], n + args.requests
                    s, s_cpu = measured_run(pid, host, port, batch, concurrency=c, total=len(batch),
                                            name=f"AssumeRoleWithSAML (fresh assertion each), {c} clients")
                    results += [a, s]
                    ratios.setdefault(c, []).append(s.rps / a.rps)
                    cpu.setdefault(c, []).append((a_cpu, s_cpu))
        finally:
            srv.stop()
    print(f"\nworkers={args.workers} requests={args.requests} rounds={args.rounds} python={sys.version.split()[0]}\n")
    print("| request | requests/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(r.row())
    for c, each in ratios.items():
        print(f"\nAssumeRoleWithSAML at {c} clients: {statistics.median(each):.0%} of AssumeRole's requests/s (median of "
              f"{len(each)} alternating rounds: {', '.join(f'{r:.0%}' for r in sorted(each))})", end="")
    print("\n\nServer CPU per request (user + system of the server and its workers), median of the rounds:")
    for c, pairs in cpu.items():
        a_ms, s_ms = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
        print(f"  {c} clients: AssumeRole {a_ms:.2f} ms, AssumeRoleWithSAML {s_ms:.2f} ms ({a_ms / s_ms:.0%})")


if __name__ == "__main__":
    main()
