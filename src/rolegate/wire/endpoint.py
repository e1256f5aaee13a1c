"""The query-protocol endpoint: one HTTP route for IAM and STS, routed on ``Action``.

Order of work for a request, each step able to answer with an AWS error and nothing changed:
size limit → form decoding → operation lookup → authentication → input parsing and validation by
the botocore shape → authorization (``authz``; the wire layer holds no rules) → handler → serialization by the output shape. An unexpected exception becomes a
``ServiceFailure`` (500) and is logged with its request id; no input should ever reach that path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from rolegate.auth.authenticate import Authenticator
from rolegate.auth.sigv4 import HttpRequest
from rolegate.authz import Authorizer, RequestMeta
from rolegate.core.errors import (
    AwsError,
    InvalidAction,
    MissingAction,
    RequestEntityTooLarge,
    ServiceFailure,
)
from rolegate.core.ids import new_request_id

from .form import decode_form
from .handlers import HANDLERS, HandlerContext, Services
from .models import ServiceCatalog
from .query_parser import parse_input
from .query_serializer import serialize_error, serialize_result

log = structlog.get_logger("rolegate.wire")

# Operations AWS serves without a signature (botocore marks them ``authtype: none`` / smithy noAuth).
UNSIGNED_OPERATIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
_DEFAULT_NAMESPACE_SERVICE = "iam"
# Reads that walk a whole account: run them in a thread so they don't hold up the event loop.
_HEAVY_READS = frozenset({"GetAccountAuthorizationDetails"})


@dataclass(frozen=True, slots=True)
class WireResponse:
    status: int
    body: bytes
    request_id: str
    content_type: str = "text/xml"


class QueryEndpoint:
    def __init__(self, catalog: ServiceCatalog, authenticator: Authenticator, services: Services,
                 *, max_body_bytes: int = 1_048_576, authorizer: Authorizer) -> None:
        self._catalog = catalog
        self._auth = authenticator
        self._authz = authorizer
        self._check = True  # False only to time the endpoint without the check (bench/authz_bench.py)
        self._services = services
        self._max_body = max_body_bytes
        self._namespaces = {name: model.metadata.get("xmlNamespace") for name, model in catalog.services.items()}

    def runs_inline(self, method: str, raw_query: str, body: bytes) -> bool:
        """Whether to run this request on the event loop rather than a worker thread.

        Reads take tens of microseconds of CPU: handing them to a thread costs more than they do, and
        threads contending for the GIL convoy under load. Writes wait on fsync, so they go to a thread.
        A request that cannot be decoded answers with an error at once, so it runs inline too.
        """
        if len(body) > self._max_body:
            return True
        try:
            action = decode_form(body if method == "POST" else b"", raw_query).get("Action", "")
        except AwsError:
            return True
        ref = self._catalog.lookup_action(action)
        return ref is None or ref.service_name == "sts" or (
            action.startswith(("Get", "List")) and action not in _HEAVY_READS)

    def handle(self, method: str, raw_path: str, raw_query: str, headers: Sequence[tuple[str, str]],
               body: bytes, *, client_ip: str | None = None, secure: bool = False) -> WireResponse:
        request_id = new_request_id()
        service_name = _DEFAULT_NAMESPACE_SERVICE
        try:
            if len(body) > self._max_body:
                raise RequestEntityTooLarge(f"Request body must be no larger than {self._max_body} bytes.")
            form = decode_form(body if method == "POST" else b"", raw_query)
            action = form.get("Action")
            if not action:
                raise MissingAction("The request must contain the parameter Action.")
            ref = self._catalog.lookup_action(action)
            handler = HANDLERS.get(action)
            if ref is None or handler is None:
                raise InvalidAction(f"Could not find operation {action} for version "
                                    f"{form.get('Version', 'NO_VERSION_SPECIFIED')}")
            service_name = ref.service_name
            req = HttpRequest(method=method, raw_path=raw_path, raw_query=raw_query, headers=headers, body=body,
                              client_ip=client_ip)
            snapshot = self._authz.snapshot()  # the request's one view of the invalidation generations
            caller = self._auth.authenticate(req, form, signature_required=action not in UNSIGNED_OPERATIONS,
                                             snapshot=snapshot)
            params = parse_input(ref.operation, form)
            request = self._authz.request(caller, request_id, RequestMeta(client_ip, _user_agent(headers), secure),
                                          snapshot=snapshot)
            if caller is not None and self._check:
                self._authz.authorize(caller, service_name, action, params, request)
            ctx = HandlerContext(self._services, caller, request_id, request.region, self._authz, request)
            result = handler(ctx, params) or {}
            out = serialize_result(service_name, ref.operation, result, request_id)
            return WireResponse(200, out, request_id)
        except AwsError as err:
            return self._error(err, request_id, service_name)
        except Exception:
            log.exception("unhandled error", request_id=request_id)
            return self._error(ServiceFailure("An internal error occurred."), request_id, service_name)

    def _error(self, err: AwsError, request_id: str, service_name: str) -> WireResponse:
        status, body = serialize_error(err, request_id, self._namespaces.get(service_name))
        return WireResponse(status, body, request_id)


def _user_agent(headers: Sequence[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "user-agent":
            return value
    return None
