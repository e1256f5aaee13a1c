"""Store round trips per request: how many SQL statements each kind of request sends to the database.

Run: ``.venv/bin/python -m bench.store_round_trips [--calls 20]`` — prints one JSON object. The count is
deterministic (no timing), so it needs no quiet machine. The app is built in process and driven through
Starlette's test client with requests signed by botocore; every SQLite connection the process opens
(SQLAlchemy's pool and any raw connection, such as the invalidation reader) gets a trace callback, so
nothing the store does escapes the count. Each request kind is warmed once (caches filled), then counted
over ``--calls`` calls: the figures are the steady state a repeating client sees.

``bench.pipeline_bench`` runs this module against two source trees (``PYTHONPATH``) to compare them.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sqlite3
import sqlite3.dbapi2
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT_KEY = "AKIAIOSFODNN7EXAMPLE"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT = "123456789012"
# Reads of the cache-validity state: the generation counter of old, any invalidation table of new.
_INVALIDATION = re.compile(r"\b(policy_generation|invalidation\w*)\b", re.IGNORECASE)


class StatementCounter:
    """Counts statements on every SQLite connection opened after ``install`` while ``counting``."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self._on = False
        self._lock = threading.Lock()

    def install(self) -> None:
        real = sqlite3.dbapi2.connect

        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = real(*args, **kwargs)
            conn.set_trace_callback(self._trace)
            return conn

        # SQLAlchemy's pysqlite dialect calls ``sqlite3.dbapi2.connect``; raw users call ``sqlite3.connect``.
        sqlite3.dbapi2.connect = connect  # type: ignore[assignment]
        sqlite3.connect = connect  # type: ignore[assignment]

    def _trace(self, sql: str) -> None:
        if not self._on:
            return
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        with self._lock:
            self.counts["statements"] += 1
            self.counts[verb] += 1
            if verb == "SELECT" and _INVALIDATION.search(sql):
                self.counts["invalidation reads"] += 1

    @contextmanager
    def counting(self) -> Iterator[collections.Counter[str]]:
        self.counts = collections.Counter()
        self._on = True
        try:
            yield self.counts
        finally:
            self._on = False


def _signed(form: dict[str, str], key: str, secret: str, token: str | None, service: str) -> tuple[bytes, dict[str, str]]:
    body = str(httpx.QueryParams(form)).encode()
    req = AWSRequest("POST", "http://testserver/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret, token), service, "us-east-1").add_auth(req)
    return body, {k: v for k, v in req.headers.items()}


def _text(xml: str, tag: str) -> str:
    for el in ElementTree.fromstring(xml).iter():
        if el.tag.rsplit("}", 1)[-1] == tag:
            return el.text or ""
    raise KeyError(tag)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20)
    args = ap.parse_args(argv)

    counter = StatementCounter()
    counter.install()  # before anything opens a connection

    from starlette.testclient import TestClient

    from rolegate.server.app import build_app
    from rolegate.server.config import Settings
    from rolegate.server.runtime import prepare

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), root_access_key_id=ROOT_KEY, root_secret_access_key=ROOT_SECRET)
        prepare(settings)
        client = TestClient(build_app(settings))

        def call(service: str, creds: tuple[str, str, str | None], **params: str) -> str:
            version = "2011-06-15" if service == "sts" else "2010-05-08"
            body, headers = _signed({"Version": version, **params}, *creds, service)
            res = client.post("/", content=body, headers=headers)
            if res.status_code != 200:
                raise RuntimeError(f"{params.get('Action')}: {res.status_code} {res.text}")
            return res.text

        root = (ROOT_KEY, ROOT_SECRET, None)
        user_arn = f"arn:aws:iam::{ACCOUNT}:user/bench"
        role_arn = f"arn:aws:iam::{ACCOUNT}:role/bench-role"
        allow = lambda action: json.dumps({"Version": "2012-10-17", "Statement": [  # noqa: E731
            {"Effect": "Allow", "Action": action, "Resource": "*"}]})
        call("iam", root, Action="CreateUser", UserName="bench")
        call("iam", root, Action="PutUserPolicy", UserName="bench", PolicyName="p",
             PolicyDocument=allow(["sts:AssumeRole", "iam:GetRole", "iam:CreateRole", "iam:DeleteRole"]))
        created = call("iam", root, Action="CreateAccessKey", UserName="bench")
        user = (_text(created, "AccessKeyId"), _text(created, "SecretAccessKey"), None)
        call("iam", root, Action="CreateRole", RoleName="bench-role", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn},
                                                    "Action": "sts:AssumeRole"}]}))
        call("iam", root, Action="PutRolePolicy", RoleName="bench-role", PolicyName="read",
             PolicyDocument=allow("iam:Get*"))
        assumed = call("sts", user, Action="AssumeRole", RoleArn=role_arn, RoleSessionName="bench")
        session = (_text(assumed, "AccessKeyId"), _text(assumed, "SecretAccessKey"), _text(assumed, "SessionToken"))
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})

        kinds: dict[str, Any] = {
            "GetRole (user key)": lambda i: call("iam", user, Action="GetRole", RoleName="bench-role"),
            "AssumeRole (user key)": lambda i: call("sts", user, Action="AssumeRole", RoleArn=role_arn,
                                                    RoleSessionName=f"s{i}"),
            "GetCallerIdentity (session)": lambda i: call("sts", session, Action="GetCallerIdentity"),
            "GetRole (session)": lambda i: call("iam", session, Action="GetRole", RoleName="bench-role"),
            "CreateRole + DeleteRole (user key)": lambda i: (
                call("iam", user, Action="CreateRole", RoleName=f"w{i}", AssumeRolePolicyDocument=trust),
                call("iam", user, Action="DeleteRole", RoleName=f"w{i}")),
        }
        out: dict[str, dict[str, float]] = {}
        for name, fn in kinds.items():
            fn(10_000)  # warm: caches filled, as for a client repeating its call
            with counter.counting() as counts:
                for i in range(args.calls):
                    fn(i)
            out[name] = {k: round(v / args.calls, 2) for k, v in sorted(counts.items())}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
