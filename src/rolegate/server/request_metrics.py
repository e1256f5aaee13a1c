"""The observer that feeds the request metrics: each answered request counted by service, operation and
outcome, its latency, and an AccessDenied by the action called (``rolegate.obs.metrics``).

It lives in the composition root because the wire layer (which defines the observer points) and ``obs``
(which owns the metrics) may not import each other. Labels come from the dispatch table's resolved
operation — names from the botocore model — and the error code rolegate answered with; a request that
resolved no operation counts as ``unknown``, whatever it asked for.
"""

from __future__ import annotations

import time

from rolegate.obs.metrics import Recorder
from rolegate.wire.call import Call
from rolegate.wire.observe import CompletionObserver, Outcome

__all__ = ["RequestMetricsObserver"]


class RequestMetricsObserver(CompletionObserver):
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    def completed(self, call: Call, outcome: Outcome) -> None:
        op = call.operation
        self._recorder.request(op.service if op is not None else None, op.name if op is not None else None,
                               outcome.error_code, time.perf_counter() - call.arrived)
