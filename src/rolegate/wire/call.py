"""One request's way through the endpoint: what each stage has found so far.

The stages of ``rolegate.wire.endpoint`` fill it in order, and observers (``rolegate.wire.observe``) read
it: decode sets ``codec`` and ``decoded``; resolve ``operation``; authenticate ``snapshot`` (the request's
view of the invalidation generations) and ``caller``; validate ``params``; authorize ``context`` (the
request context domain methods receive); handle ``result``; encode ``response``. ``error`` is the ``AwsError`` a stage
answered with, if any. ``secrets`` collects the secret values the request carried or produced
(``rolegate.core.redaction``), whichever thread runs its stages. ``arrived`` is when the endpoint began it
(``time.perf_counter``), for the latency metric. ``audit`` is the recorder's (``rolegate.wire.observe.Recorder``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rolegate.auth.x509 import X509Signer
from rolegate.authz import Caller, RequestContext
from rolegate.core.errors import AwsError
from rolegate.store.invalidation import Snapshot

from .codec import Codec, Decoded, WireRequest, WireResponse
from .dispatch import Operation

__all__ = ["Call"]


@dataclass(slots=True)
class Call:
    request_id: str
    request: WireRequest
    codec: Codec | None = None
    decoded: Decoded | None = None
    operation: Operation | None = None
    caller: Caller | None = None
    x509: X509Signer | None = None  # an X.509-signed operation's signer (``rolegate.auth.x509``)
    snapshot: Snapshot | None = None
    params: dict[str, Any] | None = None
    context: RequestContext | None = None
    result: dict[str, Any] | None = None
    response: WireResponse | None = None
    error: AwsError | None = None
    secrets: set[str] = field(default_factory=set)
    arrived: float = field(default_factory=time.perf_counter)
    audit: object | None = None  # the recorder's own state between the handle stage and the record
    durable: Any = None  # the recorder's ``Durable`` the response waits for (``Endpoint.settle``), if any
