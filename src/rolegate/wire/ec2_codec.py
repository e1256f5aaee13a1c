"""The ``ec2`` protocol codec (EC2's query dialect): form parameters in, EC2's own XML out (ADR 0039).

A request is form-encoded like AWS Query — ``Action=…&Version=…`` and the operation's parameters, in the
body (POST) or the query string (GET) — but written by botocore's ``EC2Serializer``: a member is named by its
``queryName``, else its ``locationName`` capitalised, and lists are ``Name.N`` (``query_parser.decode_ec2_input``).
The router sends a form request here when its SigV4 scope's service is ``ec2`` (ADR 0012, rule 3), so
``Action`` is looked up among the ec2-protocol operations only. A required member that is absent is EC2's
``MissingParameter`` ("The request must contain the parameter X"), a parameter the input shape lacks its
``UnknownParameter``; the other constraints go to the shared validator.

A response is ``<{Op}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>…</requestId>…``
with the output members straight under the root by their ``locationName`` (no result wrapper, no
``ResponseMetadata``) and lists as ``<…Set><item>…</item></…Set>`` (the model's list member name), which is
what botocore's ``EC2QueryParser`` reads: it takes ``requestId`` from the root.

An error is ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`` (note
``RequestID``; botocore's ``EC2QueryParser._do_error_parse``). The shared stages' errors are answered with
EC2's codes ("Error codes for the Amazon EC2 API",
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html): an unknown access key or a
bad signature is ``AuthFailure``, a denial ``UnauthorizedOperation`` — "You are not authorized to perform
this operation." followed by the denial and, for operations that change something, an encoded
authorization failure message that ``sts:DecodeAuthorizationMessage`` reads (STS API reference,
DecodeAuthorizationMessage: such a request "returns a Client.UnauthorizedOperation response (an HTTP 403
response)"). Server errors are ``InternalError`` (500) and ``Unavailable`` (503, retried by the SDKs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import OperationModel

from rolegate.core.errors import AwsError, ClientError, InvalidParameterValue

from .codec import Decoded, WireRequest, WireResponse
from .models import OperationRef, ServiceCatalog
from .per_operation import PerOperation
from .query_codec import decode_action_form
from .query_parser import decode_ec2_input, ec2_wire_name
from .query_serializer import WriterBuilder, escape_text

__all__ = ["Ec2Codec", "MessageEncoder"]

#: Seals a denial's details into an encoded authorization failure message (``sts.messages``).
MessageEncoder = Callable[[Mapping[str, Any]], str]

_AUTH_FAILURE = "AWS was not able to validate the provided access credentials"
_UNAUTHORIZED = "You are not authorized to perform this operation."
# The shared stages' codes as EC2 spells them: (code, status, message or None to keep the stage's own).
_EC2_ERRORS: dict[str, tuple[str, int, str | None]] = {
    "InvalidClientTokenId": ("AuthFailure", 401, _AUTH_FAILURE),
    "SignatureDoesNotMatch": ("AuthFailure", 401, _AUTH_FAILURE),
    "ServiceFailure": ("InternalError", 500, "An internal error has occurred."),
    "InternalFailure": ("InternalError", 500, "An internal error has occurred."),
    "ServiceUnavailable": ("Unavailable", 503, "The server is overloaded and can't handle the request."),
}


def _ec2_error(err: AwsError) -> AwsError:
    """``err`` with EC2's code, status and wording where EC2 names the same failure differently."""
    found = _EC2_ERRORS.get(err.code)
    if found is None:
        return err
    code, status, message = found
    return AwsError(message or err.message, code=code, status=status)


def _required_wire_names(op: OperationModel) -> tuple[tuple[str, str], ...]:
    shape = op.input_shape
    if shape is None:
        return ()
    return tuple((name, ec2_wire_name(shape.members[name], name)) for name in shape.required_members)


class _Envelope:
    """One operation's response pieces, built once: the head up to the request id, the member writer, the tail."""

    __slots__ = ("head", "body", "tail", "required")

    def __init__(self, builder: WriterBuilder, op: OperationModel) -> None:
        namespace = str(op.service_model.metadata.get("xmlNamespace", "")).rstrip("/")
        # EC2 answers with the namespace's trailing slash (".../doc/2016-11-15/"); the model omits it.
        xmlns = f' xmlns="{escape_text(namespace)}/"' if namespace else ""
        self.head = f"<{op.name}Response{xmlns}><requestId>"
        self.body = builder.writer(op.output_shape) if op.output_shape is not None else None
        self.tail = f"</{op.name}Response>"
        self.required = _required_wire_names(op)


_envelopes: PerOperation[WriterBuilder, _Envelope] = PerOperation(WriterBuilder, _Envelope)


class Ec2Codec:
    protocol = "ec2"

    def __init__(self, catalog: ServiceCatalog, *, encode_message: MessageEncoder | None = None) -> None:
        self._catalog = catalog
        self._encode_message = encode_message

    def decode(self, req: WireRequest) -> Decoded:
        return decode_action_form(req)

    def resolve(self, decoded: Decoded) -> OperationRef | None:
        return self._catalog.lookup_ec2_action(decoded.operation)

    def unknown_operation(self, decoded: Decoded) -> AwsError:
        # EC2's answer for an action it does not have (and here for the ones rolegate does not serve).
        return ClientError(f"The action {decoded.operation} is not valid for this web service.",
                           code="InvalidAction")

    def read_input(self, ref: OperationRef, decoded: Decoded) -> dict[str, Any]:
        try:
            params = decode_ec2_input(ref.operation, decoded.raw)
        except InvalidParameterValue as err:  # a name the input shape lacks: EC2's UnknownParameter
            raise ClientError(err.message, code="UnknownParameter") from None
        for name, wire in _envelopes.get(ref.operation).required:
            if name not in params:
                raise ClientError(f"The request must contain the parameter {wire}", code="MissingParameter")
        return params

    def encode_result(self, ref: OperationRef, result: Mapping[str, Any] | None, request_id: str) -> WireResponse:
        envelope = _envelopes.get(ref.operation)
        out = [envelope.head, escape_text(request_id), "</requestId>"]
        if envelope.body is not None:
            envelope.body(out, {} if result is None else result)
        elif result:
            raise TypeError(f"{ref.name} has no output shape but the handler returned {sorted(result)}")
        out.append(envelope.tail)
        return WireResponse(200, "".join(out).encode("utf-8"), request_id)

    def encode_error(self, err: AwsError, request_id: str, ref: OperationRef | None) -> WireResponse:
        if err.code == "AccessDenied":
            err = self._unauthorized(err, ref.name if ref is not None else None)
        else:
            err = _ec2_error(err)
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape_text(err.code)}'
                f"</Code><Message>{escape_text(err.message)}</Message></Error></Errors>"
                f"<RequestID>{escape_text(request_id)}</RequestID></Response>")
        return WireResponse(err.status, body.encode("utf-8"), request_id)

    def _unauthorized(self, err: AwsError, operation: str | None) -> AwsError:
        message = f"{_UNAUTHORIZED} {err.message}"
        # EC2 encodes the details of a denied change, not of a denied Describe* (a read answers with the
        # message only).
        if self._encode_message is not None and operation is not None and not operation.startswith("Describe"):
            encoded = self._encode_message({"allowed": False, "explicitDeny": "explicit deny" in err.message,
                                            "action": f"ec2:{operation}", "message": err.message})
            message += f". Encoded authorization failure message: {encoded}"
        return AwsError(message, code="UnauthorizedOperation", status=403)
