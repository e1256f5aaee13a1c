"""Which protocol codec reads a request, decided once per request from its headers (ADR 0012).

``X-Amz-Target`` present → ``json`` (awsJson names the operation only there); otherwise → ``query``
(form-encoded ``Action``). The order of the rules and the ones still to come (rest-json by the models'
``requestUri`` templates; EC2's query dialect by the service of the SigV4 signing scope) are in
docs/adr/0012-protocol-routing-on-one-port.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from .codec import Codec, WireRequest
from .json_codec import TARGET_HEADER, JsonCodec
from .models import ServiceCatalog
from .query_codec import QueryCodec

__all__ = ["Router"]


class Router:
    """The codecs of the protocols a catalog serves, and the rule choosing one for a request."""

    def __init__(self, catalog: ServiceCatalog, codecs: Mapping[str, Codec] | None = None) -> None:
        if codecs is None:
            codecs = {"query": QueryCodec(catalog)}
            if catalog.services_by_protocol("json"):
                codecs["json"] = JsonCodec(catalog)
        self._query = codecs["query"]
        self._json = codecs.get("json")

    def codec_for(self, req: WireRequest) -> Codec:
        if self._json is not None and req.header(TARGET_HEADER) is not None:
            return self._json
        return self._query
