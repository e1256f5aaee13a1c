"""The log configuration (``rolegate.obs.logging``): one short line per failure, tracebacks without local
variables and only at debug, and no secret a request carried in any field of any event — rolegate's own
and the standard library's (uvicorn's) alike (issue 10, item 1)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from rolegate.core.redaction import REDACTED, remember, request_scope
from rolegate.obs.logging import configure_logging

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    configure_logging("info", json=True, stream=out)
    yield out
    configure_logging("warning", json=True, stream=io.StringIO())  # later tests must not write here


def events(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _fail_holding(secret: str) -> None:
    held_in_a_local = secret  # what a traceback with locals would print
    raise RuntimeError(f"could not finish ({len(held_in_a_local)} chars)")


def test_an_exception_is_one_short_line_with_its_type_and_message(stream: io.StringIO) -> None:
    try:
        _fail_holding(SECRET)
    except RuntimeError:
        structlog.get_logger("t").exception("unhandled error", request_id="r-1")
    assert len(stream.getvalue().splitlines()) == 1
    (event,) = events(stream)
    assert event["event"] == "unhandled error" and event["request_id"] == "r-1" and event["level"] == "error"
    assert event["error"] == "RuntimeError: could not finish (40 chars)"
    assert "traceback" not in event and "exc_info" not in event


def test_at_debug_the_traceback_is_added_without_local_variables() -> None:
    out = io.StringIO()
    configure_logging("debug", json=True, stream=out)
    try:
        try:
            _fail_holding(SECRET)
        except RuntimeError:
            structlog.get_logger("t").exception("unhandled error")
    finally:
        configure_logging("warning", json=True, stream=io.StringIO())
    (event,) = events(out)
    assert "_fail_holding" in str(event["traceback"])
    assert SECRET not in out.getvalue() and "held_in_a_local" in str(event["traceback"])  # the line, not its value


def test_a_remembered_secret_is_redacted_from_messages_fields_and_exceptions(stream: io.StringIO) -> None:
    with request_scope(set()):
        remember(SECRET)
        log = structlog.get_logger("t")
        log.warning(f"saw {SECRET}", detail={"nested": [SECRET]})
        try:
            raise ValueError(f"bad key {SECRET}")
        except ValueError:
            log.exception("failed")
    assert SECRET not in stream.getvalue()
    first, second = events(stream)
    assert first["event"] == f"saw {REDACTED}" and first["detail"] == {"nested": [REDACTED]}
    assert second["error"] == f"ValueError: bad key {REDACTED}"


def test_a_request_s_secrets_are_its_own(stream: io.StringIO) -> None:
    with request_scope(set()):
        remember("the-first-request-secret")
    with request_scope(set()):
        structlog.get_logger("t").warning("the-first-request-secret is not this request's")
    assert "the-first-request-secret" in stream.getvalue()


def test_a_field_named_as_a_secret_is_blanked_whatever_its_value(stream: io.StringIO) -> None:
    structlog.get_logger("t").warning("issued", secret_access_key="abc", SessionToken="def", password="ghi",
                                      access_key_id="AKIAEXAMPLE")
    (event,) = events(stream)
    assert (event["secret_access_key"], event["SessionToken"], event["password"]) == (REDACTED,) * 3
    assert event["access_key_id"] == "AKIAEXAMPLE"


def test_standard_library_loggers_pass_the_same_chain(stream: io.StringIO) -> None:
    with request_scope(set()):
        remember(SECRET)
        try:
            raise OSError(f"peer sent {SECRET}")
        except OSError:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    (event,) = events(stream)
    assert event["logger"] == "uvicorn.error" and event["error"] == f"OSError: peer sent {REDACTED}"
    assert "Traceback" not in stream.getvalue()


def test_levels_below_the_configured_one_are_dropped(stream: io.StringIO) -> None:
    structlog.get_logger("t").debug("noise")
    logging.getLogger("uvicorn.error").debug("noise")
    assert stream.getvalue() == ""


def test_a_terminal_gets_the_console_format_and_a_pipe_json() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    try:
        configure_logging("info", stream=tty)
        structlog.get_logger("t").info("hello")
        configure_logging("info", stream=pipe)
        structlog.get_logger("t").info("hello")
    finally:
        configure_logging("warning", json=True, stream=io.StringIO())
    assert not tty.getvalue().startswith("{") and "hello" in tty.getvalue()
    assert json.loads(pipe.getvalue())["event"] == "hello"
