"""The agent's metrics: docs/metrics.md's agent table is generated from the agent's catalogue, and its registry
exports exactly that catalogue (and nothing of the server's)."""

from __future__ import annotations

from rolegate.agent.metrics import AGENT_CATALOGUE, AgentMetrics
from scripts.generate_metrics_table import AGENT_BEGIN, AGENT_END, DOC, metrics_table


def test_the_committed_agent_table_is_current() -> None:
    current = DOC.read_text()
    assert f"{AGENT_BEGIN}\n{metrics_table(AGENT_CATALOGUE)}\n{AGENT_END}" in current, \
        "run: python scripts/generate_metrics_table.py"


def test_the_agents_registry_exports_exactly_its_catalogue() -> None:
    metrics = AgentMetrics()
    metrics.request("imds", 200)
    metrics.call("CreateSession", ok=True)
    metrics.call("CreateSession", ok=False)
    suffix = {"counter": "_total", "gauge": ""}
    exported = {f.name + suffix[f.type]: (f.type, f.documentation) for f in metrics.registry.collect()}
    assert exported == {s.name: (s.kind, s.help) for s in AGENT_CATALOGUE}
    assert all(s.name.startswith("rolegate_agent_") for s in AGENT_CATALOGUE)


def test_the_expiry_gauge_reads_the_served_credentials_at_scrape_time() -> None:
    left = [1200.0]
    metrics = AgentMetrics(lambda: left[0])
    assert b"rolegate_agent_credentials_expiry_seconds 1200.0" in metrics.exposition()
    left[0] = 0.0
    assert b"rolegate_agent_credentials_expiry_seconds 0.0" in metrics.exposition()
