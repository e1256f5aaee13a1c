"""The ``json`` protocol codec (awsJson 1.0 and 1.1): ``X-Amz-Target`` names the operation, JSON both ways.

A request is a POST whose ``X-Amz-Target`` header is ``{targetPrefix}.{Operation}`` and whose body is the
input document, sent with ``Content-Type: application/x-amz-json-1.0`` (or ``1.1``, the model's
``jsonVersion``), as botocore's ``JSONSerializer`` writes it. A response carries the output document with
the same content type. An error is ``{"__type": code, "message": text}`` with the code in the
``x-amzn-ErrorType`` header as well; botocore's ``BaseJSONParser`` reads ``__type`` (dropping any
``namespace#`` prefix) and ``message``. An unknown target is ``UnknownOperationException`` and a body
that is not a JSON object ``SerializationException``, the codes AWS's JSON services answer with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rolegate.core.errors import AwsError, ClientError

from .codec import Decoded, WireRequest, WireResponse
from .json_input import decode_json_input
from .json_output import serialize_json_result
from .models import OperationRef, ServiceCatalog

__all__ = ["JsonCodec", "TARGET_HEADER"]

TARGET_HEADER = "x-amz-target"
_NO_PARAMS: Mapping[str, str] = {}


class JsonCodec:
    protocol = "json"

    def __init__(self, catalog: ServiceCatalog) -> None:
        self._catalog = catalog
        self._content_types = {name: f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
                               for name, model in catalog.services_by_protocol("json").items()}

    def decode(self, req: WireRequest) -> Decoded:
        target = req.header(TARGET_HEADER) or ""
        if req.method != "POST":
            raise ClientError("awsJson requests are POSTs.", code="UnknownOperationException")
        if not req.body.strip():
            document: Any = {}
        else:
            try:
                document = json.loads(req.body)
            except (ValueError, UnicodeDecodeError):
                raise ClientError("The request body is not valid JSON.", code="SerializationException") from None
        if not isinstance(document, dict):
            raise ClientError("The request body must be a JSON object.", code="SerializationException")
        return Decoded(target, document, _NO_PARAMS)

    def resolve(self, decoded: Decoded) -> OperationRef | None:
        return self._catalog.lookup_target(decoded.operation)

    def unknown_operation(self, decoded: Decoded) -> AwsError:
        return ClientError(f"Operation {decoded.operation or '(none)'} is not supported.",
                           code="UnknownOperationException")

    def read_input(self, ref: OperationRef, decoded: Decoded) -> dict[str, Any]:
        return decode_json_input(ref.operation, decoded.raw)

    def encode_result(self, ref: OperationRef, result: Mapping[str, Any] | None, request_id: str) -> WireResponse:
        return WireResponse(200, serialize_json_result(ref.operation, result), request_id,
                            self._content_types[ref.service_name])

    def encode_error(self, err: AwsError, request_id: str, ref: OperationRef | None) -> WireResponse:
        body = json.dumps({"__type": err.code, "message": err.message}).encode("utf-8")
        content_type = self._content_types.get(ref.service_name if ref is not None else "", "application/x-amz-json-1.0")
        return WireResponse(err.status, body, request_id, content_type, (("x-amzn-ErrorType", err.code),))
