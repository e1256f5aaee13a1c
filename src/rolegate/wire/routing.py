"""Which protocol codec reads a request, decided once per request from its headers (ADR 0012).

``X-Amz-Target`` present → ``json`` (awsJson names the operation only there); else a path some rest-json
operation's ``requestUri`` template matches → ``rest-json``; otherwise → ``query`` (form-encoded
``Action``). The order of the rules and the one still to come (EC2's query dialect by the service of the
SigV4 signing scope) are in docs/adr/0012-protocol-routing-on-one-port.md and
docs/adr/0029-rest-json-routing-by-uri-template.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from .codec import Codec, WireRequest
from .json_codec import TARGET_HEADER, JsonCodec
from .models import ServiceCatalog
from .query_codec import QueryCodec
from .rest_json_codec import RestJsonCodec

__all__ = ["Router"]


class Router:
    """The codecs of the protocols a catalog serves, and the rule choosing one for a request."""

    def __init__(self, catalog: ServiceCatalog, codecs: Mapping[str, Codec] | None = None) -> None:
        if codecs is None:
            codecs = {"query": QueryCodec(catalog)}
            if catalog.services_by_protocol("json"):
                codecs["json"] = JsonCodec(catalog)
            if catalog.services_by_protocol("rest-json"):
                codecs["rest-json"] = RestJsonCodec(catalog)
        self._query = codecs["query"]
        self._json = codecs.get("json")
        rest = codecs.get("rest-json")
        self._rest = rest if isinstance(rest, RestJsonCodec) else None

    def claims_path(self, raw_path: str) -> bool:
        """Whether a request to ``raw_path`` is an AWS request: ``/``, or a path a rest-json template matches."""
        return raw_path == "/" or (self._rest is not None and self._rest.claims_path(raw_path))

    def codec_for(self, req: WireRequest) -> Codec:
        if self._json is not None and req.header(TARGET_HEADER) is not None:
            return self._json
        if self._rest is not None and req.raw_path != "/" and self._rest.claims_path(req.raw_path):
            return self._rest
        return self._query
