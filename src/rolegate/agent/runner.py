"""Runs the agent: the credential source started, its refresher polling, and each listener served by uvicorn
under ``rolegate.server.limits.limited_protocol`` (every listener rolegate opens is bounded: ADR 0027), all in one
event loop, until SIGTERM or SIGINT.

Sockets are bound here, before uvicorn starts, so a taken or unassignable address is one clear line and exit
status 1, and port 0 resolves to the port the operator (or a test) is then told.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
from collections.abc import Generator
from dataclasses import dataclass

import structlog
import uvicorn

from rolegate.server.limits import ConnectionLimits, limited_protocol

from .asgi import App
from .sources import AgentStartError, CredentialSource, Refresher

__all__ = ["Listener", "bind", "parse_address", "serve"]

log = structlog.get_logger("rolegate.agent")

# IMDS answers the token PUT with an IP TTL of 1 by default (the PUT response hop limit), so a token cannot travel
# past one hop (EC2 User Guide, "How Instance Metadata Service Version 2 works":
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-v2-how-it-works.html).
IMDS_HOP_LIMIT = 1


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[V6]:PORT`` for IPv6) as a host and a port; ValueError with the reason."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return host, int(port)


def bind(name: str, address: str, hop_limit: int | None = None) -> socket.socket:
    """A listening socket on ``address`` (AgentStartError if it cannot be had); ``hop_limit`` sets the IP TTL of
    what is sent from it (inherited by every accepted connection)."""
    try:
        host, port = parse_address(address)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if family == socket.AF_INET6:
            ipaddress.IPv6Address(host)
        sock = socket.socket(family, socket.SOCK_STREAM)
    except ValueError as exc:
        raise AgentStartError(f"--{name}-address: {exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hop_limit is not None:
            if family == socket.AF_INET:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, hop_limit)
            else:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hop_limit)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise AgentStartError(f"cannot listen on {address} (--{name}-address): {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


@dataclass
class Listener:
    name: str
    sock: socket.socket
    app: App

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: one handler stops every listener (``serve``)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def serve(source: CredentialSource, refresher: Refresher, listeners: list[Listener],
          limits: ConnectionLimits | None = None) -> None:
    """Serve ``listeners`` until SIGTERM/SIGINT, the refresher polling ``source`` meanwhile."""
    protocol = limited_protocol(limits or ConnectionLimits(max_connections=256))
    servers = [_Server(uvicorn.Config(listener.app, http=protocol, loop="asyncio", lifespan="off", access_log=False,
                                      server_header=False, date_header=True, log_config=None,
                                      timeout_keep_alive=5))
               for listener in listeners]

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def stop() -> None:
            log.info("agent stopping")
            for server in servers:
                server.should_exit = True

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        await asyncio.gather(*(server.serve(sockets=[listener.sock])
                               for server, listener in zip(servers, listeners)))

    refresher.start()
    try:
        asyncio.run(main())
    finally:
        refresher.stop()
