"""The agent's Prometheus metrics (``rolegate_agent_*``), served on its status listener: the catalogue
docs/metrics.md's agent table is generated from (``scripts/generate_metrics_table.py``), and the recorder.

The agent is its own process with its own registry (not prometheus-client's global one, which the server's
catalogue owns). Label values are fixed by code — a listener name, a status code the agent itself answers, a
server operation the agent calls — never taken from a request (docs/adr/0033-metrics-on-an-operator-listener.md).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from rolegate.obs.metrics import MetricSpec

__all__ = ["AGENT_CATALOGUE", "LISTENERS", "OPERATIONS", "AgentMetrics"]

LISTENERS = ("imds", "container", "status")
OPERATIONS = ("JoinInstance", "RotateInstanceCredential", "GetInstanceRoleCredentials", "CreateSession")

AGENT_CATALOGUE: tuple[MetricSpec, ...] = (
    MetricSpec("rolegate_agent_requests_total", "counter",
               "Requests the agent answered, by listener and HTTP status.", ("listener", "status"),
               "the agent's listeners", ", ".join(f"`{name}`" for name in LISTENERS)
               + "; status: the code answered (`200`, `400`, `401`, `403`, `404`, `405`)"),
    MetricSpec("rolegate_agent_refreshes_total", "counter",
               "Calls the agent made to the rolegate server that succeeded, by operation (its load on the server).",
               ("operation",), "the credential source (`rolegate.agent.sources`)",
               ", ".join(f"`{name}`" for name in OPERATIONS)),
    MetricSpec("rolegate_agent_refresh_failures_total", "counter",
               "Calls to the rolegate server that failed (unreachable or refused), by operation; the agent keeps "
               "serving unexpired credentials meanwhile.", ("operation",),
               "the credential source (`rolegate.agent.sources`)", "as above"),
    MetricSpec("rolegate_agent_credentials_expiry_seconds", "gauge",
               "Seconds until the role credentials the agent serves expire (0 when it serves none).", (),
               "the agent, at each scrape", "—"),
)


class AgentMetrics:
    def __init__(self, seconds_left: Callable[[], float] = lambda: 0.0) -> None:
        self.registry = CollectorRegistry()
        specs = {s.name: s for s in AGENT_CATALOGUE}

        def counter(name: str) -> Counter:
            spec = specs[name]
            return Counter(name.removesuffix("_total"), spec.help, spec.labels, registry=self.registry)

        self._requests = counter("rolegate_agent_requests_total")
        self._refreshes = counter("rolegate_agent_refreshes_total")
        self._failures = counter("rolegate_agent_refresh_failures_total")
        expiry = specs["rolegate_agent_credentials_expiry_seconds"]
        self._expiry = Gauge(expiry.name, expiry.help, registry=self.registry)
        self._expiry.set_function(seconds_left)

    def watch_expiry(self, seconds_left: Callable[[], float]) -> None:
        self._expiry.set_function(seconds_left)

    def request(self, listener: str, status: int) -> None:
        self._requests.labels(listener, str(status)).inc()

    def call(self, operation: str, ok: bool) -> None:
        (self._refreshes if ok else self._failures).labels(operation).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
