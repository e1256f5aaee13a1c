"""The audit trail end to end with boto3: each answered request, accepted or refused, is a CloudTrail record in
the audit log under the data dir (drained from the store copy), with the request id the client saw; a cross-account AssumeRole is recorded in
both accounts with one ``sharedEventID``; a denial carries its reason; no secret the calls produced appears."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rolegate.audit.files import read_trail
from tests.live import ROOT_SECRET, LiveServer, create_account

pytestmark = pytest.mark.live

B_ID = "444455556666"


def records(server: LiveServer) -> list[dict[str, Any]]:
    return list(read_trail(server.data_dir / "audit"))


def trail_text(server: LiveServer) -> str:
    """Every byte of the trail as text, the delivered files uncompressed."""
    return "\n".join(json.dumps(r) for r in records(server))


def by_request(server: LiveServer, request_id: str) -> list[dict[str, Any]]:
    """The request's records in the audit files, which the drain writes from the store shortly after the call."""
    deadline = time.monotonic() + 10
    while True:
        found = [r for r in records(server) if r["requestID"] == request_id]
        if found and all(not r.get("rolegateResponseUnrecorded") for r in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    srv = LiveServer(tmp_path_factory.mktemp("audit"), env={"ROLEGATE_AUDIT": "true"})
    srv.start()
    yield srv
    srv.stop()


def test_create_role_is_recorded_with_the_request_id_the_client_saw(trail: LiveServer) -> None:
    iam = trail.client("iam")
    name = f"audited-{uuid.uuid4().hex[:8]}"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
    res = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    [record] = by_request(trail, res["ResponseMetadata"]["RequestId"])
    assert record["eventSource"] == "iam.amazonaws.com"
    assert record["eventName"] == "CreateRole"
    assert record["readOnly"] is False
    assert record["requestParameters"]["roleName"] == name
    assert record["responseElements"]["role"]["arn"] == res["Role"]["Arn"]
    assert record["userIdentity"]["type"] == "Root"
    assert record["recipientAccountId"] == "123456789012"
    assert {"eventVersion", "eventTime", "eventID", "eventType", "managementEvent", "eventCategory", "awsRegion",
            "sourceIPAddress", "userAgent"} <= set(record)
    assert "Boto3" in record["userAgent"]


def test_a_denied_call_is_recorded_with_its_reason(trail: LiveServer) -> None:
    iam = trail.client("iam")
    user = f"nobody-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    weak = trail.client("iam", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(ClientError) as exc:
        weak.list_roles()
    [record] = by_request(trail, exc.value.response["ResponseMetadata"]["RequestId"])
    assert record["errorCode"] == "AccessDenied"
    assert "iam:ListRoles" in record["rolegateDenialReason"]
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["userIdentity"]["accessKeyId"] == key["AccessKeyId"]
    assert record["responseElements"] is None


def test_cross_account_assume_role_is_recorded_in_both_accounts(trail: LiveServer) -> None:
    key, secret = create_account(trail, B_ID)
    b_iam = trail.client("iam", key_id=key, secret=secret)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
    role = b_iam.create_role(RoleName="shared", AssumeRolePolicyDocument=trust)["Role"]
    iam = trail.client("iam")
    user = f"assumer-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    mykey = iam.create_access_key(UserName=user)["AccessKey"]
    sts = trail.client("sts", key_id=mykey["AccessKeyId"], secret=mykey["SecretAccessKey"])
    res = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="audit-me")
    mine, theirs = by_request(trail, res["ResponseMetadata"]["RequestId"])
    assert mine["recipientAccountId"] == "123456789012"
    assert theirs["recipientAccountId"] == B_ID
    assert mine["sharedEventID"] == theirs["sharedEventID"]
    assert mine["eventID"] != theirs["eventID"]
    assert mine["eventSource"] == "sts.amazonaws.com"
    creds = res["Credentials"]
    assert mine["responseElements"]["credentials"]["accessKeyId"] == creds["AccessKeyId"]
    # the session's own calls carry its identity
    session = trail.client("sts", key_id=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    who = session.get_caller_identity()
    [call] = by_request(trail, who["ResponseMetadata"]["RequestId"])
    identity = call["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == role["Arn"]
    assert identity["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    text = trail_text(trail)
    for value in (creds["SecretAccessKey"], creds["SessionToken"], secret, ROOT_SECRET):
        assert value not in text


def test_no_secret_access_key_is_recorded(trail: LiveServer) -> None:
    iam = trail.client("iam")
    user = f"keyed-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    res = iam.create_access_key(UserName=user)
    [record] = by_request(trail, res["ResponseMetadata"]["RequestId"])
    assert record["responseElements"]["accessKey"]["secretAccessKey"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert res["AccessKey"]["SecretAccessKey"] not in trail_text(trail)
