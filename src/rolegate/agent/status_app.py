"""The agent's status listener: ``GET /healthz`` (one line saying what is served) and ``GET /metrics``
(Prometheus text, ``rolegate.agent.metrics``). Like the server's metrics listener it has no authentication:
bind it to loopback or the monitoring network (docs/adr/0033-metrics-on-an-operator-listener.md)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST

from rolegate.core.clock import Clock

from .asgi import Receive, Request, Scope, Send, refuse_lifespan, respond
from .metrics import AgentMetrics
from .sources import CredentialSource

__all__ = ["StatusApp"]


class StatusApp:
    def __init__(self, source: CredentialSource, clock: Clock, metrics: AgentMetrics) -> None:
        self._source = source
        self._clock = clock
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await refuse_lifespan(scope, receive, send):
            return
        request = Request.of(scope)
        if request.method != "GET":
            status, body, kind = 405, "Method Not Allowed\n", "text/plain"
        elif request.path == "/healthz":
            status, body, kind = 200, self.health_line() + "\n", "text/plain"
        elif request.path == "/metrics":
            self._metrics.request("status", 200)  # counted before the exposition, so it includes itself
            await respond(send, 200, self._metrics.exposition(), CONTENT_TYPE_LATEST)
            return
        else:
            status, body, kind = 404, "Not Found\n", "text/plain"
        self._metrics.request("status", status)
        await respond(send, status, body, kind)

    def health_line(self) -> str:
        view = self._source.view()
        now = self._clock.now()
        creds = view.credentials_at(now)
        where = f"instance={view.instance_id} " if view.instance_id else ""
        if creds is None:
            return f"ok {where}role=none (no role credentials to serve)"
        left = int((creds.expiration - now).total_seconds())
        return f"ok {where}role={view.role_name} expires_in={left}s"
