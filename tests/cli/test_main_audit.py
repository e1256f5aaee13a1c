"""``rolegate audit verify`` and ``rolegate audit tail`` (rolegate.cli.main): the AWS CLI's report and exit codes,
refusals of a bad range or a missing trail, and the records printed as JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rolegate.audit.files import TrailWriter
from rolegate.cli.main import app
from rolegate.core.clock import FixedClock
from tests.audit.test_files import START, Ring, closed_files, record


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose trail has one delivered file (in a digest) and one record still open."""
    clock = FixedClock(START)
    trail = TrailWriter(tmp_path / "audit", keys=Ring(), clock=clock, default_account_id="123456789012",
                        tick_seconds=None)
    trail.append([record(1)])
    trail.tick(force=True)
    trail.append([record(2)])
    return tmp_path


def test_verify_reports_as_the_aws_cli_does_and_exits_0_on_an_intact_trail(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["audit", "verify", str(data_dir / "audit"), "--end-time",
                                      "2026-03-04T23:00:00Z", "--verbose"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (f"Validating log files for trail {data_dir / 'audit'} between 1970-01-01T00:00:00Z and "
                        "2026-03-04T23:00:00Z")
    assert any(line.startswith("Digest file\tAWSLogs/111122223333/CloudTrail-Digest/") and line.endswith("\tvalid")
               for line in lines)
    assert "Results requested for 1970-01-01T00:00:00Z to 2026-03-04T23:00:00Z" in lines
    assert "1/1 digest files valid" in lines and "1/1 log files valid" in lines


def test_verify_exits_1_and_names_the_file_when_one_is_missing(data_dir: Path) -> None:
    [name] = closed_files(data_dir / "audit")
    (data_dir / "audit" / name).unlink()
    result = CliRunner().invoke(app, ["audit", "verify", str(data_dir / "audit")])
    assert result.exit_code == 1
    assert f"Log file\t{name}\tINVALID: not found" in result.stderr
    assert "0/1 log files valid, 1/1 log files INVALID" in result.stdout


@pytest.mark.parametrize("args", [["--start-time", "yesterday"], ["--start-time", "2026-03-05T00:00:00Z",
                                                                   "--end-time", "2026-03-04T00:00:00Z"]])
def test_verify_refuses_a_time_that_is_no_time_or_a_range_backwards(data_dir: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, ["audit", "verify", str(data_dir / "audit"), *args])
    assert result.exit_code == 2
    assert "rolegate:" in result.stderr


def test_verify_refuses_a_directory_with_no_trail(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["audit", "verify", str(tmp_path)])
    assert result.exit_code == 2 and "no trail under" in result.stderr


def test_tail_prints_the_records_not_yet_rotated_as_json_lines(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["audit", "tail", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["eventName"] for line in result.stdout.splitlines()] == ["Call2"]


def test_tail_all_starts_with_the_delivered_records(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["audit", "tail", "--all", "--data-dir", str(data_dir)])
    assert [json.loads(line)["eventName"] for line in result.stdout.splitlines()] == ["Call1", "Call2"]
