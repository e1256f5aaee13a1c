"""The ASGI application: the AWS endpoint on ``/`` and every path the other routes leave (every protocol;
``rolegate.wire.routing``), health checks, and the ``--dev`` reset hook.

``/readyz`` is ready while the store answers reads and writes can succeed (not on a full disk), so a load
balancer stops sending traffic that could only fail, and sends it again when space returns. A client that
goes away before its body arrived is an INFO line, not an error: nothing failed on our side.
"""

from __future__ import annotations

import asyncio
import gc
import threading

import anyio.to_thread
import structlog
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from rolegate.auth.authenticate import Authenticator
from rolegate.auth.sigv4 import SigV4Verifier
from rolegate.auth.x509 import X509Verifier
from rolegate.core.clock import Clock
from rolegate.sts.keyring import KeyRing
from rolegate.obs.logging import configure_logging
from rolegate.wire.codec import WireRequest
from rolegate.wire.endpoint import Endpoint
from rolegate.wire.observe import Durable, Observer
from rolegate.wire.models import default_catalog
from rolegate.wire.service_access import ServiceAccessObserver

from rolegate.audit.drain import AuditDrain
from rolegate.store.engine import ConsumerLock

from .audit_recorder import AuditRecorder, open_audit
from .config import Settings, load_settings
from .limits import TLS_EXTENSION
from .request_metrics import RequestMetricsObserver
from .runtime import DEV_RESET, Runtime, ensure_dev_user, ensure_session_key, find_dev_user, open_runtime
from .workers import die_with_parent

log = structlog.get_logger("rolegate.server")


def authenticator_for(runtime: Runtime) -> Authenticator:
    """Request authentication over ``runtime``'s keys, session codec and caches, as its settings say."""
    settings = runtime.settings
    return Authenticator(runtime.services.access_keys,
                         SigV4Verifier(runtime.clock, max_skew_seconds=settings.max_clock_skew_seconds),
                         dev=settings.dev, default_account_id=settings.default_account_id,
                         sessions=runtime.services.sts.codec, cache=runtime.effective,
                         invalidation=runtime.store.invalidation,
                         dev_user=(lambda: find_dev_user(runtime)) if settings.dev else None,
                         default_partition=settings.default_account_partition,
                         instance_credentials=runtime.services.instances.credential_is_current)


def audit_drain(runtime: Runtime) -> AuditDrain:
    """The audit files' drainer of this process (it drains only while it holds the one drain lock)."""
    settings = runtime.settings
    lock = ConsumerLock(runtime.store.engine, settings.data_dir / "audit" / "drain.lock")
    trail = lambda: open_audit(settings, KeyRing(runtime.store, runtime.clock), runtime.clock)  # noqa: E731
    return AuditDrain(runtime.store, trail, lock, runtime.clock, runtime.bookkeeping,
                      retention_days=settings.audit_retention_days)


