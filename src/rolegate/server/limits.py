"""Bounded requests and connections on every listener rolegate opens (issue 10, item 2; docs/adr/0027-connection-limits.md).

``ConnectionLimits`` is what a listener is allowed to cost: the request line's and the head's size, the number
of headers, how long the head and the body may take to arrive, how long an idle keep-alive connection stays
open, and how many connections one worker holds at once. ``limited_protocol(limits)`` is uvicorn's httptools
protocol with those limits enforced; a listener gets them by passing it as uvicorn's ``http``. The AWS
endpoint's ``serve`` uses ``EnvironmentLimitedProtocol`` (the worker's settings, as the parent resolved them);
the agent's IMDS and container-credential listeners (issue 13) are to pass ``limited_protocol`` the same way.

uvicorn itself bounds none of these on the httptools path but keep-alive idle time: a connection that
never finishes its head is held for ever, and a header value that never ends is buffered in full. Here:

* a head (request line and headers) larger than ``max_head_bytes`` gets 431, a request line longer than
  ``max_request_line_bytes`` 414, more than ``max_headers`` headers 431 — and the connection is closed;
* a head not complete ``header_timeout_seconds`` after the connection opened (or after the previous
  response) gets 408 and is closed, and so is a body not complete ``body_timeout_seconds`` after its head;
* a connection beyond ``max_connections`` is answered 503 at once and closed, before it is read, so the
  excess costs one write and a close instead of starving the connections already served;
* the cap is fitted under the process's open-file limit (``fit_to_open_files``): a cap above it would let slow
  connections take every descriptor, so that accept() fails with EMFILE, the excess waits unanswered in the listen
  queue, and the store and the log cannot open a file either.

Refusals are logged, at most one summary line per reason every ten seconds: a flood must not become a log flood.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import resource
import socket
from dataclasses import dataclass
from typing import Any, ClassVar

import httptools
import structlog
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = structlog.get_logger("rolegate.server.limits")

_REASONS = {
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}
_LOG_EVERY_SECONDS = 10.0
# Descriptors kept for everything but client connections: the listening socket, the store (SQLite's database,
# -wal and -shm per pooled connection, or PostgreSQL's sockets), the log, key files, uvicorn's worker pipes.
_RESERVED_FILES = 64


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_connections: int = 1024
    max_request_line_bytes: int = 8192
    max_head_bytes: int = 32768
    max_headers: int = 100
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    keep_alive_seconds: float = 5.0

    @classmethod
    def from_settings(cls, settings: Any) -> ConnectionLimits:
        """The limits a ``rolegate.server.config.Settings`` configures."""
        return cls(max_connections=settings.max_connections,
                   max_request_line_bytes=settings.max_request_line_bytes,
                   max_head_bytes=settings.max_header_bytes, max_headers=settings.max_headers,
                   header_timeout_seconds=settings.header_timeout_seconds,
                   body_timeout_seconds=settings.body_timeout_seconds,
                   keep_alive_seconds=settings.keep_alive_seconds)


class _Refusals:
    """Counts refusals by reason; logs a summary per reason at most every ``_LOG_EVERY_SECONDS``."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._logged_at: dict[str, float] = {}

    def note(self, loop: asyncio.AbstractEventLoop, reason: str) -> None:
        self._counts[reason] = self._counts.get(reason, 0) + 1
        now = loop.time()
        if now - self._logged_at.get(reason, -1e18) >= _LOG_EVERY_SECONDS:
            log.warning("refused connections", reason=reason, count=self._counts.pop(reason))
            self._logged_at[reason] = now


