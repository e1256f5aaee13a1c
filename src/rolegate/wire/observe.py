"""Where audit and metrics attach to the endpoint: an observer told of each request's progress.

The endpoint calls every observer at four named points: ``started`` (a request arrived, nothing decoded),
``resolved`` (its operation is known), ``authenticated`` (its caller is known; ``None`` for an unsigned
operation) and ``completed`` (the response is built, with the outcome). An observer reads the ``Call`` and
must not change it or raise; it runs on the request's own thread, so it should be quick. The audit trail
metrics are observers.

The audit trail is the ``Recorder``: it wraps the handle stage, so a change's writes carry its record
(docs/adr/0041-audit-record-commits-with-its-change.md), and is the one stage every request passes after its
response is built, answered or refused, before the response leaves (ADR 0032). Unlike an observer it may raise
an ``AwsError`` (the record cannot be kept); the endpoint then answers a request that had succeeded with that
error instead.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from .call import Call
from .dispatch import Operation

__all__ = ["CompletionObserver", "Durable", "Observer", "Outcome", "Recorder"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a request ended: the HTTP status and, for an error, its AWS code."""

    status: int
    error_code: str | None = None


class Observer(Protocol):
    def started(self, call: Call) -> None: ...

    def resolved(self, call: Call) -> None: ...

    def authenticated(self, call: Call) -> None: ...

    def completed(self, call: Call, outcome: Outcome) -> None: ...


class CompletionObserver:
    """An observer that hears only ``completed``: the other three points are no-ops (service last accessed and
    request metrics need nothing before the outcome is known)."""

    def started(self, call: Call) -> None:
        pass

    def resolved(self, call: Call) -> None:
        pass

    def authenticated(self, call: Call) -> None:
        pass

    def completed(self, call: Call, outcome: Outcome) -> None:
        raise NotImplementedError


class Durable(Protocol):
    """A record on its way to the store: the response may leave once it is ``done`` without ``error``."""

    @property
    def done(self) -> bool: ...

    @property
    def error(self) -> BaseException | None: ...

    def wait(self) -> None:
        """Block until done; raise its error, if any."""
        ...

    def on_done(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` once done (at once if it is), on whichever thread completes it."""
        ...


class Recorder(Protocol):
    def waits(self, op: Operation) -> bool:
        """Whether a success of ``op`` waits for its record's commit before the response leaves."""
        ...

    def handling(self, call: Call) -> AbstractContextManager[None]:
        """Entered around the handle stage: what the handler writes may carry the record (docs/adr/0041)."""
        ...

    def expecting(self) -> AbstractContextManager[None]:
        """Entered around a request handled on the event loop up to ``settle``: a record about to be written
        may wait for this one's (docs/adr/0045-issuance-batches-wait-for-the-loop.md)."""
        ...

    def record(self, call: Call, outcome: Outcome) -> Durable | None:
        """Record the answered ``call``; raise an ``AwsError`` if the record could not be kept. A record that
        must be durable before the response and is not yet comes back as a ``Durable`` to wait for."""
        ...
