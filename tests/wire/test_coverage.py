"""The committed coverage record matches the code: regenerate it with scripts/generate_coverage.py."""

from __future__ import annotations

from pathlib import Path

from rolegate.wire.coverage import coverage_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "compat" / "coverage.md"


def test_the_committed_coverage_record_is_current() -> None:
    assert DOC.read_text() == coverage_markdown(), "stale: run .venv/bin/python scripts/generate_coverage.py"


def test_every_registered_handler_names_a_modelled_operation() -> None:
    from rolegate.wire.handlers import HANDLERS
    from rolegate.wire.models import default_catalog

    catalog = default_catalog()
    assert [key for key in HANDLERS if catalog.lookup(*key) is None] == []
