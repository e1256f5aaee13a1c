"""No acknowledged action without its record (docs/adr/0041-audit-record-commits-with-its-change.md): after
``kill -9`` under concurrent write load every mutation and credential issuance a client saw succeed has its event
in the store copy and, once the drain has run again, in the audit files; on a full disk a change and a credential
issuance fail with an AWS-shaped 503, leave nothing behind, and work again — recorded — when space returns."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from rolegate.audit.files import read_trail
from tests.full_disk import fill, small_disk
from tests.live import ACCOUNT_ID, LiveServer

pytestmark = pytest.mark.live

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}]})
ASSUME_ANY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})


def _assumer(srv: LiveServer, role: str) -> Any:
    """An STS client of an IAM user allowed to assume ``role`` (which trusts the account)."""
    iam = srv.client("iam")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.create_user(UserName=f"{role}-user")
    iam.put_user_policy(UserName=f"{role}-user", PolicyName="assume", PolicyDocument=ASSUME_ANY)
    key = iam.create_access_key(UserName=f"{role}-user")["AccessKey"]
    return srv.client("sts", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])


def _recorded_request_ids(srv: LiveServer, event_name: str) -> set[str]:
    """Every requestID LookupEvents returns for ``event_name``, all pages."""
    trail = srv.client("cloudtrail")
    found: set[str] = set()
    for page in trail.get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}]):
        found |= {json.loads(e["CloudTrailEvent"])["requestID"] for e in page["Events"]}
    return found


def _file_request_ids(srv: LiveServer) -> set[str]:
    return {record["requestID"] for record in read_trail(srv.data_dir / "audit")}


def test_every_acknowledged_call_has_its_event_after_kill_dash_nine_under_load(tmp_path: Path) -> None:
    srv = LiveServer(tmp_path)
    srv.start()
    acknowledged: dict[str, list[str]] = {"CreateRole": [], "AssumeRole": []}
    lock = threading.Lock()
    stop = threading.Event()
    try:
        sts = _assumer(srv, "kill-target")
        role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/kill-target"

        def create(worker: int) -> None:
            iam = srv.client("iam")
            i = 0
            while not stop.is_set():
                try:
                    res = iam.create_role(RoleName=f"k{worker}-{i}", AssumeRolePolicyDocument=TRUST)
                except Exception:
                    return  # the server is gone: what was answered before is what counts
                with lock:
                    acknowledged["CreateRole"].append(res["ResponseMetadata"]["RequestId"])
                i += 1

        def assume() -> None:
            while not stop.is_set():
                try:
                    res = sts.assume_role(RoleArn=role_arn, RoleSessionName="under-load")
                except Exception:
                    return
                with lock:
                    acknowledged["AssumeRole"].append(res["ResponseMetadata"]["RequestId"])

        threads = [threading.Thread(target=create, args=(w,)) for w in range(4)]
        threads += [threading.Thread(target=assume) for _ in range(2)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(acknowledged["CreateRole"]) < 150:
            time.sleep(0.05)
        srv.kill()
        stop.set()
        for t in threads:
            t.join(30)
        assert len(acknowledged["CreateRole"]) >= 20 and acknowledged["AssumeRole"]

        srv.start()
        for name, request_ids in acknowledged.items():
            missing = set(request_ids) - _recorded_request_ids(srv, name)
            assert not missing, f"{len(missing)} acknowledged {name} calls have no event"
        wanted = set(acknowledged["CreateRole"]) | set(acknowledged["AssumeRole"])
        # A record whose completion the kill cut off reaches the files after the drain's grace period (10 s).
        deadline = time.monotonic() + 40
        while not wanted <= _file_request_ids(srv) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert wanted <= _file_request_ids(srv)
    finally:
        stop.set()
        srv.stop()


@pytest.fixture
def server_on_disk(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    with small_disk(tmp_path / "disk") as disk:
        (disk / "data").mkdir()
        srv = LiveServer(disk / "data", log_dir=tmp_path)
        srv.start()
        try:
            yield srv, disk
        finally:
            srv.stop()


def test_on_a_full_disk_changes_and_credentials_fail_cleanly_and_recover(
        server_on_disk: tuple[LiveServer, Path]) -> None:
    srv, disk = server_on_disk
    sts = _assumer(srv, "disk-target")
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/disk-target"
    iam = srv.client("iam")
    filler = fill(disk)
    refused_role = None
    for i in range(50):  # SQLite may still fit a write or two in its WAL
        try:
            iam.create_role(RoleName=f"full-{i}", AssumeRolePolicyDocument=TRUST)
        except botocore.exceptions.ClientError as exc:
            refused_role = (f"full-{i}", exc)
            break
    assert refused_role is not None, "50 writes fitted on a full disk"
    name, exc = refused_role
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert exc.response["Error"]["Code"] == "ServiceUnavailable"
    with pytest.raises(botocore.exceptions.ClientError) as assumed:
        for _ in range(50):
            sts.assume_role(RoleArn=role_arn, RoleSessionName="on-full-disk")
    assert assumed.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert "Credentials" not in assumed.value.response

    filler.unlink()
    with pytest.raises(botocore.exceptions.ClientError) as gone:
        iam.get_role(RoleName=name)
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity"  # the refused change left nothing
    created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    issued = sts.assume_role(RoleArn=role_arn, RoleSessionName="space-returned")
    assert created["ResponseMetadata"]["RequestId"] in _recorded_request_ids(srv, "CreateRole")
    assert issued["ResponseMetadata"]["RequestId"] in _recorded_request_ids(srv, "AssumeRole")
    assert "Traceback" not in srv.log()
