"""Login profiles as the domain service keeps them: passwords hashed, never stored or returned as text; the
account password policy (or IAM's default) enforced on every new password; reuse prevention; ChangePassword
for the calling IAM user only; DeleteUser blocked while a login profile exists."""

from __future__ import annotations

import pytest

from rolegate.authz import Caller
from rolegate.core.clock import FixedClock
from rolegate.core.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    EntityTemporarilyUnmodifiable,
    InvalidInput,
    InvalidUserType,
    NoSuchEntity,
    PasswordPolicyViolation,
)
from rolegate.iam import passwords
from rolegate.iam.account_settings import AccountSettingsService
from rolegate.iam.accounts import AccountService
from rolegate.iam.entities import UserRecord
from rolegate.iam.login_profiles import LoginProfileService
from rolegate.iam.users import UserService
from rolegate.store.sql import SqlStore

from .conftest import ACCOUNT, Requests

GOOD = "Correct-Horse-9"  # meets IAM's default policy: 8+ characters, four classes
OTHER_GOOD = "Battery-Staple-7"


@pytest.fixture
def users(store: SqlStore, accounts: AccountService) -> UserService:
    return UserService(store)


@pytest.fixture
def profiles(store: SqlStore, accounts: AccountService) -> LoginProfileService:
    return LoginProfileService(store)


@pytest.fixture
def settings(store: SqlStore, accounts: AccountService) -> AccountSettingsService:
    return AccountSettingsService(store)


@pytest.fixture
def alice(users: UserService, req: Requests) -> UserRecord:
    return users.create_user(req(ACCOUNT), "alice")


def as_user(user: UserRecord) -> Caller:
    return Caller(account_id=user.account_id, arn=user.arn, user_id=user.user_id, principal_type="User",
                  user_name=user.name)


def test_a_login_profile_keeps_only_a_salted_memory_hard_hash(profiles: LoginProfileService, alice: UserRecord,
                                                              store: SqlStore, req: Requests) -> None:
    _, created = profiles.create_login_profile(req(ACCOUNT), "alice", GOOD)
    other_user = UserService(store).create_user(req(ACCOUNT), "bob")
    _, other = profiles.create_login_profile(req(ACCOUNT), other_user.name, GOOD)
    assert GOOD not in created.password_hash
    assert created.password_hash.startswith("argon2id$m=19456,t=2,p=1$")
    assert created.password_hash != other.password_hash  # salted: the same password hashes differently
    assert passwords.password_matches(GOOD, created.password_hash)
    assert not passwords.password_matches(OTHER_GOOD, created.password_hash)


def test_get_login_profile_reports_create_date_and_the_reset_flag(profiles: LoginProfileService, alice: UserRecord,
                                                                  clock: FixedClock, req: Requests) -> None:
    profiles.create_login_profile(req(ACCOUNT), "ALICE", GOOD, password_reset_required=True)
    user, profile = profiles.get_login_profile(req(ACCOUNT), "alice")
    assert (user.name, profile.created_at, profile.password_reset_required) == ("alice", clock.now(), True)


def test_a_second_login_profile_is_entity_already_exists(profiles: LoginProfileService, alice: UserRecord,
                                                         req: Requests) -> None:
    profiles.create_login_profile(req(ACCOUNT), "alice", GOOD)
    with pytest.raises(EntityAlreadyExists, match="^Login Profile for user alice already exists.$"):
        profiles.create_login_profile(req(ACCOUNT), "alice", OTHER_GOOD)


def test_a_missing_login_profile_is_no_such_entity_in_iam_words(profiles: LoginProfileService, alice: UserRecord,
                                                                req: Requests) -> None:
    with pytest.raises(NoSuchEntity, match="^Login Profile for User alice cannot be found.$"):
        profiles.get_login_profile(req(ACCOUNT), "alice")
    with pytest.raises(NoSuchEntity, match="^Login Profile for User alice cannot be found.$"):
        profiles.delete_login_profile(req(ACCOUNT), "alice")
    with pytest.raises(NoSuchEntity, match="^The user with name nobody cannot be found.$"):
        profiles.create_login_profile(req(ACCOUNT), "nobody", GOOD)


def test_creating_a_login_profile_needs_a_password(profiles: LoginProfileService, alice: UserRecord,
                                                   req: Requests) -> None:
    with pytest.raises(InvalidInput):
        profiles.create_login_profile(req(ACCOUNT), "alice", None)


@pytest.mark.parametrize("weak", ["Short-1", "alllowercase1", "NoDigitsOrSymbols", "test"])
def test_without_a_custom_policy_iams_default_policy_applies(profiles: LoginProfileService, alice: UserRecord,
                                                             req: Requests, weak: str) -> None:
    # 8+ characters, three of four classes, not the account's name (the account is named "test").
    with pytest.raises(PasswordPolicyViolation, match="^Password does not conform to the account password policy.$"):
        profiles.create_login_profile(req(ACCOUNT), "alice", weak)
    with pytest.raises(NoSuchEntity):
        profiles.get_login_profile(req(ACCOUNT), "alice")  # nothing was stored


def test_a_custom_policy_sets_length_and_required_classes(profiles: LoginProfileService, alice: UserRecord,
                                                          settings: AccountSettingsService, req: Requests) -> None:
    settings.update_password_policy(req(ACCOUNT), minimum_password_length=6)
    profiles.create_login_profile(req(ACCOUNT), "alice", "simple")  # the default policy would refuse it
    profiles.delete_login_profile(req(ACCOUNT), "alice")
    settings.update_password_policy(req(ACCOUNT), minimum_password_length=12, require_symbols=True,
                                    require_numbers=True, require_uppercase_characters=True,
                                    require_lowercase_characters=True)
    for weak in ("Aa1!short", "NoSymbolsHere123", "no-upper-case-1", "NO-LOWER-CASE-1", "No-Digits-Here"):
        with pytest.raises(PasswordPolicyViolation):
            profiles.create_login_profile(req(ACCOUNT), "alice", weak)
    profiles.create_login_profile(req(ACCOUNT), "alice", "Long-Enough-1")


