"""The ``userIdentity`` of a record, for the callers whose shape rolegate decides (rolegate.audit.record)."""

from __future__ import annotations

import datetime as dt

from rolegate.audit.record import user_identity
from rolegate.authz import SessionClaims, session_caller

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
