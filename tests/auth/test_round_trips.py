"""Store round trips per request, counted through the endpoint as the server runs it: at most one read of the
invalidation port per request (none for a session-authenticated GetCallerIdentity) and, in steady state, no
store read for AssumeRole and none but GetRole's own answer — their principals, roles and decisions come from the caches the
port keeps honest."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rolegate.server.app import build_app
from rolegate.server.config import Settings
from rolegate.server.runtime import prepare
from rolegate.store.invalidation import Stamp
from tests.live import ROOT_KEY_ID, ROOT_SECRET
from tests.iam.conftest import Requests, request_of

ACCT = "123456789012"
NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
# The app is built in process, as bench/authz_bench.py builds it; its Starlette shutdown hook is not at issue.
pytestmark = pytest.mark.filterwarnings("ignore:The on_startup and on_shutdown:DeprecationWarning")


@dataclass
class Counted:
    """The endpoint with counters on the invalidation port and on the store's read transactions."""

    endpoint: Any
    authorizer: Any  # the app's decision service: it builds the requests a test's set-up calls services with
    stamps: list[str] = field(default_factory=list)
    reads: list[int] = field(default_factory=list)

    def call(self, service: str, body: str, key: str, secret: str, token: str | None = None) -> bytes:
        req = AWSRequest("POST", "http://127.0.0.1:4566/", data=body.encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials(key, secret, token), service, "us-east-1").add_auth(req)
        p = req.prepare()
        headers = [("host", "127.0.0.1:4566"), *p.headers.items()]
        res = self.endpoint.handle("POST", "/", "", headers, p.body, client_ip="10.0.0.1")
        assert res.status == 200, res.body
        return bytes(res.body)

    def counted(self, service: str, body: str, key: str, secret: str, token: str | None = None) -> tuple[int, int]:
        """(invalidation reads, store reads) of one request."""
        self.stamps.clear()
        self.reads.clear()
        self.call(service, body, key, secret, token)
        return len(self.stamps), len(self.reads)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Counted, Any]]:
    settings = Settings(data_dir=tmp_path, root_access_key_id=ROOT_KEY_ID, root_secret_access_key=ROOT_SECRET)
    prepare(settings)
    app = build_app(settings)
    runtime = app.state.runtime
    counted = Counted(app.state.endpoint, runtime.authorizer)
    port, real_stamp, real_read = runtime.store.invalidation, runtime.store.invalidation.stamp, runtime.store.read

    def stamp(account_id: str) -> Stamp:
        counted.stamps.append(account_id)
        return real_stamp(account_id)

    @contextmanager
    def read() -> Iterator[object]:
        counted.reads.append(1)
        with real_read() as tx:
            yield tx

    monkeypatch.setattr(port, "stamp", stamp)
    monkeypatch.setattr(runtime.store, "read", read)
    yield counted, runtime.services
    runtime.store.close()


@pytest.fixture
def req(server: tuple[Counted, Any]) -> Requests:
    return lambda who, region=None: request_of(server[0].authorizer, who, region)


def _user_with_key(services: Any, req: Requests, *statements: dict[str, Any]) -> tuple[str, str]:
    services.users.create_user(req(ACCT), "alice")
    services.users.put_user_policy(req(ACCT), "alice", "p", json.dumps({"Version": "2012-10-17",
                                                                   "Statement": list(statements)}))
    key = services.access_keys.create_access_key(req(ACCT), "alice").key
    return key.access_key_id, key.secret_access_key


def test_get_role_reads_the_invalidation_port_once_and_the_store_only_for_its_answer(server: tuple[Counted, Any],
                                                                                     req: Requests) -> None:
    counted, services = server
    services.roles.create_role(req(ACCT), "app", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    key, secret = _user_with_key(services, req, {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"})
    body = "Action=GetRole&Version=2010-05-08&RoleName=app"
    counted.call("iam", body, key, secret)  # fills the caches
    # The one store read is the handler's (the role it returns); authentication and authorization read none.
    assert counted.counted("iam", body, key, secret) == (1, 1)


def test_assume_role_reads_the_invalidation_port_once_and_the_store_not_at_all(
        server: tuple[Counted, Any], req: Requests) -> None:
    counted, services = server
    key, secret = _user_with_key(services, req, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    arn = services.roles.create_role(req(ACCT), "target", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/alice"},
         "Action": ["sts:AssumeRole", "sts:TagSession"]}]})).arn
    body = f"Action=AssumeRole&Version=2011-06-15&RoleArn={arn}&RoleSessionName=bench&Tags.member.1.Key=k&Tags.member.1.Value=v"
    counted.call("sts", body, key, secret)  # fills the caches (and writes RoleLastUsed once)
    assert counted.counted("sts", body, key, secret) == (1, 0)


def test_session_get_caller_identity_reads_nothing(server: tuple[Counted, Any], req: Requests) -> None:
    counted, services = server
    key, secret = _user_with_key(services, req, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
    arn = services.roles.create_role(req(ACCT), "target", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/alice"},
         "Action": "sts:AssumeRole"}]})).arn
    out = ET.fromstring(counted.call("sts", f"Action=AssumeRole&Version=2011-06-15&RoleArn={arn}&RoleSessionName=bench",
                                     key, secret))
    creds = out.find(".//sts:Credentials", NS)
    assert creds is not None
    session = [creds.findtext(f"sts:{name}", namespaces=NS) or ""
               for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
    assert counted.counted("sts", "Action=GetCallerIdentity&Version=2011-06-15", *session) == (0, 0)
