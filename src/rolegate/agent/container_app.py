"""The agent's container credentials listener: ``GET /v1/credentials`` (EKS Pod Identity's path) with the token
of ``--container-token-file`` in ``Authorization``, answered by ``rolegate.metadata.container``.

The token file is re-read when it changes (its size or modification time), so an operator can rotate it without
restarting the agent, as botocore re-reads ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`` on every fetch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from rolegate.core.clock import Clock
from rolegate.core.redaction import remember
from rolegate.metadata.container import authorization_status, container_document, valid_token_file_content

from .asgi import Receive, Request, Scope, Send, refuse_lifespan, respond
from .metrics import AgentMetrics
from .sources import AgentStartError, CredentialSource

__all__ = ["CONTAINER_PATH", "ContainerApp"]

CONTAINER_PATH = "/v1/credentials"
_JSON = "application/json"


class ContainerApp:
    def __init__(self, source: CredentialSource, clock: Clock, metrics: AgentMetrics, token_file: Path) -> None:
        self._source = source
        self._clock = clock
        self._metrics = metrics
        self._token_file = token_file
        self._stamp: tuple[int, int] | None = None
        self._token = ""
        self._token_now()  # a bad file is a start-up error, not a 500 for every client

    def _token_now(self) -> str:
        try:
            st = os.stat(self._token_file)
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self._stamp:
                content = self._token_file.read_text()
                problem = valid_token_file_content(content)
                if problem is not None:
                    raise AgentStartError(f"{problem} ({self._token_file})")
                remember(content)
                self._token, self._stamp = content, stamp
        except OSError as exc:
            raise AgentStartError(f"cannot read the container token file: {exc.strerror or exc}") from None
        return self._token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await refuse_lifespan(scope, receive, send):
            return
        request = Request.of(scope)
        status, body = self._answer(request)
        self._metrics.request("container", status)
        await respond(send, status, body, _JSON)

    def _answer(self, request: Request) -> tuple[int, str]:
        if request.path.rstrip("/") != CONTAINER_PATH:
            return 404, _error("NotFound", "The path is not served: use /v1/credentials.")
        if request.method != "GET":
            return 405, _error("MethodNotAllowed", "Use GET.")
        try:
            expected = self._token_now()
        except AgentStartError:
            expected = self._token  # the file went bad after start: keep the last good token
        refused = authorization_status(request.headers.get("authorization"), expected)
        if refused == 401:
            return 401, _error("Unauthorized", "The request carries no Authorization token.")
        if refused == 403:
            return 403, _error("Forbidden", "The Authorization token is not this agent's.")
        view = self._source.view()
        creds = view.credentials_at(self._clock.now())
        if creds is None:
            return 404, _error("NoCredentials", "The agent has no role credentials to serve.")
        return 200, container_document(creds, view.account_id, view.role_arn)


def _error(code: str, message: str) -> str:
    return json.dumps({"code": code, "message": message})
