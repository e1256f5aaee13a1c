"""The account password policy, the account alias, the credential report and GetAccountSummary through boto3
against the shared server. Account-wide settings are put back as found: other tests share the account."""

from __future__ import annotations

import base64
import csv
import io
import uuid
from typing import Any

import boto3
import botocore.config
import botocore.session
import pytest
from botocore.exceptions import ClientError

from tests.live import ROOT_KEY_ID, ROOT_SECRET, LiveServer

ACCOUNT = "123456789012"


@pytest.fixture
def unvalidated(server: LiveServer) -> Any:
    """A root client that sends what it is given: boto3's own checks would refuse the bad values first."""
    return boto3.session.Session().client(
        "iam", endpoint_url=server.url, region_name="us-east-1", aws_access_key_id=ROOT_KEY_ID,
        aws_secret_access_key=ROOT_SECRET,
        config=botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1}))


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = exc.value.response
    return str(r["Error"]["Code"]), int(r["ResponseMetadata"]["HTTPStatusCode"]), str(r["Error"]["Message"])


def test_the_password_policy_round_trips_with_aws_defaults(iam: Any) -> None:
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True,
                                       AllowUsersToChangePassword=True, MaxPasswordAge=90,
                                       PasswordReusePrevention=24, HardExpiry=False)
    try:
        policy = iam.get_account_password_policy()["PasswordPolicy"]
        assert policy == {"MinimumPasswordLength": 14, "RequireSymbols": True, "RequireNumbers": True,
                          "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
                          "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 90,
                          "PasswordReusePrevention": 24, "HardExpiry": False}
        iam.update_account_password_policy()  # every member left out: AWS's defaults
        assert iam.get_account_password_policy()["PasswordPolicy"] == {
            "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": False,
            "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
            "AllowUsersToChangePassword": False, "ExpirePasswords": False, "HardExpiry": False}
    finally:
        iam.delete_account_password_policy()
    with pytest.raises(ClientError) as exc:
        iam.get_account_password_policy()
    assert error(exc) == ("NoSuchEntity", 404, f"The Password Policy with domain name {ACCOUNT} cannot be found.")


@pytest.mark.parametrize("member, value", [("MinimumPasswordLength", 5), ("MinimumPasswordLength", 129),
                                           ("MaxPasswordAge", 0), ("MaxPasswordAge", 1096),
                                           ("PasswordReusePrevention", 25)])
def test_password_policy_values_out_of_range_are_validation_errors(iam: Any, unvalidated: Any, member: str,
                                                                   value: int) -> None:
    with pytest.raises(ClientError) as exc:
        unvalidated.update_account_password_policy(**{member: value})
    assert error(exc)[:2] == ("ValidationError", 400)
    with pytest.raises(ClientError):
        iam.get_account_password_policy()  # nothing was set


def test_an_account_alias_is_created_listed_and_deleted(iam: Any) -> None:
    alias = f"rolegate-{uuid.uuid4().hex[:10]}"
    iam.create_account_alias(AccountAlias=alias)
    try:
        assert iam.list_account_aliases()["AccountAliases"] == [alias]
        with pytest.raises(ClientError) as exc:
            iam.create_account_alias(AccountAlias=f"{alias}-2")
        assert error(exc)[:2] == ("LimitExceeded", 409)
    finally:
        iam.delete_account_alias(AccountAlias=alias)
    assert iam.list_account_aliases()["AccountAliases"] == []
    with pytest.raises(ClientError) as exc:
        iam.delete_account_alias(AccountAlias=alias)
    assert error(exc) == ("NoSuchEntity", 404, f"The account alias {alias} cannot be found.")


@pytest.mark.parametrize("alias", ["ab", "-starts-with-hyphen", "double--hyphen", "Upper", "a" * 64])
def test_a_malformed_alias_is_a_validation_error(iam: Any, unvalidated: Any, alias: str) -> None:
    with pytest.raises(ClientError) as exc:
        unvalidated.create_account_alias(AccountAlias=alias)
    assert error(exc)[:2] == ("ValidationError", 400)
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_the_credential_report_is_generated_then_read_as_csv(iam: Any) -> None:
    name = f"cr-{uuid.uuid4().hex[:10]}"
    iam.create_user(UserName=name)
    states = [iam.generate_credential_report()["State"] for _ in range(2)]
    assert states[-1] == "COMPLETE" and states[0] in ("STARTED", "COMPLETE")
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv" and "GeneratedTime" in report
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode("utf-8"))))
    assert rows[0]["user"] == "<root_account>" and rows[0]["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert rows[0]["access_key_1_active"] == "true"


def test_the_summary_map_has_every_key_of_the_model(iam: Any) -> None:
    summary = iam.get_account_summary()["SummaryMap"]
    model = botocore.session.get_session().get_service_model("iam")
    assert sorted(summary) == sorted(model.shape_for("summaryKeyType").enum)
    assert summary["AccountPasswordPresent"] == 0 and summary["AccountAccessKeysPresent"] == 1


def test_base64_on_the_wire_is_what_boto3_decodes(iam: Any) -> None:
    raw: list[bytes] = []

    def keep(http_response: Any, **_: Any) -> None:
        raw.append(http_response.content)

    iam.generate_credential_report()
    iam.meta.events.register("after-call.iam.GetCredentialReport", keep)
    try:
        content = iam.get_credential_report()["Content"]
    finally:
        iam.meta.events.unregister("after-call.iam.GetCredentialReport", keep)
    assert base64.b64encode(content) in raw[0]
