"""The SQL repositories of IAM users' login profiles (password hashes) and of what an account has one of: its
password policy, its alias and its latest credential report."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, select, update

from rolegate.iam.entities import CredentialReportRecord, LoginProfileRecord, PasswordPolicyRecord
from rolegate.store import schema as t

from .rows import insert_row, utc

_L = t.login_profiles
_P = t.account_password_policies
_A = t.account_aliases
_R = t.credential_reports


class SqlLoginProfiles:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def create(self, profile: LoginProfileRecord) -> None:
        insert_row(self._c, _L, user_id=profile.user_id, account_id=profile.account_id,
                   created_at=profile.created_at, **_profile_values(profile))

    def get(self, user_id: str) -> LoginProfileRecord | None:
        row = self._c.execute(select(_L).where(_L.c.user_id == user_id)).first()
        return _profile(row) if row else None

    def update(self, profile: LoginProfileRecord) -> None:
        self._c.execute(update(_L).where(_L.c.user_id == profile.user_id).values(**_profile_values(profile)))

    def delete(self, user_id: str) -> bool:
        return bool(self._c.execute(delete(_L).where(_L.c.user_id == user_id)).rowcount)

    def list_for_account(self, account_id: str) -> list[LoginProfileRecord]:
        rows = self._c.execute(select(_L).where(_L.c.account_id == account_id).order_by(_L.c.user_id))
        return [_profile(r) for r in rows]


def _profile_values(profile: LoginProfileRecord) -> dict[str, Any]:
    return {"password_hash": profile.password_hash, "previous_hashes": json.dumps(list(profile.previous_hashes)),
            "password_changed_at": profile.password_changed_at,
            "password_reset_required": profile.password_reset_required,
            "max_signin_session_duration": profile.max_signin_session_duration}


def _profile(row: Any) -> LoginProfileRecord:
    return LoginProfileRecord(account_id=row.account_id, user_id=row.user_id, password_hash=row.password_hash,
                              created_at=utc(row.created_at), password_changed_at=utc(row.password_changed_at),
                              password_reset_required=bool(row.password_reset_required),
                              max_signin_session_duration=row.max_signin_session_duration,
                              previous_hashes=tuple(json.loads(row.previous_hashes)))


class SqlAccountSettings:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    # --- password policy -------------------------------------------------------------------------------

    def get_password_policy(self, account_id: str) -> PasswordPolicyRecord | None:
        row = self._c.execute(select(_P).where(_P.c.account_id == account_id)).first()
        if row is None:
            return None
        return PasswordPolicyRecord(
            account_id=row.account_id, minimum_password_length=row.minimum_password_length,
            require_symbols=bool(row.require_symbols), require_numbers=bool(row.require_numbers),
            require_uppercase_characters=bool(row.require_uppercase_characters),
            require_lowercase_characters=bool(row.require_lowercase_characters),
            allow_users_to_change_password=bool(row.allow_users_to_change_password),
            max_password_age=row.max_password_age, password_reuse_prevention=row.password_reuse_prevention,
            hard_expiry=bool(row.hard_expiry))

    def put_password_policy(self, policy: PasswordPolicyRecord) -> None:
        self.delete_password_policy(policy.account_id)
        insert_row(self._c, _P, account_id=policy.account_id,
                   minimum_password_length=policy.minimum_password_length,
                   require_symbols=policy.require_symbols, require_numbers=policy.require_numbers,
                   require_uppercase_characters=policy.require_uppercase_characters,
                   require_lowercase_characters=policy.require_lowercase_characters,
                   allow_users_to_change_password=policy.allow_users_to_change_password,
                   max_password_age=policy.max_password_age,
                   password_reuse_prevention=policy.password_reuse_prevention, hard_expiry=policy.hard_expiry)

    def delete_password_policy(self, account_id: str) -> bool:
        return bool(self._c.execute(delete(_P).where(_P.c.account_id == account_id)).rowcount)

    # --- alias -----------------------------------------------------------------------------------------

    def get_alias(self, account_id: str) -> str | None:
        found: str | None = self._c.execute(select(_A.c.alias).where(_A.c.account_id == account_id)).scalar()
        return found

    def account_with_alias(self, alias: str) -> str | None:
        found: str | None = self._c.execute(select(_A.c.account_id).where(_A.c.alias == alias)).scalar()
        return found

    def set_alias(self, account_id: str, alias: str) -> None:
        self.delete_alias(account_id)
        insert_row(self._c, _A, account_id=account_id, alias=alias)

    def delete_alias(self, account_id: str) -> bool:
        return bool(self._c.execute(delete(_A).where(_A.c.account_id == account_id)).rowcount)

    # --- credential report -----------------------------------------------------------------------------

    def get_credential_report(self, account_id: str) -> CredentialReportRecord | None:
        row = self._c.execute(select(_R).where(_R.c.account_id == account_id)).first()
        return CredentialReportRecord(row.account_id, utc(row.generated_at), row.content) if row else None

    def put_credential_report(self, report: CredentialReportRecord) -> None:
        self._c.execute(delete(_R).where(_R.c.account_id == report.account_id))
        insert_row(self._c, _R, account_id=report.account_id, generated_at=report.generated_at,
                   content=report.content)
