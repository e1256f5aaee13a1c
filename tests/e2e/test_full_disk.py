"""A full disk under a running server and at start (issue 10, item 6), on a tmpfs the test fills.

Writes answer AWS's retryable ``ServiceUnavailable`` (503) and change nothing, the log line says the disk is
full, ``/readyz`` is false while writes cannot succeed, and everything works again without a restart once
space returns. Starting on a full disk exits with one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import botocore.exceptions
import httpx
import pytest

from tests.full_disk import fill, small_disk
from tests.live import LiveServer

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                    "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x" * 1500}}}]})


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk") as path:
        yield path


@pytest.fixture
def server_on_disk(disk: Path, tmp_path: Path) -> Iterator[LiveServer]:
    (disk / "data").mkdir()
    srv = LiveServer(disk / "data", log_dir=tmp_path)
    srv.start()
    yield srv
    srv.stop()


def _create_roles_until_refused(srv: LiveServer, prefix: str) -> tuple[list[str], botocore.exceptions.ClientError]:
    """Create roles until one is refused (SQLite may still fit a write or two in its WAL): (created, refusal)."""
    iam = srv.client("iam")
    created = []
    for i in range(50):
        try:
            iam.create_role(RoleName=f"{prefix}{i}", AssumeRolePolicyDocument=TRUST)
            created.append(f"{prefix}{i}")
        except botocore.exceptions.ClientError as exc:
            return created, exc
    raise AssertionError("50 writes fitted on a full disk")


def test_a_write_on_a_full_disk_is_a_retryable_service_unavailable_that_changes_nothing(
        server_on_disk: LiveServer, disk: Path) -> None:
    fill(disk)
    created, refused = _create_roles_until_refused(server_on_disk, "full")
    assert refused.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert refused.response["Error"] == {"Type": "Receiver", "Code": "ServiceUnavailable",
                                         "Message": "The request has failed due to a temporary failure of the server."}
    names = {r["RoleName"] for r in server_on_disk.client("iam").list_roles()["Roles"]}
    assert f"full{len(created)}" not in names
    lines = [json.loads(line) for line in server_on_disk.log().splitlines() if line.startswith("{")]
    failures = [line for line in lines if line.get("event") == "request failed"]
    assert failures and failures[-1]["reason"] == "the disk holding the database is full"
    assert failures[-1]["level"] == "error" and failures[-1]["operation"] == "iam:CreateRole"
    assert "Traceback" not in server_on_disk.log()


def test_readyz_is_false_while_the_disk_is_full_and_ready_again_without_a_restart(
        server_on_disk: LiveServer, disk: Path) -> None:
    ready = server_on_disk.url + "/readyz"
    assert httpx.get(ready).status_code == 200
    filler = fill(disk)
    _create_roles_until_refused(server_on_disk, "wait")
    not_ready = httpx.get(ready)
    assert (not_ready.status_code, not_ready.text) == (503, "writes cannot succeed: the disk holding the database is full")
    filler.unlink()
    assert httpx.get(ready).status_code == 200
    server_on_disk.client("iam").create_role(RoleName="after-space-returned", AssumeRolePolicyDocument=TRUST)
    assert server_on_disk.client("iam").get_role(RoleName="after-space-returned")["Role"]["RoleName"]


def test_starting_on_a_full_disk_exits_with_one_clear_line(disk: Path) -> None:
    fill(disk)
    proc = subprocess.run([sys.executable, "-m", "rolegate", "serve", "--port", "0", "--data-dir", str(disk / "data")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    output = (proc.stdout + proc.stderr).strip()
    assert output == f"rolegate: cannot start: the disk holding the database is full ({disk / 'data'})"
