"""The agent's IMDS listener: IMDSv2 token PUTs and token-checked GETs, answered by ``rolegate.metadata.imds``.

- ``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds`` (1–21600) → the token, with the TTL
  header echoed; a missing or out-of-range TTL → 400; a PUT carrying ``X-Forwarded-For`` → 403: "IMDSv2 will not
  issue session tokens to any requests with an X-Forwarded-For header" (AWS Security Blog, "Add defense in depth
  against open firewalls, reverse proxies, and SSRF vulnerabilities with enhancements to the EC2 Instance Metadata
  Service", https://aws.amazon.com/blogs/security/defense-in-depth-open-firewalls-reverse-proxies-ssrf-vulnerabilities-ec2-instance-metadata-service/),
  so a request relayed by a proxy on the host never gets one.
- ``GET`` needs a valid token (401 without or with an expired one) unless ``--imdsv1 on``; with v1 off, a GET
  without a token is 401, which is how IMDS "requires" v2 (reference §1).
- Any other method → 405.
"""

from __future__ import annotations

from rolegate.core.clock import Clock
from rolegate.metadata.imds import (TEXT, TOKEN_HEADER, TOKEN_TTL_HEADER, BadTokenRequest, SessionTokens, answer,
                                    parse_ttl)

from .asgi import Receive, Request, Scope, Send, refuse_lifespan, respond
from .metrics import AgentMetrics
from .sources import CredentialSource
from .state import IdentitySigner

__all__ = ["ImdsApp"]

_TOKEN_PATHS = frozenset({"/latest/api/token", "/latest/api/token/"})


class ImdsApp:
    def __init__(self, source: CredentialSource, clock: Clock, metrics: AgentMetrics, *, imdsv1: bool = False,
                 signer: IdentitySigner | None = None, tokens: SessionTokens | None = None) -> None:
        self._source = source
        self._clock = clock
        self._metrics = metrics
        self._imdsv1 = imdsv1
        self._signer = signer
        self._tokens = tokens or SessionTokens()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await refuse_lifespan(scope, receive, send):
            return
        request = Request.of(scope)
        status, body, headers = self._answer(request)
        self._metrics.request("imds", status)
        await respond(send, status, body, TEXT, headers)

    def _answer(self, request: Request) -> tuple[int, str, tuple[tuple[str, str], ...]]:
        now = self._clock.now()
        if request.path in _TOKEN_PATHS:
            if request.method != "PUT":
                return 405, "Method Not Allowed", ()
            if "x-forwarded-for" in request.headers:
                return 403, "Forbidden", ()
            try:
                ttl = parse_ttl(request.headers.get(TOKEN_TTL_HEADER))
            except BadTokenRequest as exc:
                return 400, f"Bad Request: {exc}", ()
            return 200, self._tokens.issue(now, ttl), ((TOKEN_TTL_HEADER, str(ttl)),)
        if request.method != "GET":
            return 405, "Method Not Allowed", ()
        token = request.headers.get(TOKEN_HEADER)
        if token is None and not self._imdsv1:
            return 401, "Unauthorized", ()
        if token is not None and not self._tokens.valid(token, now):
            return 401, "Unauthorized", ()
        got = answer(request.path, self._source.view(), now, self._signer.sign if self._signer else None)
        return got.status, got.body, ()
