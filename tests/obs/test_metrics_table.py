"""docs/metrics.md's table is generated from the metrics catalogue, and the catalogue is what the registry
exports: a metric added, renamed or relabelled without regenerating the table fails here."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from rolegate.obs.metrics import CATALOGUE, recorder
from rolegate.core import telemetry
from scripts.generate_metrics_table import DOC, metrics_table, rendered


def test_the_committed_metrics_table_is_current() -> None:
    current = DOC.read_text()
    assert rendered(current) == current, "run: python scripts/generate_metrics_table.py"
    assert metrics_table() in current


@pytest.fixture
def registered() -> None:
    recorder()  # the catalogue's metrics are registered once per process
    yield
    telemetry.uninstall()


def test_the_registry_exports_exactly_the_catalogue(registered: None) -> None:
    suffix = {"counter": "_total", "histogram": "", "gauge": ""}
    exported = {f.name + suffix[f.type]: (f.type, f.documentation) for f in REGISTRY.collect()
                if f.name.startswith("rolegate_")}
    assert exported == {s.name: (s.kind, s.help) for s in CATALOGUE}


def test_every_metric_documents_its_labels_and_producer() -> None:
    assert all(s.help and s.recorded_by and s.label_values for s in CATALOGUE)
    assert len({s.name for s in CATALOGUE}) == len(CATALOGUE)
