"""The ``rest-json`` protocol codec: method and path name the operation; members bound to path, query, headers, body.

What botocore's ``RestJSONSerializer`` writes, read back (and what Smithy's restJson1 protocol specifies):
the operation is found by HTTP method and ``requestUri`` template (``wire/rest_routes.py``); a member with
``location: uri`` comes from a path label, ``querystring`` from the query string (a list from repeated
keys, a map from the parameters no other member takes), ``header`` from a header (lists comma-separated,
timestamps as HTTP dates unless the shape says otherwise, ``jsonvalue`` strings base64 JSON), ``headers``
from every header with the member's prefix; the other members are the JSON body (read by
``json_input``, the awsJson reader, which skips bound members), or the raw body when the input names a
``payload`` member. Values that cannot be read as their type become ``validator.Invalid``, so the shared
validator reports them with every other constraint.

A response has the status the model gives the operation (``responseCode``: 201 for the Create… calls of
Roles Anywhere), the output's ``header`` members as headers, and the rest as the JSON body
(``json_output``, which writes timestamps as the shape's ``timestampFormat`` says, epoch seconds by
default). An error is its code in the ``x-amzn-ErrorType`` header and ``{"message": …}`` as the body,
which botocore's ``RestJSONParser`` reads. rest-json services spell the shared errors with an
``Exception`` suffix (the Roles Anywhere model's ``ValidationException``, ``AccessDeniedException``), so
the codes raised by the shared stages are answered in that spelling (``_REST_CODES``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape

from rolegate.core.errors import AwsError, ClientError

from .codec import Decoded, WireRequest, WireResponse
from .json_input import decode_json_input, decode_json_payload
from .json_output import serialize_json_result, serialize_json_value
from .models import OperationRef, ServiceCatalog
from .rest_routes import RestRoutes, RouteMatch, parse_query
from .scalars import ConversionError, to_bool, to_float, to_int, to_timestamp
from .validator import Invalid

__all__ = ["RestJsonCodec"]

_CONTENT_TYPE = "application/json"

#: The shared stages' error codes (query-protocol spelling) as rest-json services answer them. The
#: Roles Anywhere model's errors: ValidationException (400), AccessDeniedException (403),
#: ResourceNotFoundException (404); the authentication codes are those AWS's JSON services send
#: (https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/CommonErrors.html).
_REST_CODES = {
    "ValidationError": "ValidationException",
    "AccessDenied": "AccessDeniedException",
    "MissingAuthenticationToken": "MissingAuthenticationTokenException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "IncompleteSignature": "IncompleteSignatureException",
    "ExpiredToken": "ExpiredTokenException",
    "ServiceUnavailable": "ServiceUnavailableException",
    "ServiceFailure": "InternalFailure",
}


@dataclass(frozen=True, slots=True)
class RestRequest:
    """A rest request matched to its route (or ``None`` when no route of its method lives at its path)."""

    match: RouteMatch | None
    query: list[tuple[str, str]]
    headers: Mapping[str, str]
    body: bytes


class RestJsonCodec:
    protocol = "rest-json"

    def __init__(self, catalog: ServiceCatalog) -> None:
        services = catalog.services_by_protocol("rest-json")
        self._routes = RestRoutes(ref for (service, _), ref in catalog.operations.items() if service in services)

    def claims_path(self, raw_path: str) -> bool:
        """Whether ``raw_path`` is one a rest-json operation lives at (ADR 0012, rule 2; ADR 0029)."""
        return self._routes.claims(raw_path)

    def decode(self, req: WireRequest) -> Decoded:
        query = parse_query(req.raw_query)
        match = self._routes.find(req.method, req.raw_path, query)
        headers: dict[str, str] = {}
        for key, value in req.headers:
            key = key.lower()
            # Repeated headers are one comma-joined list (RFC 9110 §5.3).
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        name = match.route.ref.name if match is not None else f"{req.method} {req.raw_path}"
        # Query parameters take part in SigV4 (presigned requests carry X-Amz-Signature there).
        return Decoded(name, RestRequest(match, query, headers, req.body), dict(query))

    def resolve(self, decoded: Decoded) -> OperationRef | None:
        raw = decoded.raw
        return raw.match.route.ref if isinstance(raw, RestRequest) and raw.match is not None else None

    def unknown_operation(self, decoded: Decoded) -> AwsError:
        # rolegate's choice: AWS's rest services answer an unrouted request from their front door, whose
        # wording is not documented; this names what was asked for.
        return ClientError(f"No operation is served at {decoded.operation}.", code="UnknownOperationException",
                           status=404)

    def read_input(self, ref: OperationRef, decoded: Decoded) -> dict[str, Any]:
        raw = decoded.raw
        assert isinstance(raw, RestRequest) and raw.match is not None
        shape = ref.operation.input_shape
        if shape is None:
            return {}
        payload = shape.serialization.get("payload")
        out: dict[str, Any] = {}
        if payload is not None:
            member = shape.members[payload]
            if member.type_name in ("blob", "string"):
                if raw.body:
                    out[payload] = raw.body if member.type_name == "blob" else raw.body.decode("utf-8", "replace")
            elif raw.body.strip():
                out[payload] = decode_json_payload(ref.operation, _document(raw.body, object_only=False))
        elif any(not m.serialization.get("location") for m in shape.members.values()):
            out.update(decode_json_input(ref.operation, _document(raw.body, object_only=True)))
        taken = {m.serialization.get("name") or n for n, m in shape.members.items()
                 if m.serialization.get("location") == "querystring" and m.type_name != "map"}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name") or name
            if location == "uri":
                if wire in raw.match.labels:
                    out[name] = _read_text(member, raw.match.labels[wire])
            elif location == "querystring":
                value = _query_value(member, wire, raw.query, taken)
                if value is not None:
                    out[name] = value
            elif location == "header":
                text = raw.headers.get(wire.lower())
                if text is not None:
                    out[name] = _header_value(member, text)
            elif location == "headers":
                prefix = wire.lower()
                found = {k[len(prefix):]: v for k, v in raw.headers.items() if k.startswith(prefix)}
                if found:
                    out[name] = found
        return out

    def encode_result(self, ref: OperationRef, result: Mapping[str, Any] | None, request_id: str) -> WireResponse:
        status = int(ref.operation.http.get("responseCode", 200))
        shape = ref.operation.output_shape
        body_result: dict[str, Any] = dict(result or {})
        headers: list[tuple[str, str]] = []
        if shape is not None:
            for name, member in shape.members.items():
                location = member.serialization.get("location")
                if not location or name not in body_result:
                    continue
                value = body_result.pop(name)
                if value is None:
                    continue
                if location == "statusCode":
                    status = int(value)
                elif location == "header":
                    headers.append((member.serialization.get("name") or name, _header_text(member, value)))
                elif location == "headers":
                    prefix = member.serialization.get("name") or name
                    headers.extend((prefix + k, str(v)) for k, v in value.items())
            payload = shape.serialization.get("payload")
            if payload is not None:
                value = body_result.pop(payload, None)
                member = shape.members[payload]
                if member.type_name == "blob":
                    body = bytes(value or b"")
                elif member.type_name == "string":
                    body = (value or "").encode("utf-8")
                else:
                    body = serialize_json_value(ref.operation, member, value) if value is not None else b"{}"
                if body_result:
                    raise TypeError(f"{ref.name} returned members outside its payload: {sorted(body_result)}")
                return WireResponse(status, body, request_id, _CONTENT_TYPE, tuple(headers))
        return WireResponse(status, serialize_json_result(ref.operation, body_result), request_id, _CONTENT_TYPE,
                            tuple(headers))

    def encode_error(self, err: AwsError, request_id: str, ref: OperationRef | None) -> WireResponse:
        code = _REST_CODES.get(err.code, err.code)
        body = json.dumps({"message": err.message}).encode("utf-8")
        return WireResponse(err.status, body, request_id, _CONTENT_TYPE, (("x-amzn-ErrorType", code),))


def _document(body: bytes, *, object_only: bool) -> Any:
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ClientError("The request body is not valid JSON.", code="SerializationException") from None
    if object_only and not isinstance(document, dict):
        raise ClientError("The request body must be a JSON object.", code="SerializationException")
    return document


_Text = Callable[[str], Any]


def _scalar_reader(shape: Shape, default_timestamp: str) -> _Text:
    kind = shape.type_name
    if kind == "string":
        return str
    if kind in ("integer", "long"):
        return to_int(kind)
    if kind in ("float", "double"):
        return to_float
    if kind == "boolean":
        return to_bool
    if kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat") or default_timestamp
        if fmt == "rfc822":
            return _from_http_date
        return to_timestamp("unixTimestamp" if fmt == "unixTimestamp" else None)
    if kind == "blob":
        return lambda text: base64.b64decode(text, validate=True)
    raise NotImplementedError(f"rest-json text of shape type {kind!r} ({shape.name})")


def _convert(shape: Shape, text: str, default_timestamp: str) -> Any:
    try:
        return _scalar_reader(shape, default_timestamp)(text)
    except (ConversionError, binascii.Error, ValueError) as exc:
        return Invalid(text, str(exc) if isinstance(exc, ConversionError) else "Member must be base64-encoded")


def _read_text(shape: Shape, text: str) -> Any:
    # Path and query timestamps are ISO 8601 (date-time) unless the shape says otherwise (Smithy restJson1).
    return _convert(shape, text, "iso8601")


def _query_value(member: Shape, wire: str, query: list[tuple[str, str]], taken: set[str]) -> Any:
    if isinstance(member, MapShape):
        found: dict[str, Any] = {}
        for key, value in query:
            if key in taken:
                continue
            if isinstance(member.value, ListShape):
                found.setdefault(key, []).append(_read_text(member.value.member, value))
            else:
                found.setdefault(key, _read_text(member.value, value))
        return found or None
    values = [value for key, value in query if key == wire]
    if not values:
        return None
    if isinstance(member, ListShape):
        return [_read_text(member.member, v) for v in values]
    return _read_text(member, values[0])


def _header_value(member: Shape, text: str) -> Any:
    if isinstance(member, ListShape):
        return [_convert(member.member, item.strip(), "rfc822") for item in _split_header_list(member.member, text)]
    if member.type_name == "string" and member.serialization.get("jsonvalue"):
        try:
            return json.loads(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            return Invalid(text, "Member must be base64-encoded JSON")
    return _convert(member, text.strip(), "rfc822")


def _split_header_list(item: Shape, text: str) -> list[str]:
    # An HTTP date holds a comma ("Tue, 29 Apr 2014 18:30:38 GMT"): such lists split on every second comma.
    parts = text.split(",")
    fmt = item.serialization.get("timestampFormat") or "rfc822"
    if item.type_name == "timestamp" and fmt == "rfc822":
        return [",".join(parts[i:i + 2]) for i in range(0, len(parts), 2)]
    return parts


def _from_http_date(text: str) -> datetime:
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise ConversionError("Member must be an HTTP date") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _header_text(member: Shape, value: Any) -> str:
    if isinstance(member, ListShape):
        return ",".join(_header_text(member.member, v) for v in value)
    kind = member.type_name
    if kind == "timestamp":
        fmt = member.serialization.get("timestampFormat") or "rfc822"
        stamp = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if fmt == "rfc822":
            return format_datetime(stamp.astimezone(timezone.utc), usegmt=True)
        if fmt == "unixTimestamp":
            return repr(stamp.timestamp())
        return stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "string" and member.serialization.get("jsonvalue"):
        return base64.b64encode(json.dumps(value).encode("utf-8")).decode("ascii")
    return str(value)
