"""What a protocol codec is: an HTTP request to (service, operation, raw params), a result or error to bytes.

A codec owns one AWS wire protocol (``query``, ``json``, ``rest-json``, ``ec2``) and nothing else: it
decodes the request into the name of an operation and that operation's raw parameters, resolves the name
against the catalog, turns the raw parameters into typed values by the input shape (an unreadable value
becomes a ``validator.Invalid``; the shared validator checks constraints), and writes the handler's result
or an ``AwsError`` in its protocol's response form. It holds no rule and no authentication.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rolegate.core.errors import AwsError

from .models import OperationRef

__all__ = ["Codec", "Decoded", "WireRequest", "WireResponse"]


@dataclass(frozen=True, slots=True)
class WireRequest:
    """The HTTP request as the endpoint receives it (the ASGI glue builds it)."""

    method: str
    raw_path: str
    raw_query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    client_ip: str | None = None
    secure: bool = False
    tls_version: str | None = None  # what the TLS connection negotiated, when the server knows (``TLSv1.3``)
    cipher_suite: str | None = None  # its cipher, OpenSSL's name

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lower-case), or ``None``."""
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Decoded:
    """A request decoded by its codec, before the operation is resolved.

    ``operation`` is the name as the request gives it (a form ``Action``, an ``X-Amz-Target``); ``raw`` the
    codec's own form of the parameters; ``auth_params`` the decoded request parameters authentication may
    look at (query-string and form-body parameters; see ``auth.sigv4.parse_sigv4``).
    """

    operation: str
    raw: Any
    auth_params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class WireResponse:
    status: int
    body: bytes
    request_id: str
    content_type: str = "text/xml"
    headers: tuple[tuple[str, str], ...] = ()


class Codec(Protocol):
    """One AWS wire protocol; see the module docstring for what each method owns."""

    protocol: str

    def decode(self, req: WireRequest) -> Decoded:
        """The operation name and raw parameters; raises an ``AwsError`` for a request it cannot read."""
        ...

    def resolve(self, decoded: Decoded) -> OperationRef | None:
        """The modelled operation ``decoded`` names, or ``None``."""
        ...

    def unknown_operation(self, decoded: Decoded) -> AwsError:
        """The error this protocol answers for an operation it cannot serve."""
        ...

    def read_input(self, ref: OperationRef, decoded: Decoded) -> dict[str, Any]:
        """Typed (not yet validated) input of ``ref`` from the raw parameters."""
        ...

    def encode_result(self, ref: OperationRef, result: Mapping[str, Any] | None, request_id: str) -> WireResponse:
        ...

    def encode_error(self, err: AwsError, request_id: str, ref: OperationRef | None) -> WireResponse:
        """``err`` in this protocol's error form; ``ref`` (the operation) is ``None`` before it is resolved."""
        ...
