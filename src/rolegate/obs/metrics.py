"""rolegate's Prometheus metrics: the catalogue (names, kinds, labels, buckets, who records each) and the one
object that records into them.

``CATALOGUE`` is the single list the metrics are built from, the list ``docs/metrics.md`` is generated from
(``scripts/generate_metrics_table.py``) and the list a test compares with what the registry exports. Every
label value is fixed by code or by the botocore model — a service and operation name the dispatch table
resolved, an error code rolegate raised, a cache, channel or store phase named in ``rolegate.core.telemetry``
— never a string from the request, so no caller can create series (an unresolved operation is
``unknown``). ``Recorder`` is the sink ``core.telemetry`` calls, and the server's request observer calls
``request``; each keeps its labelled children in a dict, so recording is a dict lookup and an increment.

With several workers the values live in files under ``PROMETHEUS_MULTIPROC_DIR``
(``rolegate.obs.exposition``), which must be set before this module is first imported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from rolegate.core import telemetry

__all__ = ["CATALOGUE", "MetricSpec", "Recorder", "recorder"]

Kind = Literal["counter", "histogram", "gauge"]
UNKNOWN = "unknown"  # the service or operation of a request that named none rolegate serves
OK = "ok"  # the outcome of a request answered with success
OTHER = "other"  # an error code that is not one (cannot happen for rolegate's own errors; a guard)
_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,63}$")

# Requests take from ~100 µs (a cached read on the event loop) to seconds (a write waiting on the lock).
REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A read transaction is tens of µs; a commit waits for fsync (~ms); a write may wait for the lock (busy 10 s).
STORE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 10.0)
AUDIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric as exported (``name`` with the suffix Prometheus adds, ``_total`` for a counter)."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...]
    recorded_by: str
    label_values: str  # what each label can be: the docs table's last column
    buckets: tuple[float, ...] = ()


CATALOGUE: tuple[MetricSpec, ...] = (
    MetricSpec("rolegate_requests_total", "counter",
               "API requests answered, by service, operation and outcome (ok or the AWS error code).",
               ("service", "operation", "outcome"), "the endpoint (every request, answered or refused)",
               "service and operation from the botocore model (`unknown` when the request names none rolegate "
               "serves); outcome `ok` or the AWS error code"),
    MetricSpec("rolegate_request_duration_seconds", "histogram",
               "Time from a request's arrival at the endpoint (body read) to its encoded response.",
               ("service", "operation"), "the endpoint", "as above", REQUEST_BUCKETS),
    MetricSpec("rolegate_access_denied_total", "counter",
               "Requests refused with AccessDenied, by the IAM action of the operation called.",
               ("action",), "the endpoint (authorization, trust policies, the STS rules)",
               "`service:Operation` of a served operation, e.g. `iam:CreateRole`, `sts:AssumeRole`"),
    MetricSpec("rolegate_credentials_issued_total", "counter",
               "Temporary credentials issued, by the channel that issued them.",
               ("channel",), "STS session issuance (`rolegate.sts.sessions`)",
               ", ".join(f"`{c}`" for c in telemetry.CHANNELS if c not in telemetry.RESERVED_CHANNELS)
               + "; reserved for later channels: "
               + ", ".join(f"`{c}`" for c in telemetry.RESERVED_CHANNELS)),
    MetricSpec("rolegate_cache_lookups_total", "counter",
               "Lookups in the worker's caches, by cache and result (hit or miss); hit ratio = hit / all.",
               ("cache", "result"), "each cache (`rolegate.core.stamped_cache`, policy compilation, SigV4 keys)",
               ", ".join(f"`{c}`" for c in telemetry.CACHES) + "; result `hit`, `miss`"),
    MetricSpec("rolegate_store_duration_seconds", "histogram",
               "Store latency: a read transaction, a unit of work (lock wait included), a commit.",
               ("phase",), "the SQL store (`rolegate.store.sql`)",
               ", ".join(f"`{p}`" for p in telemetry.STORE_PHASES), STORE_BUCKETS),
    MetricSpec("rolegate_audit_write_duration_seconds", "histogram",
               "Time of one durable audit write (events written and fsync'd).",
               (), "recorded by the audit trail (`telemetry.audit_write_seconds`)", "—", AUDIT_BUCKETS),
    MetricSpec("rolegate_audit_backlog_events", "gauge",
               "Audit events accepted but not yet durable (summed over live workers).",
               (), "recorded by the audit trail (`telemetry.audit_backlog`)", "—"),
)


def _build(spec: MetricSpec) -> MetricWrapperBase:
    if spec.kind == "counter":
        return Counter(spec.name.removesuffix("_total"), spec.help, spec.labels)
    if spec.kind == "histogram":
        return Histogram(spec.name, spec.help, spec.labels, buckets=spec.buckets)
    # With several workers a gauge is the sum over the live workers (a dead worker's files are dropped).
    return Gauge(spec.name, spec.help, spec.labels, multiprocess_mode="livesum")


class Recorder:
    """Records into the catalogue's metrics; the sink ``core.telemetry`` calls once it is installed."""

    def __init__(self) -> None:
        built = {spec.name: _build(spec) for spec in CATALOGUE}
        self._requests = cast(Counter, built["rolegate_requests_total"])
        self._latency = cast(Histogram, built["rolegate_request_duration_seconds"])
        self._denied = cast(Counter, built["rolegate_access_denied_total"])
        self._issued = cast(Counter, built["rolegate_credentials_issued_total"])
        self._lookups = cast(Counter, built["rolegate_cache_lookups_total"])
        self._store = cast(Histogram, built["rolegate_store_duration_seconds"])
        self._audit_write = cast(Histogram, built["rolegate_audit_write_duration_seconds"])
        self._audit_backlog = cast(Gauge, built["rolegate_audit_backlog_events"])
        # Labelled children, made once per label set: recording is then a dict lookup and an increment.
        self._children: dict[tuple[object, ...], Callable[..., None]] = {}
        self._channels = frozenset(telemetry.CHANNELS)
        self._caches = frozenset(telemetry.CACHES)
        self._phases = frozenset(telemetry.STORE_PHASES)

    def _child(self, key: tuple[object, ...], make: Callable[[], Callable[..., None]]) -> Callable[..., None]:
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = make()
        return child

    # --- the endpoint -------------------------------------------------------------------------------

    def request(self, service: str | None, operation: str | None, error_code: str | None, seconds: float) -> None:
        """One answered request. ``service``/``operation`` None: it named no operation rolegate serves."""
        svc = service or UNKNOWN
        op = operation if service is not None and operation else UNKNOWN
        outcome = OK if error_code is None else (error_code if _ERROR_CODE.match(error_code) else OTHER)
        self._child(("req", svc, op, outcome), lambda: self._requests.labels(svc, op, outcome).inc)()
        self._child(("lat", svc, op), lambda: self._latency.labels(svc, op).observe)(seconds)
        if outcome == "AccessDenied" and service is not None:
            self._child(("denied", svc, op), lambda: self._denied.labels(f"{svc}:{op}").inc)()

    # --- core.telemetry.Sink ------------------------------------------------------------------------

    def cache_lookup(self, cache: str, hit: bool) -> None:
        if cache in self._caches:
            self._child(("cache", cache, hit),
                        lambda: self._lookups.labels(cache, "hit" if hit else "miss").inc)()

    def store_seconds(self, phase: str, seconds: float) -> None:
        if phase in self._phases:
            self._child(("store", phase), lambda: self._store.labels(phase).observe)(seconds)

    def credentials_issued(self, channel: str) -> None:
        if channel in self._channels:
            self._child(("issued", channel), lambda: self._issued.labels(channel).inc)()

    def audit_write_seconds(self, seconds: float) -> None:
        self._audit_write.observe(seconds)

    def audit_backlog(self, events: int) -> None:
        self._audit_backlog.set(events)


_recorder: Recorder | None = None


def recorder() -> Recorder:
    """This process's recorder (the metrics are registered once per process), installed as the telemetry sink."""
    global _recorder
    if _recorder is None:
        _recorder = Recorder()
    telemetry.install(_recorder)
    return _recorder
