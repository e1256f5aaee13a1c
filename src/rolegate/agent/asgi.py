"""The little ASGI the agent's listeners share: a request's method, path and headers, and a plain response.

The listeners are raw ASGI callables, not Starlette routes: each answers a handful of fixed paths from memory, and
the IMDS path is the hot one every SDK call on the host may reach (bench/agent_bench.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["App", "Receive", "Request", "Scope", "Send", "refuse_lifespan", "respond"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class App(Protocol):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; a repeated header keeps its first value

    @classmethod
    def of(cls, scope: Scope) -> Request:
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", ()):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        return cls(scope["method"], scope["path"], headers)


async def respond(send: Send, status: int, body: str | bytes, content_type: str = "text/plain",
                  headers: tuple[tuple[str, str], ...] = ()) -> None:
    data = body.encode("utf-8") if isinstance(body, str) else body
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode("latin-1")),
                            (b"content-length", str(len(data)).encode("ascii")),
                            *((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers)]})
    await send({"type": "http.response.body", "body": data})


async def refuse_lifespan(scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer a non-HTTP scope (uvicorn runs with lifespan off; a websocket is not served). True if handled."""
    if scope["type"] == "http":
        return False
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
    return True
