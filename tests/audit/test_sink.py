"""The audit log file: lines appended whole, an fsync shared by writers, a failure refused loudly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rolegate.audit.sink import AuditUnavailable, JsonlSink


def test_appended_records_are_json_lines_readable_by_another_reader(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "audit" / "a.jsonl")
    seq = sink.append([{"eventName": "CreateRole"}, {"eventName": "AssumeRole"}])
    sink.durable(seq)
    lines = (tmp_path / "audit" / "a.jsonl").read_text().splitlines()
    assert [json.loads(line)["eventName"] for line in lines] == ["CreateRole", "AssumeRole"]
    assert sink.stats.fsyncs == 1 and sink.stats.backlog == 0 and sink.stats.records_written == 2
    sink.close()


def test_a_write_already_covered_by_an_fsync_does_not_fsync_again(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "a.jsonl")
    first = sink.append([{"n": 1}])
    second = sink.append([{"n": 2}])
    sink.durable(second)
    sink.durable(first)
    assert sink.stats.fsyncs == 1
    sink.close()


def test_a_failed_fsync_raises_a_503(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = JsonlSink(tmp_path / "a.jsonl")
    seq = sink.append([{"n": 1}])

    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(AuditUnavailable) as exc:
        sink.durable(seq)
    assert exc.value.status == 503 and exc.value.code == "ServiceUnavailable"
    assert sink.stats.failures == 1
    monkeypatch.undo()
    sink.close()
