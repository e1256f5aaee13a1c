"""The AWS endpoint: one HTTP route for every served service, a request passing an explicit list of stages.

decode (the routed codec reads the request) → resolve (the dispatch table entry for (service,
operation)) → authenticate (SigV4; for an X.509-signed operation, the certificate's signature) → validate
(the shared shape validator) → authorize (``rolegate.authz``; the wire layer holds no rules) → handle → encode (the same codec writes the result). Each stage may
answer with an AWS error, and nothing is changed before handle. An unexpected exception becomes a
``ServiceFailure`` (500) and is logged as one line with its request id (the traceback only at debug; see
``rolegate.obs.logging``); no input should ever reach that path. A server-side AWS error (5xx, e.g. the
store's ``ServiceUnavailable`` on a full disk) is logged likewise, with the reason the client is not told.
Every stage runs inside the request's secret scope (``rolegate.core.redaction``), so whatever a stage logs
is redacted of the secrets the request has carried so far, and with the request id bound to the log context
(``structlog.contextvars``), so every line logged for the request — by a stage, a domain service or an
observer, on whichever thread — carries the ``request_id`` the client sees in ``x-amzn-RequestId``.

``begin`` runs decode and resolve, which are cheap and change nothing, so the ASGI glue can ask
``runs_inline`` with the decoded request before ``finish`` runs the rest, on the event loop or in a
worker thread: the request is decoded once. Observers (``rolegate.wire.observe``) are called at the
start, after resolve, after authenticate and at completion.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext

import structlog
from structlog.contextvars import bound_contextvars

from rolegate.auth.authenticate import Authenticator
from rolegate.authz import Authorizer, RequestMeta
from rolegate.auth.sigv4 import HttpRequest
from rolegate.auth.x509 import X509Verifier
from rolegate.core.clock import SystemClock
from rolegate.core.errors import AwsError, RequestEntityTooLarge, ServiceFailure
from rolegate.core.ids import new_request_id
from rolegate.core.redaction import request_scope
from rolegate.store.ports import run_retrying

from .call import Call
from .codec import WireRequest, WireResponse
from .dispatch import DispatchTable
from .handlers import HANDLERS, INLINE_WHEN, Handler, HandlerContext, InlineWhen, OperationKey, Services
from .models import ServiceCatalog
from .observe import Durable, Observer, Outcome, Recorder
from .routing import Router
from .validator import validate

__all__ = ["Endpoint", "WireResponse"]

log = structlog.get_logger("rolegate.wire")
_debug = logging.getLogger("rolegate.wire")  # asked before building a debug line: the check is cached

_Stage = Callable[["Endpoint", Call], None]


class Endpoint:
    def __init__(self, catalog: ServiceCatalog, authenticator: Authenticator, services: Services, *,
                 max_body_bytes: int = 1_048_576, authorizer: Authorizer,
                 observers: Sequence[Observer] = (), recorder: Recorder | None = None,
                 handlers: Mapping[OperationKey, Handler] = HANDLERS,
                 inline_when: Mapping[OperationKey, InlineWhen] = INLINE_WHEN,
                 x509: X509Verifier | None = None) -> None:
        self._router = Router(catalog, encode_message=services.authorization_messages.encode)
        self._table = DispatchTable(catalog, handlers)
        self._inline_when = inline_when
        self._auth = authenticator
        self._x509 = x509 or X509Verifier(SystemClock())
        self._authz = authorizer
        self._check = True  # False only to time the endpoint without the check (bench/authz_bench.py)
        self._services = services
        self._max_body = max_body_bytes
        self._observers = tuple(observers)
        self._recorder = recorder

    # --- the stages, in order ------------------------------------------------------------------------

    def _decode(self, call: Call) -> None:
        call.codec = codec = self._router.codec_for(call.request)
        if len(call.request.body) > self._max_body:
            raise RequestEntityTooLarge(f"Request body must be no larger than {self._max_body} bytes.")
        call.decoded = codec.decode(call.request)

    def _resolve(self, call: Call) -> None:
        assert call.codec is not None and call.decoded is not None
        ref = call.codec.resolve(call.decoded)
        op = self._table.get(ref) if ref is not None else None
        if op is None:
            raise call.codec.unknown_operation(call.decoded)
        call.operation = op
        for observer in self._observers:
            observer.resolved(call)

    def _authenticate(self, call: Call) -> None:
        assert call.operation is not None and call.decoded is not None
        req = call.request
        http = HttpRequest(method=req.method, raw_path=req.raw_path, raw_query=req.raw_query, headers=req.headers,
                           body=req.body, client_ip=req.client_ip)
        # The request's one view of the invalidation generations: authentication and authorization both
        # decide against it, so the request reads each scope at most once.
        call.snapshot = self._authz.snapshot()
        if call.operation.x509_signed:
            # No access key: the certificate's key signed it, and the operation decides what that grants.
            call.x509 = self._x509.verify(http)
            for observer in self._observers:
                observer.authenticated(call)
            return
        call.caller = self._auth.authenticate(http, call.decoded.auth_params,
                                              signature_required=call.operation.signature_required,
                                              snapshot=call.snapshot)
        for observer in self._observers:
            observer.authenticated(call)

    def _validate(self, call: Call) -> None:
        assert call.codec is not None and call.operation is not None and call.decoded is not None
        params = call.codec.read_input(call.operation.ref, call.decoded)
        validate(call.operation.ref.operation, params)
        call.params = params

    def _authorize(self, call: Call) -> None:
        assert call.operation is not None and call.params is not None
        req = call.request
        call.context = context = self._authz.request(
            call.caller, call.request_id, RequestMeta(req.client_ip, req.header("user-agent"), req.secure),
            snapshot=call.snapshot)
        if call.caller is not None and self._check:
            self._authz.authorize(call.caller, call.operation.service, call.operation.name, call.params, context)

    def _handle(self, call: Call) -> None:
        assert call.operation is not None and call.params is not None and call.context is not None
        ctx = HandlerContext(self._services, call.caller, call.request_id, call.context.region, self._authz,
                             call.context, call.x509)
        operation, params = call.operation, call.params
        # The recorder's request half rides in the handler's writes (docs/adr/0041); a handler whose write hit a
        # serialization failure or deadlock on PostgreSQL runs again while it has committed nothing
        # (docs/adr/0035-postgresql-isolation-and-retries.md), and the record with it.
        with self._recorder.handling(call) if self._recorder is not None else nullcontext():
            call.result = run_retrying(lambda: operation.handler(ctx, params)) or {}

    def _encode(self, call: Call) -> None:
        assert call.codec is not None and call.operation is not None
        call.response = call.codec.encode_result(call.operation.ref, call.result, call.request_id)

    #: Run by ``begin``: they read the request and change nothing.
    BEGIN: tuple[_Stage, ...] = (_decode, _resolve)
    #: Run by ``finish``.
    FINISH: tuple[_Stage, ...] = (_authenticate, _validate, _authorize, _handle, _encode)

    # --- driving the stages --------------------------------------------------------------------------

    def begin(self, request: WireRequest) -> Call:
        """The request decoded and its operation resolved, or the error that stopped it (in ``call.error``)."""
        call = Call(new_request_id(), request)
        with bound_contextvars(request_id=call.request_id):
            for observer in self._observers:
                observer.started(call)
            self._run(call, self.BEGIN)
        return call

    def serves_path(self, raw_path: str) -> bool:
        """Whether requests to ``raw_path`` are AWS requests this endpoint answers (others are the app's 404)."""
        return self._router.claims_path(raw_path)

    def expecting(self) -> AbstractContextManager[None]:
        """Entered by an event loop around ``begin`` … ``settle`` of a request it handles itself: the audit
        writer's next batch may wait for this request's record rather than commit without it."""
        return self._recorder.expecting() if self._recorder is not None else nullcontext()

    def runs_inline(self, call: Call) -> bool:
        """Whether to run ``settle`` on the event loop rather than ``finish`` in a worker thread.

        Reads take tens of microseconds of CPU: handing them to a thread costs more than they do, and
        threads contending for the GIL convoy under load. Writes wait on fsync, so they go to a thread.
        A request that could not be decoded or resolved answers with an error at once, so it runs inline.
        An STS call with an MFA code writes the code's time step before it answers (no code works twice), so
        it goes to a thread like any other write. An operation that runs inline still does when its record
        must be durable first (a credential issuance with the audit on): the loop hands the record over and
        awaits it (``settle``), it does not wait on a commit itself.
        """
        if call.operation is None or call.decoded is None:
            return True
        raw = call.decoded.raw
        has_code = "TokenCode" in call.decoded.auth_params or (isinstance(raw, dict) and "TokenCode" in raw)
        if has_code:
            return False
        if call.operation.runs_inline:
            return True
        # A threaded operation the domain can answer without waiting (AssumeRoleWithWebIdentity with its
        # provider's keys cached) runs inline too.
        predicate = self._inline_when.get((call.operation.service, call.operation.name))
        return predicate is not None and isinstance(raw, dict) and predicate(self._services, raw)

    def finish(self, call: Call) -> WireResponse:
        """The rest of the stages and the response, waiting (blocking) for the record the response needs
        durable; observers hear ``completed`` with the outcome."""
        durable = self.settle(call)
        if durable is not None:
            try:
                durable.wait()
            except Exception:
                pass  # the response says so: ``answer`` reads the error
        return self.answer(call)

    def settle(self, call: Call) -> Durable | None:
        """The rest of the stages, and the request's record handed to the recorder: what must be durable
        before ``answer`` may be called (None: nothing), for a caller that cannot block to wait on."""
        with bound_contextvars(request_id=call.request_id):
            if call.error is None and call.response is None:
                self._run(call, self.FINISH)
            assert call.response is not None
            if self._recorder is not None:
                call.durable = self._record(call, self._outcome(call))
        durable: Durable | None = call.durable
        return durable

    def answer(self, call: Call) -> WireResponse:
        """The response, once what ``settle`` returned is done: a success whose record could not be kept
        is answered with the recorder's error."""
        with bound_contextvars(request_id=call.request_id):
            durable: Durable | None = call.durable
            if durable is not None:
                assert durable.done, "answer before the record is durable"
                if durable.error is not None:
                    self._record_failed(call, durable.error)
            outcome = self._outcome(call)
            for observer in self._observers:
                observer.completed(call, outcome)
            if _debug.isEnabledFor(logging.DEBUG):  # one line per request, at debug only (docs/operations.md)
                log.debug("request answered", operation=_operation_name(call), status=outcome.status,
                          code=outcome.error_code, ms=round((time.perf_counter() - call.arrived) * 1000, 3))
        assert call.response is not None
        return call.response

    @staticmethod
    def _outcome(call: Call) -> Outcome:
        assert call.response is not None
        return Outcome(call.response.status, call.error.code if call.error is not None else None)

    def _record(self, call: Call, outcome: Outcome) -> Durable | None:
        """The audit stage: the record handed over; its failure answers a success with the recorder's error."""
        assert self._recorder is not None and call.response is not None
        with request_scope(call.secrets):
            try:
                return self._recorder.record(call, outcome)
            except BaseException as exc:
                self._record_failed(call, exc)
                return None

    def _record_failed(self, call: Call, exc: BaseException) -> None:
        if not isinstance(exc, Exception):
            raise exc
        with request_scope(call.secrets):
            if isinstance(exc, AwsError):
                log.error("request failed", request_id=call.request_id, code=exc.code,
                          reason=getattr(exc, "reason", exc.message), operation=_operation_name(call))
                if call.error is None:
                    self._fail(call, exc)
            else:
                log.error("audit recorder failed", request_id=call.request_id, operation=_operation_name(call),
                          exc_info=exc)
                if call.error is None:
                    self._fail(call, ServiceFailure("An internal error occurred."))

    def handle(self, method: str, raw_path: str, raw_query: str, headers: Sequence[tuple[str, str]], body: bytes,
               *, client_ip: str | None = None, secure: bool = False) -> WireResponse:
        """``begin`` and ``finish`` in one call (in-process callers: tests, benchmarks)."""
        return self.finish(self.begin(WireRequest(method, raw_path, raw_query, headers, body, client_ip, secure)))

    def _run(self, call: Call, stages: tuple[_Stage, ...]) -> None:
        with request_scope(call.secrets):
            try:
                for stage in stages:
                    stage(self, call)
            except AwsError as err:
                if err.status >= 500:
                    log.error("request failed", code=err.code,
                              reason=getattr(err, "reason", err.message), operation=_operation_name(call))
                self._fail(call, err)
            except Exception:
                log.exception("unhandled error", operation=_operation_name(call))
                self._fail(call, ServiceFailure("An internal error occurred."))

    def _fail(self, call: Call, err: AwsError) -> None:
        call.error = err
        codec = call.codec or self._router.codec_for(call.request)
        call.response = codec.encode_error(err, call.request_id, call.operation.ref if call.operation is not None else None)


def _operation_name(call: Call) -> str | None:
    return f"{call.operation.service}:{call.operation.name}" if call.operation is not None else None
