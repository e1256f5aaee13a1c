"""Bad input of every kind gets an AWS-shaped 4xx and changes nothing; no input reaches a 500.

Thousands of generated bad requests (Hypothesis strategies built from the botocore shapes), each
correctly signed so it reaches parsing and validation, are sent to a live server. After every one of them
every table of the server's database holds exactly what it held before.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rolegate.wire.handlers import HANDLERS
from rolegate.wire.models import default_catalog
from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer
from tests.wire.shape_strategies import bad_request_params

_ERROR = re.compile(rb"<ErrorResponse[^>]*>.*<Type>Sender</Type>.*<Code>[A-Za-z.]+</Code>.*<Message>", re.S)
_CATALOG = default_catalog()
_OPS = sorted(name for _, name in HANDLERS if _CATALOG.lookup_action(name) is not None)


def _send(server: LiveServer, client: httpx.Client, body: bytes) -> httpx.Response:
    req = AWSRequest("POST", server.url + "/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1").add_auth(req)
    p = req.prepare()
    return client.post(p.url, content=p.body, headers=dict(p.headers))


# Bookkeeping a refused request may legitimately write: authentication runs before validation, and a
# correctly signed request records its key's last use (at most once per key per interval, see
# ``AccessKeyService.record_use``) whether or not the request is then refused. Every other column of
# every table is compared.
_BOOKKEEPING = {"access_keys": {"last_used_at", "last_used_service", "last_used_region"}}
# The audit trail records every answered request, refusals included (CloudTrail records them with their
# errorCode; docs/adr/0041-audit-record-commits-with-its-change.md): its tables are not state the request changed.
_AUDIT_TABLES = {"audit_events", "audit_event_resources", "audit_marks"}


class StoreState:
    """Asserts that the live server's SQLite database has not changed since this object was made.

    It reads the database file through a read-only connection of its own. ``PRAGMA data_version`` changes
    whenever another connection commits, so the whole database is read again only after a commit.
    """

    def __init__(self, database: Path) -> None:
        self._conn = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, isolation_level=None)
        self._version, self._tables = self._read()

    def assert_unchanged(self) -> None:
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return
        version, tables = self._read()
        changed = sorted(name for name in tables.keys() | self._tables.keys()
                         if tables.get(name) != self._tables.get(name))
        assert changed == [], f"the request changed table(s) {changed}"
        self._version = version

    def close(self) -> None:
        self._conn.close()

    def _read(self) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
        self._conn.execute("BEGIN")
        try:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            names = [n for (n,) in self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                if n not in _AUDIT_TABLES]
            return version, {name: self._rows(name) for name in names}
        finally:
            self._conn.execute("COMMIT")

    def _rows(self, table: str) -> list[tuple[Any, ...]]:
        columns = [f'"{c}"' for (_, c, *_) in self._conn.execute(f'PRAGMA table_info("{table}")')
                   if c not in _BOOKKEEPING.get(table, ())]
        listed = ", ".join(columns)
        return self._conn.execute(f'SELECT {listed} FROM "{table}" ORDER BY {listed}').fetchall()


@pytest.fixture(scope="module")
def http() -> Any:
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture
def store_state(server: LiveServer) -> Iterator[StoreState]:
    """The server's whole database as the test found it; ``assert_unchanged`` after every request."""
    state = StoreState(server.data_dir / "rolegate.db")
    yield state
    state.close()


@pytest.mark.parametrize("action", _OPS)
def test_generated_bad_requests_get_aws_shaped_client_errors_and_change_nothing(
        server: LiveServer, http: httpx.Client, store_state: StoreState, action: str) -> None:
    ref = _CATALOG.lookup_action(action)
    assert ref is not None

    @settings(max_examples=200, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(bad_request_params(ref.operation))
    def check(params: dict[str, str]) -> None:
        body = httpx.QueryParams({"Action": action, "Version": ref.service.api_version, **params})
        res = _send(server, http, str(body).encode())
        assert 400 <= res.status_code < 500, (res.status_code, res.text, params)
        assert _ERROR.search(res.content), res.text
        store_state.assert_unchanged()

    check()


@given(raw=st.binary(max_size=300))
@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_bytes_in_the_body_never_reach_a_server_error_and_change_nothing(
        server: LiveServer, http: httpx.Client, store_state: StoreState, raw: bytes) -> None:
    res = _send(server, http, b"Action=CreateRole&Version=2010-05-08&" + raw)
    assert 400 <= res.status_code < 500, res.text
    store_state.assert_unchanged()


@pytest.mark.parametrize("body", [
    b"Action=CreateRole&RoleName=%ZZ&AssumeRolePolicyDocument=x",          # bad percent-encoding
    b"Action=CreateRole&RoleName=%FF%FE&AssumeRolePolicyDocument=x",       # invalid UTF-8
    b"Action=CreateRole&RoleName=a&RoleName=b&AssumeRolePolicyDocument=x",  # repeated parameter
    b"Action=CreateRole&RoleName=x&AssumeRolePolicyDocument=x&Bogus=1",     # unknown parameter
    b"Action=CreateRole&RoleName=%3Cx%2F%3E&AssumeRolePolicyDocument=x",    # XML-looking
    b"Action=CreateRole&RoleName=x%27%3B+DROP+TABLE+roles%3B--&AssumeRolePolicyDocument=x",  # SQL-looking
    b"Action=ListRoles&MaxItems=abc",                                        # wrong type
    b"Action=ListRoles&MaxItems=0",                                          # out of range
    b"Action=CreateRole&RoleName=ok-name&AssumeRolePolicyDocument=%7B%7D&Tags.member.2.Key=a",  # list gap
])
def test_classic_bad_requests_are_client_errors_and_change_nothing(server: LiveServer, http: httpx.Client,
                                                                   store_state: StoreState, body: bytes) -> None:
    res = _send(server, http, body + b"&Version=2010-05-08")
    assert 400 <= res.status_code < 500, res.text
    assert _ERROR.search(res.content), res.text
    store_state.assert_unchanged()


def test_an_oversized_body_is_request_entity_too_large(server: LiveServer, http: httpx.Client,
                                                      store_state: StoreState) -> None:
    res = _send(server, http, b"Action=ListRoles&Version=2010-05-08&Pad=" + b"a" * 2_000_000)
    assert res.status_code == 413
    store_state.assert_unchanged()
