"""Authorization overhead on GetRole, in process: ``Endpoint.handle`` timed with and without the authorizer.

Run: ``.venv/bin/python -m bench.authz_bench [--requests 20000]``.

A user whose effective policy set is ten policies (four inline, three attached managed, a group with one inline
and two attached) calls GetRole on a role with a path and tags. Timed, each over the same pre-signed requests:
- the user with the authorizer (the real server path: one invalidation read, then the decision remembered for
  this caller, request and second — or, once a second, cached policies and evaluation);
- the same user with authorization switched off (the endpoint without an authorizer) — the baseline;
- the root user with the authorizer (root bypasses evaluation);
- the authorizer alone (a new request context each call, so its one invalidation read included), with its
  decision remembered and with every decision made afresh.
The store is SQLite on disk in a temporary directory, as the server runs it.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rolegate.authz import Caller, RequestMeta
from rolegate.server.app import build_app
from rolegate.server.config import Settings
from rolegate.server.runtime import prepare
from tests.live import ROOT_KEY_ID, ROOT_SECRET

ACCT = "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def doc(action: str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource},
        {"Effect": "Deny", "Action": "iam:DeleteRole", "Resource": f"arn:aws:iam::{ACCT}:role/protected/*"}]})


Signed = tuple[str, str, str, list[tuple[str, str]], bytes]


def signed(body: str, key: str, secret: str) -> Signed:
    req = AWSRequest("POST", "http://127.0.0.1:4566/", data=body.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret), "iam", "us-east-1").add_auth(req)
    p = req.prepare()
    headers = [("host", "127.0.0.1:4566")] + [(k, v) for k, v in p.headers.items()]
    return ("POST", "/", "", headers, p.body)


def time_calls(handle: Callable[..., Any], request: Signed, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter_ns()
        res = handle(*request, client_ip="10.0.0.1")
        out.append((time.perf_counter_ns() - start) / 1000)
        if res.status != 200:
            raise SystemExit(f"unexpected status {res.status}: {res.body[:300]!r}")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), root_access_key_id=ROOT_KEY_ID, root_secret_access_key=ROOT_SECRET)
        prepare(settings)
        app = build_app(settings)
        s = app.state.runtime.services
        authorized = app.state.endpoint
        unauthorized = copy.copy(authorized)
        unauthorized._check = False
        setup = app.state.runtime.internal_request("rolegate-bench", ACCT)  # the benchmark's own set-up
        s.roles.create_role(setup, "app", TRUST, path="/team/", tags=[("owner", "bench"), ("env", "prod")])
        s.users.create_user(setup, "bench")
        for i, action in enumerate(["iam:GetRole", "iam:ListRoles", "iam:GetUser", "s3:GetObject"]):
            s.users.put_user_policy(setup, "bench", f"inline-{i}", doc(action, f"arn:aws:iam::{ACCT}:role/team/*"))
        for i in range(3):
            arn = s.policies.create_policy(setup, f"managed-{i}", doc(f"iam:List{i}*")).policy.arn
            s.policies.attach(setup, "User", "bench", arn)
        s.groups.create_group(setup, "benchers")
        s.groups.add_user_to_group(setup, "benchers", "bench")
        s.groups.put_group_policy(setup, "benchers", "g", doc("iam:Tag*"))
        for name in ("ReadOnlyAccess", "IAMReadOnlyAccess"):
            s.policies.attach(setup, "Group", "benchers", f"arn:aws:iam::aws:policy/{name}")
        key = s.access_keys.create_access_key(setup, "bench").key
        body = "Action=GetRole&Version=2010-05-08&RoleName=app"
        user_req = signed(body, key.access_key_id, key.secret_access_key)
        root_req = signed(body, ROOT_KEY_ID, ROOT_SECRET)
        variants = [("user, authorizer on (10 policies)", authorized.handle, user_req),
                    ("user, authorizer off (baseline)", unauthorized.handle, user_req),
                    ("root, authorizer on (bypass)", authorized.handle, root_req)]
        for _, handle, req in variants:  # warm: caches, compiled policies, statement memos
            time_calls(handle, req, 500)
        results: dict[str, list[float]] = {name: [] for name, _, _ in variants}
        for _ in range(args.requests // 10):  # interleaved in short runs, so drift hits every variant alike
            for name, handle, req in variants:
                results[name] += time_calls(handle, req, 10)
        # The authorizer alone, for the same question (what the endpoint adds, without the noise of the rest).
        caller = Caller(account_id=ACCT, arn=f"arn:aws:iam::{ACCT}:user/bench", user_id=key.user_id or "",
                        principal_type="User", access_key_id=key.access_key_id, user_name="bench")
        authz = authorized._authz
        meta = RequestMeta("10.0.0.1", "Boto3/1.0", False)
        alone: list[float] = []
        for _ in range(args.requests):
            start = time.perf_counter_ns()
            authz.authorize(caller, "iam", "GetRole", {"RoleName": "app"}, authz.request(caller, "bench", meta))
            alone.append((time.perf_counter_ns() - start) / 1000)
        results["Authorizer.authorize alone (user, remembered decision)"] = alone
        fresh: list[float] = []
        for _ in range(args.requests):
            authz._decisions.clear()  # every call decided afresh: plan, policies, evaluation
            start = time.perf_counter_ns()
            authz.authorize(caller, "iam", "GetRole", {"RoleName": "app"}, authz.request(caller, "bench", meta))
            fresh.append((time.perf_counter_ns() - start) / 1000)
        results["Authorizer.authorize alone (user, decided afresh)"] = fresh
        app.state.runtime.store.close()
    base = statistics.median(results["user, authorizer off (baseline)"])
    print(f"\nGetRole via Endpoint.handle, {args.requests} calls each, python={sys.version.split()[0]}\n")
    print("| caller | p50 µs | mean µs | p99 µs | vs baseline p50 |\n|---|---:|---:|---:|---:|")
    for name, samples in results.items():
        samples.sort()
        p50, p99 = statistics.median(samples), samples[int(len(samples) * 0.99)]
        print(f"| {name} | {p50:.0f} | {statistics.fmean(samples):.0f} | {p99:.0f} | {100 * (p50 / base - 1):+.1f}% |")


if __name__ == "__main__":
    main()
