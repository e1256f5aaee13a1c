"""AssumeRoleWithWebIdentity against AssumeRole, side by side in one run against a live server, and a JWKS
refresh storm: tokens with unknown key ids, counted at the identity provider.

Run: ``.venv/bin/python -m bench.web_identity_bench [--workers 2] [--requests 5000] [--concurrency 8 64]``.
The identity provider is the tests' real one (node ``oidc-provider`` on 127.0.0.2:443, tests/federation/
oidc_fixtures.py; ``npm ci --prefix tests/federation/oidc_idp`` first). Its token is fetched once and replayed
(keys cached: the steady state); AssumeRole requests are pre-signed and replayed (``bench.loadgen``). The
storm sends 10,000 tokens whose ``kid`` the provider never issued and reads how many JWKS requests reached it.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import httpx

from bench.loadgen import Result, run, sign_form
from bench.sts_bench import assuming_user
from tests.federation.oidc_fixtures import AUDIENCE, ISSUER, PROVIDER_URL, OidcIdp
from tests.live import ACCOUNT_ID, LiveServer


def form(**params: str) -> str:
    return str(httpx.QueryParams({"Version": "2011-06-15", **params}))


def unsigned(host: str, port: int, body: str) -> bytes:
    data = body.encode()
    return (f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def with_unknown_kid(token: str) -> str:
    _, payload, signature = token.split(".")
    header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": str(uuid.uuid4())}).encode())
    return ".".join((header.rstrip(b"=").decode(), payload, signature))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate AssumeRole and web identity this many times per concurrency and report the "
                         "median of the per-round ratios (neighbours' load on a shared machine moves between rows)")
    args = ap.parse_args(argv)
    ratios: dict[int, list[float]] = {}

    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        idp = OidcIdp(Path(tmp))
        idp.start()
        data = Path(tmp) / "data"
        data.mkdir()
        srv = LiveServer(data, extra_args=["--workers", str(args.workers)],
                         env={"ROLEGATE_FEDERATION_CA_BUNDLE": str(idp.ca_pem)})
        srv.start()
        try:
            host, port = "127.0.0.1", srv.port
            iam = srv.client("iam")
            user_arn, key = assuming_user(iam)
            iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=[AUDIENCE])
            provider_arn = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{PROVIDER_URL}"
            iam.create_role(RoleName="bench-role", AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"},
                    {"Effect": "Allow", "Principal": {"Federated": provider_arn},
                     "Action": "sts:AssumeRoleWithWebIdentity",
                     "Condition": {"StringEquals": {f"{PROVIDER_URL}:aud": AUDIENCE,
                                                    f"{PROVIDER_URL}:sub": "ci-client"}}}]}))
            role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/bench-role"
            token = idp.token()
            assume = [sign_form(host, port, form(Action="AssumeRole", RoleArn=role_arn, RoleSessionName=f"s{i}"),
                                key["AccessKeyId"], key["SecretAccessKey"], service="sts") for i in range(50)]
            web = [unsigned(host, port, form(Action="AssumeRoleWithWebIdentity", RoleArn=role_arn,
                                             RoleSessionName=f"w{i}", WebIdentityToken=token)) for i in range(50)]
            run(host, port, assume, concurrency=8, total=500, name="warm-up")
            warm = run(host, port, web, concurrency=8, total=500, name="warm-up")
            assert warm.errors == 0, "AssumeRoleWithWebIdentity failed during warm-up"
            for c in args.concurrency:
                for _ in range(args.rounds):
                    a = run(host, port, assume, concurrency=c, total=args.requests, name=f"AssumeRole, {c} clients")
                    w = run(host, port, web, concurrency=c, total=args.requests,
                            name=f"AssumeRoleWithWebIdentity (keys cached), {c} clients")
                    results += [a, w]
                    ratios.setdefault(c, []).append(w.rps / a.rps)
            before = idp.stats()["jwks"]
            storm = [unsigned(host, port, form(Action="AssumeRoleWithWebIdentity", RoleArn=role_arn,
                                               RoleSessionName="storm", WebIdentityToken=with_unknown_kid(token)))
                     for _ in range(10_000)]
            refused = run(host, port, storm, concurrency=16, total=len(storm), name="storm")
            storm_fetches = idp.stats()["jwks"] - before
        finally:
            srv.stop()
            idp.stop()
    print(f"\nworkers={args.workers} requests={args.requests} python={sys.version.split()[0]}\n")
    print("| request | requests/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for r in results:
        print(r.row())
    for c in args.concurrency:
        each = sorted(ratios[c])
        print(f"\n{c} clients: web identity at {100 * statistics.median(each):.0f}% of AssumeRole's throughput "
              f"(median of {len(each)} alternating rounds: {', '.join(f'{100 * r:.0f}%' for r in each)})")
    print(f"\nrefresh storm: {refused.requests} tokens with unknown kids in {refused.seconds:.1f} s, "
          f"{refused.errors} refused, {storm_fetches} JWKS requests reached the IdP (one a minute at most: "
          f"{max(1, int(refused.seconds // 60) + 1)} allowed)")


if __name__ == "__main__":
    main()
