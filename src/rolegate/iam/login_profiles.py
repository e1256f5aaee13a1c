"""IAM users' console passwords: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile, DeleteLoginProfile and
ChangePassword, with the account password policy enforced on every new password (IAM API reference for each
operation; IAM User Guide, "Setting an account password policy for IAM users").

A password is hashed (``iam.passwords``) before anything is stored and is never returned, logged or audited.
Hashing and verifying are deliberately slow (a memory-hard KDF, about 20 ms each, and reuse
prevention may verify 24 old hashes), so they run between a read and a write transaction, never inside a
write: the write re-reads the profile and refuses with EntityTemporarilyUnmodifiable if another request
changed the password in between.

rolegate has no console sign-in, so a password is never *used*: ``PasswordLastUsed`` stays absent from
GetUser, and HardExpiry (which only stops console sign-in with an expired password) is recorded, not applied.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rolegate.authz import RequestContext
from rolegate.core.errors import (
    AccessDenied,
    EntityAlreadyExists,
    EntityTemporarilyUnmodifiable,
    InvalidInput,
    InvalidUserType,
    NoSuchEntity,
    PasswordPolicyViolation,
)
from rolegate.store.ports import DuplicateKeyError

from . import passwords
from .entities import LoginProfileRecord, PasswordPolicyRecord, UserRecord
from .ports import IamStore, IamTransaction
from .users import existing_user

# PasswordReusePrevention's largest value (UpdateAccountPasswordPolicy): no more history is ever asked for.
HISTORY = 24


@dataclass(frozen=True, slots=True)
class _Seen:
    """What a read transaction found, for the checks made outside any transaction."""

    user: UserRecord
    profile: LoginProfileRecord | None
    policy: PasswordPolicyRecord | None
    account_name: str


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
        seen = self._read(request, user_name)
        if seen.profile is not None:
            raise _already_exists(seen.user.name)
        _check_new_password(password, seen, ())
        now = request.timestamp
        profile = LoginProfileRecord(account_id=request.account_id, user_id=seen.user.user_id,
                                     password_hash=passwords.hash_password(password), created_at=now,
                                     password_changed_at=now, password_reset_required=password_reset_required,
                                     max_signin_session_duration=max_signin_session_duration)
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, user_name)
            if user.user_id != seen.user.user_id:
                raise _unmodifiable(user.name)  # deleted and created again meanwhile
            try:
                tx.login_profiles.create(profile)
            except DuplicateKeyError:
                raise _already_exists(user.name) from None
        return seen.user, profile

    def get_login_profile(self, request: RequestContext, user_name: str | None) -> tuple[UserRecord, LoginProfileRecord]:
        with self._store.read() as tx:
            user = existing_user(tx, request.account_id, _named(user_name))
            return user, _existing_profile(tx.login_profiles.get(user.user_id), user.name)

    def update_login_profile(self, request: RequestContext, user_name: str, *, password: str | None = None,
                             password_reset_required: bool | None = None,
                             max_signin_session_duration: int | None = None,
                             reset_max_signin_session_duration: bool = False) -> None:
        if max_signin_session_duration is not None and reset_max_signin_session_duration:
            raise InvalidInput("Specify MaxSigninSessionDuration or ResetMaxSigninSessionDuration, not both.")
        seen = self._read(request, user_name)
        profile = _existing_profile(seen.profile, seen.user.name)
        if password is not None:
            profile = _with_new_password(request, profile, password, seen)
        if password_reset_required is not None:
            profile = dataclasses.replace(profile, password_reset_required=password_reset_required)
        if max_signin_session_duration is not None or reset_max_signin_session_duration:
            profile = dataclasses.replace(profile, max_signin_session_duration=max_signin_session_duration)
        self._write_unless_changed(request, seen, profile)

    def delete_login_profile(self, request: RequestContext, user_name: str | None) -> None:
        with self._store.write() as tx:
            user = existing_user(tx, request.account_id, _named(user_name))
            if not tx.login_profiles.delete(user.user_id):
                raise _no_profile(user.name)

    def change_password(self, request: RequestContext, old_password: str, new_password: str) -> None:
        """The calling IAM user's own password (IAM API reference, ChangePassword: "This operation can be called
        by IAM users only"; root and role sessions get InvalidUserType, as the AWS CLI's example says)."""
        caller = request.signed_caller()
        if caller.principal_type != "User" or caller.user_name is None:
            raise InvalidUserType("Only IAM users can change their own password with ChangePassword.")
        seen = self._read(request, caller.user_name)
        profile = _existing_profile(seen.profile, seen.user.name)
        if not passwords.password_matches(old_password, profile.password_hash):
            raise AccessDenied("The old password is incorrect.")
        profile = _with_new_password(request, profile, new_password, seen)
        # A password the user chose themself satisfies "must change at next sign-in".
        self._write_unless_changed(request, seen, dataclasses.replace(profile, password_reset_required=False))

    # --- the read, then the write ---------------------------------------------------------------------

    def _read(self, request: RequestContext, user_name: str) -> _Seen:
        with self._store.read() as tx:
            user = existing_user(tx, request.account_id, user_name)
            return _Seen(user, tx.login_profiles.get(user.user_id),
                         tx.account_settings.get_password_policy(request.account_id), _account_name(tx, request))

    def _write_unless_changed(self, request: RequestContext, seen: _Seen, profile: LoginProfileRecord) -> None:
        assert seen.profile is not None
        with self._store.write() as tx:
            current = tx.login_profiles.get(seen.user.user_id)
            if current is None:
                raise _no_profile(seen.user.name)
            if current.password_hash != seen.profile.password_hash:
                raise _unmodifiable(seen.user.name)  # another request set a password since we read it
            tx.login_profiles.update(profile)


def _account_name(tx: IamTransaction, request: RequestContext) -> str:
    account = tx.accounts.get(request.account_id)
    return account.name if account else ""


def _check_new_password(password: str, seen: _Seen, recent_hashes: tuple[str, ...]) -> None:
    passwords.check_against_policy(password, seen.policy, seen.account_name)
    reuse = seen.policy.password_reuse_prevention if seen.policy else None
    # PasswordReusePrevention: "the number of previous passwords that IAM users are prevented from reusing";
    # the current password counts as the most recent of them.
    if reuse and passwords.matches_any(password, recent_hashes[:reuse]):
        raise PasswordPolicyViolation(passwords.POLICY_VIOLATION)


def _with_new_password(request: RequestContext, profile: LoginProfileRecord, password: str,
                       seen: _Seen) -> LoginProfileRecord:
    recent = (profile.password_hash, *profile.previous_hashes)
    _check_new_password(password, seen, recent)
    return dataclasses.replace(profile, password_hash=passwords.hash_password(password),
                               previous_hashes=recent[:HISTORY], password_changed_at=request.timestamp)


def _named(user_name: str | None) -> str:
    """The user a Get/DeleteLoginProfile means; None (the root user, who has no login profile here) is none."""
    if user_name is None:
        raise NoSuchEntity("The root user has no login profile in rolegate.")
    return user_name


def _existing_profile(profile: LoginProfileRecord | None, user_name: str) -> LoginProfileRecord:
    if profile is None:
        raise _no_profile(user_name)
    return profile


def _no_profile(user_name: str) -> NoSuchEntity:
    return NoSuchEntity(f"Login Profile for User {user_name} cannot be found.")


def _already_exists(user_name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"Login Profile for user {user_name} already exists.")


def _unmodifiable(user_name: str) -> EntityTemporarilyUnmodifiable:
    return EntityTemporarilyUnmodifiable(
        f"Login Profile for User {user_name} is being changed by another request. Try again.")
