"""A real botocore client whose requests the endpoint answers in process: botocore's ``before-send`` hook hands
each signed request to ``Endpoint.handle`` instead of a socket, and the client parses the answer as it would
parse the server's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from rolegate.wire.endpoint import Endpoint


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def serve_in_process(client: Any, endpoint: Endpoint) -> Any:
    """``client`` with every request answered by ``endpoint``; returns the client."""

    def send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        headers = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()]
        headers.append(("host", url.netloc))  # what the HTTP client adds on the wire
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        res = endpoint.handle(request.method, url.path or "/", url.query, headers, body)
        out = {"x-amzn-RequestId": res.request_id, "Content-Type": res.content_type, **dict(res.headers)}
        return AWSResponse(request.url, res.status, out, _Body(res.body))

    client.meta.events.register(f"before-send.{client.meta.service_model.service_id.hyphenize()}", send)
    return client
