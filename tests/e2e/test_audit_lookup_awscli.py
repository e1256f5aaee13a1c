"""Issue 15's "Done when", tried as a new user would with the AWS CLI: a role created, a denied call and an
AssumeRole across accounts, then ``aws cloudtrail lookup-events`` shows them from the store copy of the trail —
in both accounts for the cross-account AssumeRole, sharing ``sharedEventID``, and the denial with its reason —
and the lookup's own rules answer with CloudTrail's error codes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer, aws_cli, create_account

pytestmark = pytest.mark.live

A_ID, B_ID = "123456789012", "444455556666"
RUN = uuid.uuid4().hex[:8]

Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    srv = LiveServer(tmp_path_factory.mktemp("lookup"))  # the audit is on by default
    srv.start()
    yield srv
    srv.stop()


def _cli(server: LiveServer, home: Path, key: str, secret: str) -> Cli:
    return aws_cli(server, home, key=key, secret=secret, max_attempts=1)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def journey(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A created role, a denied call and a cross-account AssumeRole, all with the AWS CLI."""
    home = tmp_path_factory.mktemp("home")
    root = _cli(server, home, ROOT_KEY_ID, ROOT_SECRET)
    b_key, b_secret = create_account(server, B_ID)
    b_root = _cli(server, home, b_key, b_secret)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A_ID}:root"}, "Action": "sts:AssumeRole"}]})
    role = b_root("iam", "create-role", "--role-name", f"shared-{RUN}", "--assume-role-policy-document", trust)["Role"]
    user = f"assumer-{RUN}"
    root("iam", "create-user", "--user-name", user)
    root("iam", "put-user-policy", "--user-name", user, "--policy-name", "assume", "--policy-document", json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = root("iam", "create-access-key", "--user-name", user)["AccessKey"]
    assumer = _cli(server, home, key["AccessKeyId"], key["SecretAccessKey"])
    denied = assumer("iam", "list-roles", ok=False)
    assumed = assumer("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "cross")
    return {"root": root, "b_root": b_root, "assumer": assumer, "role": role, "user": user, "key": key,
            "denied": denied, "assumed": assumed}


def _lookup(cli: Cli, key: str, value: str) -> list[dict[str, Any]]:
    out = cli("cloudtrail", "lookup-events", "--lookup-attributes", f"AttributeKey={key},AttributeValue={value}")
    return list(out["Events"])


def test_lookup_events_shows_the_cross_account_assume_role_in_both_accounts(journey: dict[str, Any]) -> None:
    [mine] = _lookup(journey["root"], "EventName", "AssumeRole")
    [theirs] = _lookup(journey["b_root"], "EventName", "AssumeRole")
    a, b = json.loads(mine["CloudTrailEvent"]), json.loads(theirs["CloudTrailEvent"])
    assert a["recipientAccountId"] == A_ID and b["recipientAccountId"] == B_ID
    assert a["sharedEventID"] == b["sharedEventID"] and a["eventID"] != b["eventID"]
    assert mine["EventId"] == a["eventID"] and mine["EventSource"] == "sts.amazonaws.com"
    assert mine["Username"] == journey["user"] and mine["AccessKeyId"] == journey["key"]["AccessKeyId"]
    assert mine["ReadOnly"] == "true"  # CloudTrail marks STS's credential calls read-only
    issued = journey["assumed"]["Credentials"]
    assert {"ResourceType": "AWS::IAM::Role", "ResourceName": journey["role"]["Arn"]} in mine["Resources"]
    assert {"ResourceType": "AWS::IAM::AccessKey", "ResourceName": issued["AccessKeyId"]} in mine["Resources"]
    assert a["responseElements"]["credentials"]["accessKeyId"] == issued["AccessKeyId"]
    assert issued["SecretAccessKey"] not in mine["CloudTrailEvent"]
    assert issued["SessionToken"] not in mine["CloudTrailEvent"]


def test_lookup_events_shows_the_created_role_in_its_account_only(journey: dict[str, Any]) -> None:
    name = journey["role"]["RoleName"]
    [created] = _lookup(journey["b_root"], "ResourceName", name)
    record = json.loads(created["CloudTrailEvent"])
    assert created["EventName"] == "CreateRole" and created["ReadOnly"] == "false"
    assert record["requestParameters"]["roleName"] == name
    assert record["responseElements"]["role"]["arn"] == journey["role"]["Arn"]
    assert created["Username"] == "root"
    assert _lookup(journey["root"], "ResourceName", name) == []  # account A does not see B's records


def test_lookup_events_shows_the_denied_call_with_its_reason(journey: dict[str, Any]) -> None:
    assert "AccessDenied" in journey["denied"]
    events = _lookup(journey["root"], "AccessKeyId", journey["key"]["AccessKeyId"])
    [denied] = [e for e in events if e["EventName"] == "ListRoles"]
    record = json.loads(denied["CloudTrailEvent"])
    assert record["errorCode"] == "AccessDenied"
    assert "iam:ListRoles" in record["rolegateDenialReason"]
    assert record["responseElements"] is None


def test_lookup_events_pages_newest_first(journey: dict[str, Any]) -> None:
    root = journey["root"]
    # --page-size: the server's MaxResults, so the CLI's token carries the server's NextToken (the lookups themselves
    # are recorded meanwhile, newest, and must not shift the second page).
    first = root("cloudtrail", "lookup-events", "--page-size", "2", "--max-items", "2")
    assert len(first["Events"]) == 2 and first["NextToken"]
    times = [e["EventTime"] for e in first["Events"]]
    assert times == sorted(times, reverse=True)
    rest = root("cloudtrail", "lookup-events", "--starting-token", first["NextToken"], "--page-size", "2",
                "--max-items", "2")
    assert len(rest["Events"]) == 2
    assert {e["EventId"] for e in rest["Events"]}.isdisjoint({e["EventId"] for e in first["Events"]})


def test_lookup_events_refuses_two_attributes_a_reversed_range_and_a_foreign_token(journey: dict[str, Any]) -> None:
    root = journey["root"]
    two = root("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=A",
               "AttributeKey=Username,AttributeValue=root", ok=False)
    assert "InvalidLookupAttributesException" in two
    reversed_range = root("cloudtrail", "lookup-events", "--start-time", "2026-01-02T00:00:00Z",
                          "--end-time", "2026-01-01T00:00:00Z", ok=False)
    assert "InvalidTimeRangeException" in reversed_range
    foreign = root("cloudtrail", "lookup-events", "--no-paginate", "--next-token", "bm90LW91cnM=", ok=False)
    assert "InvalidNextTokenException" in foreign


def test_lookup_events_needs_cloudtrail_lookup_events(journey: dict[str, Any]) -> None:
    denied = journey["assumer"]("cloudtrail", "lookup-events", ok=False)
    assert "AccessDenied" in denied and "cloudtrail:LookupEvents" in denied
