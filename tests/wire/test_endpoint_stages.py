"""The query endpoint's stages: one decode per request, the thread decision from the resolved operation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import rolegate.wire.query_codec as query_codec
from rolegate.server.app import authenticator_for
from rolegate.server.config import Settings
from rolegate.server.runtime import open_runtime, prepare
from rolegate.wire.codec import WireRequest
from rolegate.wire.endpoint import Endpoint
from rolegate.wire.models import default_catalog
from tests.live import ROOT_KEY_ID, ROOT_SECRET


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("stages"), root_access_key_id=ROOT_KEY_ID,
                        root_secret_access_key=ROOT_SECRET)
    prepare(settings)
    runtime = open_runtime(settings)
    try:
        yield Endpoint(default_catalog(), authenticator_for(runtime), runtime.services, authorizer=runtime.authorizer)
    finally:
        runtime.store.close()


def _form(body: str) -> WireRequest:
    return WireRequest("POST", "/", "", [("Content-Type", "application/x-www-form-urlencoded")], body.encode())


def test_the_form_is_decoded_once_per_request(endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = query_codec.decode_form

    def counting(*args: Any) -> dict[str, str]:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(query_codec, "decode_form", counting)
    call = endpoint.begin(_form("Action=ListRoleTags&Version=2010-05-08&RoleName=r"))
    assert endpoint.runs_inline(call)
    response = endpoint.finish(call)
    assert response.status == 403 and b"<Code>MissingAuthenticationToken</Code>" in response.body
    assert len(calls) == 1


def test_reads_run_inline_and_writes_in_a_thread(endpoint: Endpoint) -> None:
    assert endpoint.runs_inline(endpoint.begin(_form("Action=ListRoles&Version=2010-05-08")))
    assert endpoint.runs_inline(endpoint.begin(_form("Action=AssumeRole&Version=2011-06-15")))
    assert not endpoint.runs_inline(endpoint.begin(_form("Action=CreateRole&Version=2010-05-08")))
    assert not endpoint.runs_inline(endpoint.begin(_form("Action=GetAccountAuthorizationDetails&Version=2010-05-08")))
    # Reads that show last use wait for its queued writes first; an MFA code's time step is written before the
    # answer (no code works twice): both wait on the store, so neither runs on the event loop.
    assert not endpoint.runs_inline(endpoint.begin(_form("Action=GetAccessKeyLastUsed&Version=2010-05-08")))
    assert not endpoint.runs_inline(endpoint.begin(
        _form("Action=AssumeRole&Version=2011-06-15&SerialNumber=arn:aws:iam::123456789012:mfa/d&TokenCode=123456")))


def test_a_request_that_does_not_resolve_runs_inline_and_answers_invalid_action(endpoint: Endpoint) -> None:
    call = endpoint.begin(_form("Action=Teleport&Version=2010-05-08"))
    assert call.operation is None and endpoint.runs_inline(call)
    response = endpoint.finish(call)
    assert response.status == 400 and b"<Code>InvalidAction</Code>" in response.body
    assert b'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"' in response.body


def test_web_identity_runs_in_a_thread_only_when_it_may_fetch_keys(endpoint: Endpoint) -> None:
    # The provider's keys are not cached here, so the call might wait on the IdP: a thread. A token that is
    # refused before any key is needed (not a JWS) waits on nothing, so it answers from the event loop.
    def call(token: str) -> WireRequest:
        return _form("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r"
                     f"&RoleSessionName=s&WebIdentityToken={token}")

    unknown = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmNvbSJ9.c2ln"
    assert not endpoint.runs_inline(endpoint.begin(call(unknown)))
    assert endpoint.runs_inline(endpoint.begin(call("not-a-token")))
