"""The ``query`` protocol codec (IAM, STS): form parameters in, XML out.

A request is ``Action=…&Version=…&Name=value…`` in the form body (POST) or the query string (GET); the
operation is named by ``Action`` (AWS Query API: "Query requests"), looked up among the catalog's query
services, whose action names are disjoint (``ServiceCatalog`` refuses a clash). Errors are
``<ErrorResponse>`` documents in the service's XML namespace (IAM's before an operation is known).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rolegate.core.errors import AwsError, InvalidAction, MissingAction

from .codec import Decoded, WireRequest, WireResponse
from .form import decode_form
from .models import OperationRef, ServiceCatalog
from .query_parser import decode_query_input
from .query_serializer import serialize_error, serialize_result

__all__ = ["QueryCodec", "decode_action_form"]

# The namespace of errors answered before the operation (and so its service) is known.
_DEFAULT_NAMESPACE_SERVICE = "iam"


def decode_action_form(req: WireRequest) -> Decoded:
    """A form request named by its ``Action`` (the body of a POST, the query string of any request): the query
    protocol's and EC2's dialect's alike."""
    form = decode_form(req.body if req.method == "POST" else b"", req.raw_query)
    action = form.get("Action")
    if not action:
        raise MissingAction("The request must contain the parameter Action.")
    return Decoded(action, form, form)


class QueryCodec:
    protocol = "query"

    def __init__(self, catalog: ServiceCatalog) -> None:
        self._catalog = catalog
        self._namespaces = {name: model.metadata.get("xmlNamespace")
                            for name, model in catalog.services_by_protocol("query").items()}

    def decode(self, req: WireRequest) -> Decoded:
        return decode_action_form(req)

    def resolve(self, decoded: Decoded) -> OperationRef | None:
        return self._catalog.lookup_action(decoded.operation)

    def unknown_operation(self, decoded: Decoded) -> AwsError:
        return InvalidAction(f"Could not find operation {decoded.operation} for version "
                             f"{decoded.raw.get('Version', 'NO_VERSION_SPECIFIED')}")

    def read_input(self, ref: OperationRef, decoded: Decoded) -> dict[str, Any]:
        return decode_query_input(ref.operation, decoded.raw)

    def encode_result(self, ref: OperationRef, result: Mapping[str, Any] | None, request_id: str) -> WireResponse:
        return WireResponse(200, serialize_result(ref.service_name, ref.operation, result, request_id), request_id)

    def encode_error(self, err: AwsError, request_id: str, ref: OperationRef | None) -> WireResponse:
        namespace = self._namespaces.get(ref.service_name if ref is not None else _DEFAULT_NAMESPACE_SERVICE)
        status, body = serialize_error(err, request_id, namespace)
        return WireResponse(status, body, request_id)
