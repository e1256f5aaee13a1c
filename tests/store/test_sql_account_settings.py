"""The store's contract for login profiles and for what an account has one of (password policy, alias,
credential report), on every backend."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from rolegate.iam.entities import (
    AccountRecord,
    CredentialReportRecord,
    LoginProfileRecord,
    PasswordPolicyRecord,
    UserRecord,
)
from rolegate.store.ports import DuplicateKeyError
from rolegate.store.sql import SqlStore

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
ACCT, OTHER = "111122223333", "444455556666"
USER_ID = "AIDA00000000000000001"


@pytest.fixture
def accounts(store: SqlStore) -> SqlStore:
    with store.write() as tx:
        tx.accounts.create(AccountRecord(ACCT, "acct", T0))
        tx.accounts.create(AccountRecord(OTHER, "other", T0))
        tx.users.create(UserRecord(account_id=ACCT, user_id=USER_ID, name="alice", path="/",
                                   arn=f"arn:aws:iam::{ACCT}:user/alice", created_at=T0))
    return store


def _profile() -> LoginProfileRecord:
    return LoginProfileRecord(account_id=ACCT, user_id=USER_ID, password_hash="argon2id$m=1,t=1,p=1$c2FsdA==$aA==",
                              created_at=T0, password_changed_at=T0, password_reset_required=True,
                              max_signin_session_duration=7200, previous_hashes=("old-2", "old-1"))


def test_a_login_profile_reads_back_with_its_history_and_is_listed_by_account(accounts: SqlStore) -> None:
    with accounts.write() as tx:
        tx.login_profiles.create(_profile())
    with accounts.read() as tx:
        assert tx.login_profiles.get(USER_ID) == _profile()
        assert tx.login_profiles.list_for_account(ACCT) == [_profile()]
        assert tx.login_profiles.list_for_account(OTHER) == []


def test_a_second_login_profile_for_a_user_is_a_duplicate_key(accounts: SqlStore) -> None:
    with accounts.write() as tx:
        tx.login_profiles.create(_profile())
        with pytest.raises(DuplicateKeyError):
            tx.login_profiles.create(_profile())


def test_a_login_profile_update_writes_every_mutable_field_and_delete_says_whether_it_removed(
        accounts: SqlStore) -> None:
    changed = dataclasses.replace(_profile(), password_hash="new", previous_hashes=("p",),
                                  password_changed_at=T0 + dt.timedelta(days=1), password_reset_required=False,
                                  max_signin_session_duration=None)
    with accounts.write() as tx:
        tx.login_profiles.create(_profile())
        tx.login_profiles.update(changed)
    with accounts.read() as tx:
        assert tx.login_profiles.get(USER_ID) == changed
    with accounts.write() as tx:
        assert tx.login_profiles.delete(USER_ID) is True
        assert tx.login_profiles.delete(USER_ID) is False


def test_a_password_policy_is_replaced_whole_and_kept_per_account(accounts: SqlStore) -> None:
    first = PasswordPolicyRecord(account_id=ACCT, minimum_password_length=14, require_symbols=True,
                                 max_password_age=90, password_reuse_prevention=24, hard_expiry=True)
    second = PasswordPolicyRecord(account_id=ACCT, require_numbers=True)
    with accounts.write() as tx:
        tx.account_settings.put_password_policy(first)
    with accounts.read() as tx:
        assert tx.account_settings.get_password_policy(ACCT) == first
        assert tx.account_settings.get_password_policy(OTHER) is None
    with accounts.write() as tx:
        tx.account_settings.put_password_policy(second)
    with accounts.read() as tx:
        assert tx.account_settings.get_password_policy(ACCT) == second
    with accounts.write() as tx:
        assert tx.account_settings.delete_password_policy(ACCT) is True
        assert tx.account_settings.delete_password_policy(ACCT) is False


def test_an_alias_names_one_account_and_an_account_has_one_alias(accounts: SqlStore) -> None:
    with accounts.write() as tx:
        tx.account_settings.set_alias(ACCT, "first")
        tx.account_settings.set_alias(ACCT, "second")  # replaces the account's alias
    with accounts.read() as tx:
        assert (tx.account_settings.get_alias(ACCT), tx.account_settings.account_with_alias("second")) == (
            "second", ACCT)
        assert tx.account_settings.account_with_alias("first") is None
    with accounts.write() as tx:
        with pytest.raises(DuplicateKeyError):
            tx.account_settings.set_alias(OTHER, "second")
    with accounts.write() as tx:
        assert tx.account_settings.delete_alias(ACCT) is True
        assert tx.account_settings.get_alias(ACCT) is None


def test_a_credential_report_is_replaced_by_the_next_one(accounts: SqlStore) -> None:
    later = CredentialReportRecord(ACCT, T0 + dt.timedelta(hours=5), "user,arn\nb,c\n")
    with accounts.write() as tx:
        tx.account_settings.put_credential_report(CredentialReportRecord(ACCT, T0, "user,arn\na,b\n"))
        tx.account_settings.put_credential_report(later)
    with accounts.read() as tx:
        assert tx.account_settings.get_credential_report(ACCT) == later
        assert tx.account_settings.get_credential_report(OTHER) is None