def test_update_login_profile_sets_a_new_password_and_the_reset_flag(profiles: LoginProfileService,
                                                                     alice: UserRecord, clock: FixedClock,
                                                                     req: Requests) -> None:
    _, before = profiles.create_login_profile(req(ACCOUNT), "alice", GOOD)
    clock.advance(60)
    profiles.update_login_profile(req(ACCOUNT), "alice", password=OTHER_GOOD, password_reset_required=True)
    _, after = profiles.get_login_profile(req(ACCOUNT), "alice")
    assert passwords.password_matches(OTHER_GOOD, after.password_hash)
    assert after.password_reset_required and after.created_at == before.created_at
    assert after.password_changed_at == clock.now()
    with pytest.raises(PasswordPolicyViolation):
        profiles.update_login_profile(req(ACCOUNT), "alice", password="weak")
    assert passwords.password_matches(OTHER_GOOD, profiles.get_login_profile(req(ACCOUNT), "alice")[1].password_hash)


def test_reuse_prevention_refuses_the_last_n_passwords(profiles: LoginProfileService, alice: UserRecord,
                                                       settings: AccountSettingsService, req: Requests) -> None:
    settings.update_password_policy(req(ACCOUNT), minimum_password_length=8, password_reuse_prevention=2)
    profiles.create_login_profile(req(ACCOUNT), "alice", "First-pass-1")
    profiles.update_login_profile(req(ACCOUNT), "alice", password="Second-pass-2")
    for reused in ("Second-pass-2", "First-pass-1"):  # the current one and the one before it
        with pytest.raises(PasswordPolicyViolation):
            profiles.update_login_profile(req(ACCOUNT), "alice", password=reused)
    profiles.update_login_profile(req(ACCOUNT), "alice", password="Third-pass-3")
    profiles.update_login_profile(req(ACCOUNT), "alice", password="First-pass-1")  # now three back: allowed


def test_change_password_checks_the_old_one_and_clears_the_reset_flag(profiles: LoginProfileService,
                                                                      alice: UserRecord, req: Requests) -> None:
    profiles.create_login_profile(req(ACCOUNT), "alice", GOOD, password_reset_required=True)
    with pytest.raises(AccessDenied, match="^The old password is incorrect.$"):
        profiles.change_password(req(as_user(alice)), OTHER_GOOD, "Brand-New-Pass-1")
    profiles.change_password(req(as_user(alice)), GOOD, OTHER_GOOD)
    _, profile = profiles.get_login_profile(req(ACCOUNT), "alice")
    assert passwords.password_matches(OTHER_GOOD, profile.password_hash) and not profile.password_reset_required


def test_change_password_enforces_the_policy_on_the_new_password(profiles: LoginProfileService, alice: UserRecord,
                                                                 req: Requests) -> None:
    profiles.create_login_profile(req(ACCOUNT), "alice", GOOD)
    with pytest.raises(PasswordPolicyViolation):
        profiles.change_password(req(as_user(alice)), GOOD, "weak")


def test_change_password_is_for_iam_users_only(profiles: LoginProfileService, alice: UserRecord,
                                               req: Requests) -> None:
    with pytest.raises(InvalidUserType):
        profiles.change_password(req(ACCOUNT), GOOD, OTHER_GOOD)  # the root user


def test_change_password_without_a_login_profile_is_no_such_entity(profiles: LoginProfileService,
                                                                   alice: UserRecord, req: Requests) -> None:
    with pytest.raises(NoSuchEntity, match="^Login Profile for User alice cannot be found.$"):
        profiles.change_password(req(as_user(alice)), GOOD, OTHER_GOOD)


def test_delete_user_refuses_while_a_login_profile_exists(profiles: LoginProfileService, users: UserService,
                                                          alice: UserRecord, req: Requests) -> None:
    profiles.create_login_profile(req(ACCOUNT), "alice", GOOD)
    with pytest.raises(DeleteConflict, match="^Cannot delete entity, must delete login profile first.$"):
        users.delete_user(req(ACCOUNT), "alice")
    profiles.delete_login_profile(req(ACCOUNT), "alice")
    users.delete_user(req(ACCOUNT), "alice")


def test_a_password_set_by_another_request_meanwhile_is_entity_temporarily_unmodifiable(
        profiles: LoginProfileService, alice: UserRecord, req: Requests, monkeypatch: pytest.MonkeyPatch) -> None:
    # Hashing runs between the read and the write transaction; another request that sets a password in that
    # window wins, and this one changes nothing.
    profiles.create_login_profile(req(ACCOUNT), "alice", GOOD)
    real_hash = passwords.hash_password
    calls: list[str] = []

    def hash_while_another_request_writes(password: str) -> str:
        calls.append(password)
        if len(calls) == 1:
            profiles.update_login_profile(req(ACCOUNT), "alice", password=OTHER_GOOD)
        return real_hash(password)

    monkeypatch.setattr(passwords, "hash_password", hash_while_another_request_writes)
    with pytest.raises(EntityTemporarilyUnmodifiable):
        profiles.change_password(req(as_user(alice)), GOOD, "Third-Password-3")
    assert passwords.password_matches(OTHER_GOOD, profiles.get_login_profile(req(ACCOUNT), "alice")[1].password_hash)