_refusals = _Refusals()


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class LimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol under ``limits`` (set by ``limited_protocol``)."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = self.configured_limits()
        self.timeout_keep_alive = self._limits.keep_alive_seconds  # type: ignore[assignment]  # call_later takes a float
        self._refused = False
        self._in_head = True  # what arrives next is a request's head
        self._head_bytes = 0
        self._header_count = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._tls: dict[str, str] | None = None

    @classmethod
    def configured_limits(cls) -> ConnectionLimits:
        return cls.limits

    # --- connection ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        self._tls = _negotiated(transport)
        if len(self.connections) >= self._limits.max_connections:
            self.transport = transport
            self._refuse(503, "connection cap reached")
            return
        super().connection_made(transport)
        self._arm(self._limits.header_timeout_seconds, "headers not received in time")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        try:
            while data:
                if self._in_head:
                    # Feed no more head than the limit allows (plus one byte to see it is exceeded), so a header
                    # that never ends is refused at the limit, not buffered as far as the client likes.
                    room = self._limits.max_head_bytes - self._head_bytes + 1
                    part, data = data[:room], data[room:]
                    self._head_bytes += len(part)
                else:
                    part, data = data, b""
                self._feed(part)
                if self._refused or self.transport.is_closing():
                    return
                if self._in_head and self._head_bytes > self._limits.max_head_bytes:
                    raise _Refused(431, "request head too large")
        except _Refused as refusal:
            self._refuse(refusal.status, refusal.reason)

    def _feed(self, part: bytes) -> None:
        """uvicorn's ``data_received`` for one part, but a callback's refusal is answered as such, not as 400."""
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(part)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _Refused):  # httptools re-raises a callback's exception as its own
                raise exc.__context__ from None
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")

    # --- parser callbacks ------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._tls is not None:
            self.scope["extensions"] = {TLS_EXTENSION: dict(self._tls)}  # type: ignore[dict-item]
        self._header_count = 0
        if self._deadline is None:  # the next request on a kept-alive connection: its head starts now
            self._arm(self._limits.header_timeout_seconds, "headers not received in time")

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self._limits.max_request_line_bytes:
            raise _Refused(414, "request line too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self._limits.max_headers:
            raise _Refused(431, "too many headers")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._arm(self._limits.body_timeout_seconds, "body not received in time")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        self._disarm()
        super().on_message_complete()

    # --- refusing --------------------------------------------------------------------------------

    def _arm(self, seconds: float, reason: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired, reason)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, reason: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is not None and not self._in_head and cycle.response_started:
            self.transport.close()  # the answer is on its way; there is nothing left to say
            return
        self._refuse(408, reason)

    def _refuse(self, status: int, reason: str) -> None:
        """Answer ``status`` with ``Connection: close`` and close: nothing more is read from this client."""
        self._refused = True
        self._disarm()
        _refusals.note(self.loop, reason)
        if self.cycle is not None:
            self.cycle.disconnected = True  # a request waiting for its body hears the client is gone
            self.cycle.message_event.set()
        body = reason.encode("ascii")
        head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode("ascii")
        if not self.transport.is_closing():
            self.transport.write(head + body)
            self.transport.close()


def fit_to_open_files(limits: ConnectionLimits) -> ConnectionLimits:
    """``limits`` with the connection cap under this process's open-file limit, raising the soft limit to the
    hard one first (rolegate choice, as Go's runtime and nginx's ``worker_rlimit_nofile`` do: the soft limit of
    1,024 most systems start with is below the default cap). If the cap still does not fit, it is lowered to
    leave ``_RESERVED_FILES`` descriptors free, with one warning saying so."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + _RESERVED_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # not allowed here: fit the cap to the limit there is
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return limits
    fitted = max(1, soft - _RESERVED_FILES)
    log.warning("connection cap lowered to fit the open-file limit", configured=limits.max_connections,
                max_connections=fitted, open_file_limit=soft)
    return dataclasses.replace(limits, max_connections=fitted)


def limited_protocol(limits: ConnectionLimits) -> type[LimitedProtocol]:
    """uvicorn's httptools protocol under ``limits``: pass it as ``uvicorn.Config(http=...)`` in this process."""
    return type("LimitedProtocol", (LimitedProtocol,), {"limits": fit_to_open_files(limits)})


@functools.cache
def _environment_limits() -> ConnectionLimits:
    from .config import load_settings

    return fit_to_open_files(ConnectionLimits.from_settings(load_settings()))


class EnvironmentLimitedProtocol(LimitedProtocol):
    """The limits of the settings in this process's environment: for ``serve``'s workers, which uvicorn spawns and
    hands the protocol by import path (``rolegate.server.limits:EnvironmentLimitedProtocol``)."""

    @classmethod
    def configured_limits(cls) -> ConnectionLimits:
        return _environment_limits()


def _no_delay(transport: asyncio.Transport) -> None:
    """Switch Nagle's algorithm off, as asyncio does for the sockets it makes itself. With ``--workers`` the
    listening socket is made by uvicorn with protocol 0, so asyncio's own ``TCP_NODELAY`` skips the accepted
    ones; each small response then waits ~40 ms for the client's delayed ACK (bench/README.md, "Workers")."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass  # the peer may already be gone; the connection then closes as it would anyway


#: The scope extension under which each request of a TLS connection carries what was negotiated: ``version``
#: (``TLSv1.3``) and ``cipher`` (OpenSSL's name, ``TLS_AES_256_GCM_SHA384``), as CloudTrail's ``tlsDetails`` write
#: them. Rolegate's own key: uvicorn implements no TLS extension, and ASGI's draft one encodes both as numbers.
TLS_EXTENSION = "rolegate.tls"


def _negotiated(transport: asyncio.BaseTransport) -> dict[str, str] | None:
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    cipher = ssl_object.cipher()
    return {"version": ssl_object.version() or "", "cipher": cipher[0] if cipher else ""}