class _LoopWaker:
    """Wakes an event loop for records made durable on the audit writer's thread: one wake-up (a write to the
    loop's self-pipe) for all the futures completed together, not one per request."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._ready: list[asyncio.Future[None]] = []

    async def until_durable(self, durable: Durable) -> None:
        if durable.done:
            return
        future: asyncio.Future[None] = self._loop.create_future()
        durable.on_done(lambda: self._wake(future))
        await future

    def _wake(self, future: asyncio.Future[None]) -> None:  # on the writer's thread, or the loop's own (ADR 0046)
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            if not future.done():
                future.set_result(None)
            return
        with self._lock:
            first = not self._ready
            self._ready.append(future)
        if first:
            self._loop.call_soon_threadsafe(self._resolve)

    def _resolve(self) -> None:  # on the loop
        with self._lock:
            ready, self._ready = self._ready, []
        for future in ready:
            if not future.done():
                future.set_result(None)


def build_app(settings: Settings, clock: Clock | None = None) -> Starlette:
    runtime = open_runtime(settings, clock)
    authenticator = authenticator_for(runtime)
    observers: list[Observer] = [ServiceAccessObserver(runtime.service_access)]
    if settings.metrics_address is not None:
        # Metrics on: this process records (the listener is the serve process's, rolegate.obs.exposition).
        # Imported only then: prometheus-client reads PROMETHEUS_MULTIPROC_DIR when first imported.
        from rolegate.obs.metrics import recorder

        observers.append(RequestMetricsObserver(recorder()))
    drain = audit_drain(runtime) if settings.audit else None
    # The drain polls (every POLL_SECONDS): woken per record it would commit its mark once per request.
    audit = AuditRecorder(runtime.store, runtime.bookkeeping, runtime.clock) if drain is not None else None
    endpoint = Endpoint(default_catalog(), authenticator, runtime.services,
                        max_body_bytes=settings.max_body_bytes, authorizer=runtime.authorizer,
                        x509=X509Verifier(runtime.clock),
                        observers=observers, recorder=audit)

    wakers: dict[asyncio.AbstractEventLoop, _LoopWaker] = {}

    def _waker(loop: asyncio.AbstractEventLoop) -> _LoopWaker:
        found = wakers.get(loop)
        if found is None:
            found = wakers[loop] = _LoopWaker(loop)
        return found

    async def aws(request: Request) -> Response:
        scope = request.scope
        raw_path = scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        if not endpoint.serves_path(raw_path):
            return PlainTextResponse("Not Found", status_code=404)  # no AWS operation lives there
        # From its start to its record, a batch of records about to commit may wait for this request's (ADR 0045, 0046).
        with endpoint.expecting():
            try:
                body = await _read_body(request, settings.max_body_bytes)
            except ClientDisconnect:
                client = request.scope.get("client")
                log.info("client disconnected before its request body arrived",
                         client=client[0] if client else None)
                return Response(status_code=400)  # nobody reads it: the connection is gone
            raw_query = scope.get("query_string", b"").decode("latin-1")
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
            client = scope.get("client")
            tls = (scope.get("extensions") or {}).get(TLS_EXTENSION) or {}
            call = endpoint.begin(WireRequest(request.method, raw_path, raw_query, headers, body,
                                              client[0] if client else None, scope.get("scheme") == "https",
                                              tls.get("version"), tls.get("cipher")))
            inline = endpoint.runs_inline(call)
            durable = endpoint.settle(call) if inline else None
        if inline:
            if durable is not None:
                # The record's commit, shared with its neighbours' on the audit writer.
                await _waker(asyncio.get_running_loop()).until_durable(durable)
            res = endpoint.answer(call)
        else:
            res = await anyio.to_thread.run_sync(endpoint.finish, call)
        out = {"x-amzn-RequestId": res.request_id}
        if res.headers:
            out.update(res.headers)
        return Response(res.body, status_code=res.status, media_type=res.content_type, headers=out)

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        def ping() -> str | None:
            with runtime.store.read() as tx:
                tx.accounts.get(settings.default_account_id)
            return runtime.store.write_blocked()
        try:
            blocked = await anyio.to_thread.run_sync(ping)
        except Exception:
            return PlainTextResponse("store unavailable", status_code=503)
        if blocked is not None:
            return PlainTextResponse(f"writes cannot succeed: {blocked}", status_code=503)
        return PlainTextResponse("ready")

    routes = [
        Route("/", aws, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if settings.dev:
        async def reset(_: Request) -> Response:
            def wipe() -> None:
                # Everything goes but the default account's root key, so the printed exports keep working.
                accounts = runtime.services.accounts
                keys = accounts.root_keys(settings.default_account_id)
                runtime.store.reset()
                accounts.create_account(runtime.internal_request(DEV_RESET), settings.default_account_name,
                                        settings.default_account_id,
                                        root_access_key_id=keys[0].access_key_id if keys else None,
                                        root_secret_access_key=keys[0].secret_access_key if keys else None,
                                        partition=settings.default_account_partition)
                ensure_dev_user(runtime)
                ensure_session_key(runtime)
            await anyio.to_thread.run_sync(wipe)
            return PlainTextResponse("reset")
        routes.append(Route("/_rolegate/reset", reset, methods=["POST"]))
    # Every other path is the endpoint's too: rest-json operations live at their models' URI templates
    # (``/trustanchors``, ``/profile/{profileId}``; ADR 0029), and the router tells them from query requests.
    routes.append(Route("/{path:path}", aws, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]))
    def write_service_access() -> None:
        # Service last accessed data still held in memory is written before the store closes.
        try:
            runtime.service_access.flush()
        except Exception:
            log.warning("could not write service last accessed data at shutdown", exc_info=True)

    # The audit writer's queued issuance records first, then the bookkeeping writer's completions and buffered
    # records, so the drain's final pass hands them on too; the drain last before the store: it closes the trail,
    # whose last digests are signed with a key read from the key ring, so the store closes after it.
    app = Starlette(routes=routes, on_startup=[drain.start] if drain is not None else [],
                    on_shutdown=[write_service_access, *([audit.close] if audit is not None else []),
                                 runtime.bookkeeping.close,
                                 *([drain.close] if drain is not None else []), runtime.store.close])
    app.state.runtime = runtime
    app.state.endpoint = endpoint  # for in-process benchmarks (bench/authz_bench.py)
    return app


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, read only up to one byte past ``limit`` so an oversized request cannot fill memory."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            break
    return b"".join(chunks)


def app_from_environment() -> Starlette:
    """Factory for uvicorn workers: settings come from the environment the parent set."""
    die_with_parent()
    settings = load_settings()
    configure_logging(settings.log_level)
    app = build_app(settings)
    # Everything built at start (botocore models, compiled statements, …) lives as long as the process:
    # move it out of the collector's view, so a full collection scans only request garbage. Without this a
    # gen-2 pass over ~120k start-up objects stalls the worker ~50 ms, which is the p99 under load.
    gc.collect()
    gc.freeze()
    return app
