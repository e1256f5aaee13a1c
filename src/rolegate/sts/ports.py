"""The storage STS's rules read and write through: the session key ring, virtual MFA devices, role usage, and
the transaction protocols STS's services take.

STS issues sessions for IAM's roles and checks IAM users' MFA devices, so its transactions include IAM's
role and user repositories (``rolegate.iam.ports``); IAM imports nothing of STS. ``rolegate.store.sql``
implements every protocol here (ADR 0014).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, TypeAlias

from rolegate.iam.ports import HasProviders, HasRoles, HasUsers
from rolegate.store.ports import Store, UnitOfWork

from .entities import MfaDeviceRecord, SessionKeyRecord


class SessionKeyRepository(Protocol):
    """The STS session key ring (``rolegate.sts.keyring``)."""

    def create(self, key: SessionKeyRecord) -> None: ...
    def list_all(self) -> list[SessionKeyRecord]:
        """Every key, oldest first."""
        ...
    def supersede(self, key_id: str, when: dt.datetime) -> None: ...
    def delete(self, key_id: str) -> None: ...


class MfaDeviceRepository(Protocol):
    def create(self, device: MfaDeviceRecord) -> None: ...
    def get(self, serial_number: str) -> MfaDeviceRecord | None: ...
    def list_for_account(self, account_id: str) -> list[MfaDeviceRecord]:
        """The account's virtual MFA devices ordered by serial number."""
        ...
    def list_for_user(self, user_id: str) -> list[MfaDeviceRecord]:
        """The devices enabled for the user, in the order they were enabled."""
        ...
    def update(self, device: MfaDeviceRecord) -> None:
        """Write user, enable date, last used step, clock offset and tags (matched by serial number)."""
        ...
    def delete(self, serial_number: str) -> None: ...


class RoleUsageRepository(Protocol):
    def record(self, role_id: str, when: dt.datetime, region: str) -> None:
        """Set the role's last use (RoleLastUsed) unless a later one is already stored."""
        ...


class SamlAssertionLog(Protocol):
    """The SAML assertions already redeemed, until they expire: shared by every worker and node, so an
    assertion is accepted once (SAML 2.0 profiles §4.1.4.5). A store-level port, not a unit of work's: each
    call is a durable write transaction of its own."""

    def claim_many(self, claims: Sequence[tuple[str, dt.datetime]], now: dt.datetime) -> list[bool]:
        """Record each ``(key, expires_at)`` (key: issuer and assertion id, digested) as used until
        ``expires_at``; for each, False when the key is already recorded and not expired, or earlier in
        ``claims``; a record expired at ``now`` does not count. Returns once the records are durable."""
        ...


class HasSessionKeys(Protocol):
    @property
    def session_keys(self) -> SessionKeyRepository: ...


class HasMfaDevices(Protocol):
    @property
    def mfa_devices(self) -> MfaDeviceRepository: ...


class HasRoleUsage(Protocol):
    @property
    def role_usage(self) -> RoleUsageRepository: ...


class KeyRingTransaction(HasSessionKeys, Protocol):
    """The session key ring alone."""


class KeyRingUnitOfWork(KeyRingTransaction, UnitOfWork, Protocol): ...


class MfaTransaction(HasMfaDevices, HasUsers, Protocol):
    """Virtual MFA devices and the users they are enabled for."""


class MfaUnitOfWork(MfaTransaction, UnitOfWork, Protocol): ...


class SessionTransaction(HasRoles, HasRoleUsage, HasProviders, Protocol):
    """The roles sessions are issued for, their last use, and the identity providers federated sessions come
    from."""


class SessionUnitOfWork(SessionTransaction, UnitOfWork, Protocol): ...


class StsTransaction(KeyRingTransaction, MfaTransaction, SessionTransaction, Protocol):
    """Every repository STS reads or writes."""


class StsUnitOfWork(StsTransaction, UnitOfWork, Protocol): ...


KeyRingStore: TypeAlias = Store[KeyRingTransaction, KeyRingUnitOfWork]
MfaStore: TypeAlias = Store[MfaTransaction, MfaUnitOfWork]


class SessionStore(Store[SessionTransaction, SessionUnitOfWork], Protocol):
    """The store of session issuance, with the log of redeemed SAML assertions beside its transactions."""

    @property
    def saml_assertions(self) -> SamlAssertionLog: ...


StsStore: TypeAlias = Store[StsTransaction, StsUnitOfWork]
