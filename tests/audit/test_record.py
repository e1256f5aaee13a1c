"""The ``userIdentity`` of a record, for the callers whose shape rolegate decides (rolegate.audit.record)."""

from __future__ import annotations

import datetime as dt
import time
import uuid

from rolegate.audit.record import Request, event_id, records_for, user_identity
from rolegate.authz import SessionClaims, root_caller, session_caller

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
INSTANCE_ARN = "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0"


def test_an_instance_credential_is_recorded_as_the_instance() -> None:
    claims = SessionClaims(kind="Instance", account_id="111122223333", access_key_id="ASIAEXAMPLEINSTANCE1",
                           issued_at=T0, expires_at=T0 + dt.timedelta(hours=24), principal_id="i-0123456789abcdef0",
                           principal_arn=INSTANCE_ARN, principal_name="i-0123456789abcdef0", generation=2)
    found = user_identity(session_caller(claims, "us-east-1"), "GetInstanceRoleCredentials", {})
    assert (found["type"], found["principalId"], found["arn"]) == ("Instance", "i-0123456789abcdef0", INSTANCE_ARN)
    issuer = found["sessionContext"]["sessionIssuer"]
    assert (issuer["type"], issuer["arn"]) == ("Instance", INSTANCE_ARN)


def _assume_role(error_code: str | None) -> Request:
    caller = root_caller("111122223333", "AKIAEXAMPLEROOTKEY01", "us-east-1")
    return Request(request_id="r-1", event_source="sts.amazonaws.com", event_name="AssumeRole", service="sts",
                   time=T0, region="us-east-1", source_ip="127.0.0.1", user_agent="test", caller=caller,
                   params={"roleArn": "arn:aws:iam::444455556666:role/elsewhere", "roleSessionName": "s"},
                   result=None, error_code=error_code, error_message="denied" if error_code else None,
                   denial_reason=None, secure=False, host=None, tls_version=None, cipher_suite=None, secrets=())


def test_a_cross_account_assume_role_is_recorded_in_both_accounts_once_it_succeeded() -> None:
    mine, theirs = records_for(_assume_role(None), read_only=True)
    assert (mine["recipientAccountId"], theirs["recipientAccountId"]) == ("111122223333", "444455556666")
    assert mine["sharedEventID"] == theirs["sharedEventID"] and mine["eventID"] != theirs["eventID"]


def test_a_refused_one_only_in_the_callers_account_whose_role_account_may_not_exist() -> None:
    (only,) = records_for(_assume_role("AccessDenied"), read_only=True)
    assert only["recipientAccountId"] == "111122223333" and "sharedEventID" not in only


def test_event_ids_are_version_7_uuids_that_sort_by_time() -> None:
    """Time-ordered ids (RFC 9562 §5.7): the store's unique index on them grows at its end."""
    first = event_id()
    time.sleep(0.002)
    later = [event_id() for _ in range(200)]
    parsed = uuid.UUID(first)
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and str(parsed) == first
    assert all(first < other for other in later)
    assert len(set(later)) == 200
