"""The secret values a request has touched, remembered so that no log line can carry one (issue 10, item 1).

Whoever receives or makes a secret — the wire validator for every input member the botocore model marks
``sensitive``, authentication for a session token and the secret a signature is checked with, the code that
generates secret access keys, MFA seeds and session credentials — calls ``remember``. The logging
configuration (``rolegate.obs.logging``) replaces every remembered value in every log event with
``REDACTED`` before anything is written. Values are remembered per request (``request_scope``: a context
variable, so concurrent requests keep theirs apart) and, outside any request (start-up, the command line),
for the life of the process.

Stdlib only: every layer may remember, and the log configuration reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["REDACTED", "known_secrets", "redact", "remember", "request_scope"]

REDACTED = "**redacted**"
# Shorter values (a six-digit MFA code, "true") would blank unrelated text; nothing rolegate issues is that short.
MIN_SECRET_CHARS = 8
# Outside requests only a handful of secrets are ever made (root keys at start, a CLI's new account);
# the bound keeps a long-lived process that keeps making them from growing without end.
_MAX_LASTING = 256

_request: ContextVar[set[str] | None] = ContextVar("rolegate_request_secrets", default=None)
_lasting: dict[str, None] = {}  # insertion-ordered: the oldest goes first when full


def remember(value: str | bytes | None) -> None:
    """Note ``value`` as secret for the current request (or the process, outside one)."""
    if value is None:
        return
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if len(text) < MIN_SECRET_CHARS:
        return
    bag = _request.get()
    if bag is not None:
        bag.add(text)
        return
    _lasting[text] = None
    while len(_lasting) > _MAX_LASTING:
        del _lasting[next(iter(_lasting))]


def known_secrets() -> tuple[str, ...]:
    """Every secret in view now, longest first (a secret that contains another is replaced whole)."""
    bag = _request.get()
    found = set(_lasting)
    if bag:
        found |= bag
    return tuple(sorted(found, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...] | None = None) -> str:
    """``text`` with every known secret (or every one of ``secrets``) replaced by ``REDACTED``."""
    for secret in known_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


@contextmanager
def request_scope(bag: set[str]) -> Iterator[set[str]]:
    """Remember into ``bag`` while the block runs: one request's secrets, which may be handed between threads
    (the endpoint re-enters the same bag on the thread that finishes the request)."""
    token = _request.set(bag)
    try:
        yield bag
    finally:
        _request.reset(token)
