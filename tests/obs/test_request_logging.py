"""Every line logged inside a request carries the request id the client is answered with (``x-amzn-RequestId``)
— from the stages, the observers and the thread that finishes the request — and none outlives the request
(ADR 0034)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from rolegate.obs.logging import configure_logging
from rolegate.server.app import authenticator_for
from rolegate.server.config import Settings
from rolegate.server.runtime import open_runtime, prepare
from rolegate.wire.call import Call
from rolegate.wire.codec import WireRequest
from rolegate.wire.endpoint import Endpoint
from rolegate.wire.models import default_catalog
from rolegate.wire.observe import Outcome

log = structlog.get_logger("tests.request")


class Chatty:
    """An observer that logs at each point it is told of."""

    def started(self, call: Call) -> None:
        log.info("started")

    def resolved(self, call: Call) -> None:
        log.info("resolved")

    def authenticated(self, call: Call) -> None:
        log.info("authenticated")

    def completed(self, call: Call, outcome: Outcome) -> None:
        log.warning("completed", status=outcome.status)


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[Endpoint]:
    settings = Settings(data_dir=tmp_path)
    prepare(settings)
    runtime = open_runtime(settings)
    try:
        yield Endpoint(default_catalog(), authenticator_for(runtime), runtime.services,
                       authorizer=runtime.authorizer, observers=[Chatty()])
    finally:
        runtime.store.close()


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure_logging("info", json=True, stream=out)
    yield out
    configure_logging("warning", json=True, stream=io.StringIO())


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


FORM = [("content-type", "application/x-www-form-urlencoded")]


def test_every_line_of_a_request_carries_the_id_the_client_sees(endpoint: Endpoint, stream: io.StringIO) -> None:
    res = endpoint.handle("POST", "/", "", FORM, b"Action=GetCallerIdentity&Version=2011-06-15")
    events = lines(stream)
    assert [e["event"] for e in events] == ["started", "resolved", "completed"]  # refused before authenticated
    assert {e["request_id"] for e in events} == {res.request_id}


def test_the_id_follows_the_request_to_the_thread_that_finishes_it(endpoint: Endpoint,
                                                                   stream: io.StringIO) -> None:
    call = endpoint.begin(WireRequest("POST", "/", "", FORM, b"Action=ListRoles&Version=2010-05-08", None, False))
    finished: list[str] = []
    worker = threading.Thread(target=lambda: finished.append(endpoint.finish(call).request_id))
    worker.start()
    worker.join()
    assert {e["request_id"] for e in lines(stream)} == {finished[0]} == {call.request_id}


def test_at_debug_each_request_is_one_line_with_its_outcome(endpoint: Endpoint) -> None:
    out = io.StringIO()
    configure_logging("debug", json=True, stream=out)
    try:
        res = endpoint.handle("POST", "/", "", FORM, b"Action=ListRoles&Version=2010-05-08")
    finally:
        configure_logging("warning", json=True, stream=io.StringIO())
    (answered,) = [e for e in lines(out) if e["event"] == "request answered"]
    assert answered["request_id"] == res.request_id and answered["level"] == "debug"
    assert (answered["operation"], answered["status"], answered["code"]) == \
        ("iam:ListRoles", 403, "MissingAuthenticationToken")


def test_at_info_a_refused_request_logs_nothing_of_its_own(endpoint: Endpoint, stream: io.StringIO) -> None:
    endpoint.handle("POST", "/", "", FORM, b"Action=ListRoles&Version=2010-05-08")
    assert [e["event"] for e in lines(stream)] == ["started", "resolved", "completed"]  # the observer's only


def test_no_request_id_outlives_its_request(endpoint: Endpoint, stream: io.StringIO) -> None:
    endpoint.handle("POST", "/", "", FORM, b"Action=NoSuchAction&Version=2010-05-08")
    log.info("after the request")
    assert "request_id" not in lines(stream)[-1]
