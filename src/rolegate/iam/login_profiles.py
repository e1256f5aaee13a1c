"""IAM users' console passwords: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile, DeleteLoginProfile and
ChangePassword, with the account password policy enforced on every new password (IAM API reference for each
operation; IAM User Guide, "Setting an account password policy for IAM users").

A password is hashed (``iam.passwords``) before anything is stored and is never returned, logged or audited.
rolegate has no console sign-in, so a password is never *used*: ``PasswordLastUsed`` stays absent from
GetUser, and HardExpiry (which only stops console sign-in with an expired password) is recorded, not applied.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from rolegate.authz import RequestContext
from rolegate.core.errors import (
    AccessDenied,
    EntityAlreadyExists,
    InvalidInput,
    InvalidUserType,
    NoSuchEntity,
    PasswordPolicyViolation,
)
from rolegate.store.ports import DuplicateKeyError

from . import passwords
from .entities import LoginProfileRecord, UserRecord
from .ports import HasAccounts, HasAccountSettings, IamStore
from .users import existing_user

# PasswordReusePrevention's largest value (UpdateAccountPasswordPolicy): no more history is ever asked for.
HISTORY = 24


class LoginProfileService:
    def __init__(self, store: IamStore) -> None:
        self._store = store

    def create_login_profile(self, request: RequestContext, user_name: str | None, password: str | None, *,
                             password_reset_required: bool = False,
                             max_signin_session_duration: int | None = None) -> tuple[UserRecord, LoginProfileRecord]:
        if user_name is None:
            # Without UserName AWS means the root user (centralized root access); rolegate keeps no root password.
            raise InvalidInput("rolegate keeps no console password for the root user: specify UserName.")
        if password is None:
            raise InvalidInput("Password is required to create a login profile for an IAM user.")
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, user_name)
            _check_new_password(tx, request.account_id, password, ())
            now = request.timestamp
            profile = LoginProfileRecord(account_id=request.account_id, user_id=user.user_id,
                                         password_hash=passwords.hash_password(password), created_at=now,
                                         password_changed_at=now, password_reset_required=password_reset_required,
                                         max_signin_session_duration=max_signin_session_duration)
            if tx.login_profiles.get(user.user_id) is not None:
                raise _already_exists(user.name)
            try:
                tx.login_profiles.create(profile)
            except DuplicateKeyError:
                raise _already_exists(user.name) from None
        return user, profile

    def get_login_profile(self, request: RequestContext, user_name: str | None) -> tuple[UserRecord, LoginProfileRecord]:
        with self._store.read() as tx:
            user = existing_user(tx, request.account_id, _named(user_name, request))
            return user, _existing_profile(tx.login_profiles.get(user.user_id), user.name)

    def update_login_profile(self, request: RequestContext, user_name: str, *, password: str | None = None,
                             password_reset_required: bool | None = None,
                             max_signin_session_duration: int | None = None,
                             reset_max_signin_session_duration: bool = False) -> None:
        if max_signin_session_duration is not None and reset_max_signin_session_duration:
            raise InvalidInput("Specify MaxSigninSessionDuration or ResetMaxSigninSessionDuration, not both.")
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, user_name)
            profile = _existing_profile(tx.login_profiles.get(user.user_id), user.name)
            if password is not None:
                profile = _with_new_password(tx, request, profile, password)
            if password_reset_required is not None:
                profile = dataclasses.replace(profile, password_reset_required=password_reset_required)
            if max_signin_session_duration is not None or reset_max_signin_session_duration:
                profile = dataclasses.replace(profile, max_signin_session_duration=max_signin_session_duration)
            tx.login_profiles.update(profile)

    def delete_login_profile(self, request: RequestContext, user_name: str | None) -> None:
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, _named(user_name, request))
            if not tx.login_profiles.delete(user.user_id):
                raise _no_profile(user.name)

    def change_password(self, request: RequestContext, old_password: str, new_password: str) -> None:
        """The calling IAM user's own password (IAM API reference, ChangePassword: "This operation can be called
        by IAM users only"; root and role sessions get InvalidUserType, as the AWS CLI's example says)."""
        caller = request.signed_caller()
        if caller.principal_type != "User" or caller.user_name is None:
            raise InvalidUserType("Only IAM users can change their own password with ChangePassword.")
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, caller.user_name)
            profile = _existing_profile(tx.login_profiles.get(user.user_id), user.name)
            if not passwords.password_matches(old_password, profile.password_hash):
                raise AccessDenied("The old password is incorrect.")
            profile = _with_new_password(tx, request, profile, new_password)
            # A password the user chose themself satisfies "must change at next sign-in".
            tx.login_profiles.update(dataclasses.replace(profile, password_reset_required=False))


class _PolicyReads(HasAccounts, HasAccountSettings, Protocol):
    """What checking a new password reads: the account's name and password policy."""


def _check_new_password(tx: _PolicyReads, account_id: str, password: str, recent_hashes: tuple[str, ...]) -> None:
    policy = tx.account_settings.get_password_policy(account_id)
    account = tx.accounts.get(account_id)
    passwords.check_against_policy(password, policy, account.name if account else "")
    reuse = policy.password_reuse_prevention if policy else None
    # PasswordReusePrevention: "the number of previous passwords that IAM users are prevented from reusing";
    # the current password counts as the most recent of them.
    if reuse and passwords.matches_any(password, recent_hashes[:reuse]):
        raise PasswordPolicyViolation(passwords.POLICY_VIOLATION)


def _with_new_password(tx: _PolicyReads, request: RequestContext, profile: LoginProfileRecord,
                       password: str) -> LoginProfileRecord:
    recent = (profile.password_hash, *profile.previous_hashes)
    _check_new_password(tx, request.account_id, password, recent)
    return dataclasses.replace(profile, password_hash=passwords.hash_password(password),
                               previous_hashes=recent[:HISTORY], password_changed_at=request.timestamp)


def _named(user_name: str | None, request: RequestContext) -> str:
    """UserName, or the calling user's name when it is left out (GetLoginProfile, DeleteLoginProfile)."""
    if user_name:
        return user_name
    caller = request.signed_caller()
    if caller.principal_type == "User" and caller.user_name:
        return caller.user_name
    raise NoSuchEntity("Login Profile for User root cannot be found.")


def _existing_profile(profile: LoginProfileRecord | None, user_name: str) -> LoginProfileRecord:
    if profile is None:
        raise _no_profile(user_name)
    return profile


def _no_profile(user_name: str) -> NoSuchEntity:
    return NoSuchEntity(f"Login Profile for User {user_name} cannot be found.")


def _already_exists(user_name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"Login Profile for user {user_name} already exists.")
