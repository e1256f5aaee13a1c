"""The committed coverage record matches the code: regenerate it with scripts/generate_coverage.py; every
operation not implemented says why, and no note contradicts the handler registry."""

from __future__ import annotations

from pathlib import Path

from rolegate.wire.coverage import AS_UNUSED, NOT_IMPLEMENTED, coverage_markdown, coverage_notes, note_problems

DOC = Path(__file__).resolve().parents[2] / "docs" / "compat" / "coverage.md"


def test_the_committed_coverage_record_is_current() -> None:
    assert DOC.read_text() == coverage_markdown(), "stale: run .venv/bin/python scripts/generate_coverage.py"


def test_every_note_agrees_with_the_code_and_every_gap_has_a_reason() -> None:
    assert note_problems() == []


def test_the_record_lists_each_operation_with_its_status_and_reason() -> None:
    text = coverage_markdown()
    assert "| UploadSSHPublicKey | implemented |  |" in text
    notes = coverage_notes()
    for op, status in (("AcceptDelegationRequest", NOT_IMPLEMENTED), ("ListDelegationRequests", AS_UNUSED)):
        note = notes[("iam", op)]
        assert note.status == status and note.reason
        assert f"| {op} | {note.status} | {note.reason} |" in text
