"""Which protocol codec reads a request, decided once per request from its headers (ADR 0012).

``X-Amz-Target`` present → ``json`` (awsJson names the operation only there); else a path some rest-json
operation's ``requestUri`` template matches → ``rest-json``; else a request whose SigV4 credential scope
names the service ``ec2`` → ``ec2`` (EC2's query dialect is form-encoded with an ``Action`` like IAM/STS, so
only the scope tells them apart); otherwise → ``query`` (form-encoded ``Action``). The order of the rules is in
docs/adr/0012-protocol-routing-on-one-port.md, docs/adr/0029-rest-json-routing-by-uri-template.md and
docs/adr/0039-ec2-query-dialect.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from .codec import Codec, WireRequest
from .ec2_codec import Ec2Codec, MessageEncoder
from .json_codec import TARGET_HEADER, JsonCodec
from .models import ServiceCatalog
from .query_codec import QueryCodec
from .rest_json_codec import RestJsonCodec

__all__ = ["Router", "scope_service"]

_EC2 = "ec2"
_CREDENTIAL = "Credential="
_QUERY_CREDENTIAL = "X-Amz-Credential="


def _service_of_scope(credential: str) -> str | None:
    # AKID/DATE/REGION/SERVICE/aws4_request; verifying it is authenticate's job, not the router's.
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else None


def scope_service(req: WireRequest) -> str | None:
    """The service of the request's SigV4 credential scope (``Authorization`` header, else the presigned
    ``X-Amz-Credential`` query parameter), or ``None`` when it names none. A string split, nothing checked."""
    auth = req.header("authorization")
    if auth is not None:
        start = auth.find(_CREDENTIAL)
        if start < 0:
            return None
        start += len(_CREDENTIAL)
        end = len(auth)
        for stop in (",", " "):
            found = auth.find(stop, start)
            if 0 <= found < end:
                end = found
        return _service_of_scope(auth[start:end])
    if _QUERY_CREDENTIAL in req.raw_query:
        for pair in req.raw_query.split("&"):
            if pair.startswith(_QUERY_CREDENTIAL):
                return _service_of_scope(unquote(pair[len(_QUERY_CREDENTIAL):]))
    return None


class Router:
    """The codecs of the protocols a catalog serves, and the rule choosing one for a request.

    ``encode_message`` seals the details of a denial for EC2's encoded authorization failure message
    (``sts.messages.AuthorizationMessages.encode``); without it EC2's denials carry the message only."""

    def __init__(self, catalog: ServiceCatalog, codecs: Mapping[str, Codec] | None = None, *,
                 encode_message: MessageEncoder | None = None) -> None:
        if codecs is None:
            codecs = {"query": QueryCodec(catalog)}
            if catalog.services_by_protocol("json"):
                codecs["json"] = JsonCodec(catalog)
            if catalog.services_by_protocol("rest-json"):
                codecs["rest-json"] = RestJsonCodec(catalog)
            if catalog.services_by_protocol(_EC2):
                codecs[_EC2] = Ec2Codec(catalog, encode_message=encode_message)
        self._query = codecs["query"]
        self._json = codecs.get("json")
        rest = codecs.get("rest-json")
        self._rest = rest if isinstance(rest, RestJsonCodec) else None
        self._ec2 = codecs.get(_EC2)

    def claims_path(self, raw_path: str) -> bool:
        """Whether a request to ``raw_path`` is an AWS request: ``/``, or a path a rest-json template matches."""
        return raw_path == "/" or (self._rest is not None and self._rest.claims_path(raw_path))

    def codec_for(self, req: WireRequest) -> Codec:
        if self._json is not None and req.header(TARGET_HEADER) is not None:
            return self._json
        if self._rest is not None and req.raw_path != "/" and self._rest.claims_path(req.raw_path):
            return self._rest
        if self._ec2 is not None and scope_service(req) == _EC2:
            return self._ec2
        return self._query
