"""The credential report as the domain service builds it: AWS's state sequence (STARTED, then COMPLETE within
four hours), ReportNotPresent / ReportExpired, and the CSV's columns, order and formats."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from rolegate.core.clock import FixedClock
from rolegate.core.errors import CredentialReportExpired, CredentialReportNotPresent
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.account_settings import AccountSettingsService
from rolegate.iam.accounts import AccountService
from rolegate.iam.credential_report import COLUMNS, CredentialReportService
from rolegate.iam.login_profiles import LoginProfileService
from rolegate.iam.users import UserService
from rolegate.store.sql import SqlStore
from rolegate.sts.entities import MfaDeviceRecord

from .conftest import ACCOUNT, Requests

START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def reports(store: SqlStore, accounts: AccountService) -> CredentialReportService:
    return CredentialReportService(store)


def rows(report: CredentialReportService, req: Requests) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(report.get(req(ACCOUNT)).content)))


def test_the_first_call_starts_and_a_later_one_is_complete(reports: CredentialReportService, req: Requests) -> None:
    first = reports.generate(req(ACCOUNT))
    assert (first.state, first.description) == ("STARTED", "No report exists. Starting a new report generation task")
    assert reports.generate(req(ACCOUNT)).state == "COMPLETE"


def test_before_any_generation_get_is_report_not_present(reports: CredentialReportService, req: Requests) -> None:
    with pytest.raises(CredentialReportNotPresent) as exc:
        reports.get(req(ACCOUNT))
    assert (exc.value.code, exc.value.status) == ("ReportNotPresent", 410)


def test_a_report_older_than_four_hours_is_expired_until_generated_again(reports: CredentialReportService,
                                                                         clock: FixedClock, req: Requests) -> None:
    reports.generate(req(ACCOUNT))
    clock.advance(4 * 3600)
    with pytest.raises(CredentialReportExpired) as exc:
        reports.get(req(ACCOUNT))
    assert (exc.value.code, exc.value.status) == ("ReportExpired", 410)
    assert reports.generate(req(ACCOUNT)).state == "STARTED"
    assert reports.get(req(ACCOUNT)).generated_at == clock.now()


def test_the_report_has_iams_columns_in_order_and_the_root_row_first(reports: CredentialReportService,
                                                                     req: Requests) -> None:
    reports.generate(req(ACCOUNT))
    content = reports.get(req(ACCOUNT)).content
    assert content.splitlines()[0] == ",".join(COLUMNS)
    assert COLUMNS[:8] == ("user", "arn", "user_creation_time", "password_enabled", "password_last_used",
                           "password_last_changed", "password_next_rotation", "mfa_active")
    assert len(COLUMNS) == 22 and COLUMNS[-1] == "cert_2_last_rotated"
    root = rows(reports, req)[0]
    assert (root["user"], root["arn"], root["user_creation_time"]) == (
        "<root_account>", f"arn:aws:iam::{ACCOUNT}:root", "2026-01-01T00:00:00+00:00")
    assert (root["password_enabled"], root["password_last_changed"], root["password_next_rotation"]) == (
        "not_supported", "not_supported", "not_supported")
    assert (root["access_key_1_active"], root["access_key_1_last_rotated"]) == ("true", "2026-01-01T00:00:00+00:00")
    assert (root["access_key_2_active"], root["access_key_2_last_rotated"]) == ("false", "N/A")


def test_a_users_row_shows_password_keys_and_their_last_use(store: SqlStore, reports: CredentialReportService,
                                                            clock: FixedClock, req: Requests) -> None:
    UserService(store).create_user(req(ACCOUNT), "alice")
    UserService(store).create_user(req(ACCOUNT), "bob")
    AccountSettingsService(store).update_password_policy(req(ACCOUNT), max_password_age=30)
    clock.advance(3600)
    LoginProfileService(store).create_login_profile(req(ACCOUNT), "alice", "Correct-Horse-9")
    keys = AccessKeyService(store, clock)
    keys.record_use(keys.create_access_key(req(ACCOUNT), "alice").key, "s3", "eu-west-1")
    reports.generate(req(ACCOUNT))
    by_user = {r["user"]: r for r in rows(reports, req)}
    alice, bob = by_user["alice"], by_user["bob"]
    assert (alice["password_enabled"], alice["password_last_used"], alice["password_last_changed"],
            alice["password_next_rotation"]) == ("true", "no_information", "2026-01-01T01:00:00+00:00",
                                                 "2026-01-31T01:00:00+00:00")
    assert (alice["access_key_1_active"], alice["access_key_1_last_rotated"], alice["access_key_1_last_used_date"],
            alice["access_key_1_last_used_region"], alice["access_key_1_last_used_service"]) == (
        "true", "2026-01-01T01:00:00+00:00", "2026-01-01T01:00:00+00:00", "eu-west-1", "s3")
    assert (bob["password_enabled"], bob["password_last_used"], bob["password_next_rotation"]) == ("false", "N/A",
                                                                                                   "N/A")
    assert (bob["mfa_active"], bob["access_key_1_active"], bob["access_key_1_last_used_date"]) == ("false", "false",
                                                                                                   "N/A")
    assert (bob["cert_1_active"], bob["cert_1_last_rotated"]) == ("false", "N/A")


def test_the_report_is_a_snapshot_of_its_generation_time(store: SqlStore, reports: CredentialReportService,
                                                         req: Requests) -> None:
    reports.generate(req(ACCOUNT))
    UserService(store).create_user(req(ACCOUNT), "late")
    reports.generate(req(ACCOUNT))  # COMPLETE: the stored report stands
    assert [r["user"] for r in rows(reports, req)] == ["<root_account>"]


def test_mfa_active_is_true_for_a_user_with_an_enabled_device(store: SqlStore, reports: CredentialReportService,
                                                              clock: FixedClock, req: Requests) -> None:
    carol = UserService(store).create_user(req(ACCOUNT), "carol")
    with store.write() as tx:
        tx.mfa_devices.create(MfaDeviceRecord(
            serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/carol", account_id=ACCOUNT, name="carol", path="/",
            seed="JBSWY3DPEHPK3PXP", created_at=clock.now(), user_id=carol.user_id, enabled_at=clock.now()))
    reports.generate(req(ACCOUNT))
    assert {r["user"]: r["mfa_active"] for r in rows(reports, req)} == {"<root_account>": "false", "carol": "true"}
