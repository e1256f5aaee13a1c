"""The credential report: GenerateCredentialReport and GetCredentialReport, a CSV of every user's credentials.

Columns, order and formats follow the IAM User Guide, "Generate credential reports for your AWS account"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/credential-reports.html): one row per IAM user plus the
``<root_account>`` row; times in ISO 8601 with offset (``2026-01-01T00:00:00+00:00``); booleans ``true`` /
``false``; ``N/A`` where a credential is absent or was never used; ``not_supported`` for the root user's
password columns; ``no_information`` for a password never used (rolegate has no console sign-in, so always).

The report is generated synchronously, but the answers keep AWS's sequence: the call that generates answers
``STARTED``, a later call within four hours answers ``COMPLETE`` ("If the existing report is more than four
hours old, IAM generates a new one"). A report older than four hours is ``ReportExpired`` for
GetCredentialReport until it is generated again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rolegate.authz import RequestContext
from rolegate.core.bookkeeping import Bookkeeping
from rolegate.core.arns import account_root_arn
from rolegate.core.errors import CredentialReportExpired, CredentialReportNotPresent

from .entities import AccessKeyRecord, CredentialReportRecord, LoginProfileRecord, PasswordPolicyRecord, UserRecord
from .ports import IamStore, IamTransaction

REPORT_FORMAT = "text/csv"
REPORT_LIFETIME = dt.timedelta(hours=4)
COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)
NA, NOT_SUPPORTED, NO_INFORMATION = "N/A", "not_supported", "no_information"
ROOT_ROW_NAME = "<root_account>"
_PAGE = 1000

#: A user's signing certificates as the report shows them: (active, uploaded at), oldest first. Signing
#: certificates are another part of the IAM API; until they are stored, every user has none.
SigningCertificates = Callable[[IamTransaction, str | None], Sequence[tuple[bool, dt.datetime]]]


def no_signing_certificates(tx: IamTransaction, user_id: str | None) -> Sequence[tuple[bool, dt.datetime]]:
    return ()


@dataclass(frozen=True, slots=True)
class GenerationState:
    state: str  # STARTED | COMPLETE
    description: str


class CredentialReportService:
    def __init__(self, store: IamStore, certificates: SigningCertificates = no_signing_certificates, *,
                 bookkeeping: Bookkeeping[Any] | None = None) -> None:
        self._store = store
        self._certificates = certificates
        # Settled before a read that shows last use (``rolegate.core.bookkeeping``); None: nothing is deferred.
        self._bookkeeping = bookkeeping

    def generate(self, request: RequestContext) -> GenerationState:
        now = request.timestamp
        if self._bookkeeping is not None:
            self._bookkeeping.catch_up()
        with self._store.write() as tx:
            existing = tx.account_settings.get_credential_report(request.account_id)
            if existing is not None and now - existing.generated_at < REPORT_LIFETIME:
                return GenerationState("COMPLETE", "")
            content = _report(tx, request.account_id, self._certificates)
            tx.account_settings.put_credential_report(CredentialReportRecord(request.account_id, now, content))
        return GenerationState("STARTED", "No report exists. Starting a new report generation task")

    def get(self, request: RequestContext) -> CredentialReportRecord:
        with self._store.read() as tx:
            report = tx.account_settings.get_credential_report(request.account_id)
        if report is None:
            # Messages: the API reference's descriptions of the two errors (GetCredentialReport, "Errors").
            raise CredentialReportNotPresent(
                "The request was rejected because the credential report does not exist. To generate a credential "
                "report, use GenerateCredentialReport.")
        if request.timestamp - report.generated_at >= REPORT_LIFETIME:
            raise CredentialReportExpired(
                "The request was rejected because the most recent credential report has expired. To generate a "
                "new credential report, use GenerateCredentialReport.")
        return report


def _report(tx: IamTransaction, account_id: str, certificates: SigningCertificates) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    account = tx.accounts.get(account_id)
    assert account is not None  # the caller's account exists
    root_keys = tx.access_keys.list_for_user(account_id, None)
    writer.writerow([ROOT_ROW_NAME, account_root_arn(account_id, account.partition), _time(account.created_at), NOT_SUPPORTED,
                     NA, NOT_SUPPORTED, NOT_SUPPORTED, "false",  # the root user has no MFA here
                     *_keys(root_keys), *_certs(certificates(tx, None))])
    profiles = {p.user_id: p for p in tx.login_profiles.list_for_account(account_id)}
    mfa_users = {d.user_id for d in tx.mfa_devices.list_for_account(account_id) if d.user_id is not None}
    policy = tx.account_settings.get_password_policy(account_id)
    for user in _all_users(tx, account_id):
        writer.writerow([user.name, user.arn, _time(user.created_at),
                         *_password(profiles.get(user.user_id), policy),
                         _bool(user.user_id in mfa_users),
                         *_keys(tx.access_keys.list_for_user(account_id, user.user_id)),
                         *_certs(certificates(tx, user.user_id))])
    return out.getvalue()


def _all_users(tx: IamTransaction, account_id: str) -> list[UserRecord]:
    users: list[UserRecord] = []
    after: str | None = None
    while True:
        page = tx.users.list_for_account(account_id, "/", after, _PAGE)
        users += page
        if len(page) < _PAGE:
            return users
        after = page[-1].name.lower()


def _password(profile: LoginProfileRecord | None, policy: PasswordPolicyRecord | None) -> list[str]:
    """password_enabled, password_last_used, password_last_changed, password_next_rotation."""
    if profile is None:
        return ["false", NA, NA, NA]
    rotation = NA
    if policy is not None and policy.max_password_age:
        rotation = _time(profile.password_changed_at + dt.timedelta(days=policy.max_password_age))
    return ["true", NO_INFORMATION, _time(profile.password_changed_at), rotation]


def _keys(keys: Sequence[AccessKeyRecord]) -> list[str]:
    """The five columns of each of the first two access keys (oldest first)."""
    cells: list[str] = []
    for i in range(2):
        if i >= len(keys):
            cells += ["false", NA, NA, NA, NA]
            continue
        k = keys[i]
        used = k.last_used_at is not None
        cells += [_bool(k.status == "Active"), _time(k.created_at), _time(k.last_used_at) if used else NA,
                  (k.last_used_region or NA) if used else NA, (k.last_used_service or NA) if used else NA]
    return cells


def _certs(certs: Sequence[tuple[bool, dt.datetime]]) -> list[str]:
    cells: list[str] = []
    for i in range(2):
        cells += [_bool(certs[i][0]), _time(certs[i][1])] if i < len(certs) else ["false", NA]
    return cells


def _time(when: dt.datetime | None) -> str:
    assert when is not None
    return when.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def _bool(value: bool) -> str:
    return "true" if value else "false"
