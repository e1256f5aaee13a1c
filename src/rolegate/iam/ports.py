"""The storage IAM's rules read and write through: one repository Protocol per kind of entity, ``Has…``
protocols that name where a transaction keeps each, and the transaction protocols IAM's services take.

A service takes the narrowest store that serves it (``AccountStore`` for accounts and root keys, …,
``IamStore`` for services that touch much of the control plane); a helper takes the ``Has…`` protocols it
reads. ``rolegate.store.sql`` implements every one of them; nothing here knows SQL (ADR 0014).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol, TypeAlias

from rolegate.store.ports import ReadStore, Store, UnitOfWork

from .entities import (
    AccessKeyRecord,
    AccessReportJobRecord,
    AccountRecord,
    CredentialReportRecord,
    GroupRecord,
    InstanceProfileRecord,
    LoginProfileRecord,
    ManagedPolicyRecord,
    OidcProviderRecord,
    PasswordPolicyRecord,
    PolicyEntityRecord,
    PolicyVersionRecord,
    RoleRecord,
    SamlProviderRecord,
    ServerCertificateRecord,
    ServiceAccessRecord,
    ServiceRoleDeletionRecord,
    ServiceSpecificCredentialRecord,
    SigningCertificateRecord,
    SshPublicKeyRecord,
    UserRecord,
)

# --- repositories ---------------------------------------------------------------------------------------


class AccountRepository(Protocol):
    def create(self, account: AccountRecord) -> None: ...
    def get(self, account_id: str) -> AccountRecord | None: ...
    def get_by_name(self, name: str) -> AccountRecord | None: ...
    def list_all(self) -> list[AccountRecord]:
        """Every account, oldest first."""
        ...


class AccessKeyRepository(Protocol):
    def create(self, key: AccessKeyRecord) -> None: ...
    def get(self, access_key_id: str) -> AccessKeyRecord | None: ...
    def list_for_user(self, account_id: str, user_id: str | None) -> list[AccessKeyRecord]:
        """The user's keys (``user_id`` None: the account root's), oldest first."""
        ...
    def set_status(self, access_key_id: str, status: str) -> None: ...
    def delete(self, access_key_id: str) -> None: ...
    def record_use(self, access_key_id: str, when: dt.datetime, service: str, region: str) -> None: ...


class InlinePolicyRepository(Protocol):
    """Inline policies of one kind of owner (role, user or group), keyed by owner id and policy name."""

    def put_inline_policy(self, owner_id: str, name: str, document: str, /) -> None: ...
    def get_inline_policy(self, owner_id: str, name: str, /) -> str | None: ...
    def delete_inline_policy(self, owner_id: str, name: str, /) -> bool: ...
    def list_inline_policies(self, owner_id: str, /) -> list[tuple[str, str]]:
        """(name, document) pairs ordered by name."""
        ...


class RoleRepository(InlinePolicyRepository, Protocol):
    def create(self, role: RoleRecord) -> None: ...
    def get_by_name(self, account_id: str, name: str) -> RoleRecord | None:
        """The role whose name equals ``name`` ignoring case (IAM names are case-insensitive)."""
        ...
    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[RoleRecord]:
        """Roles ordered by lower-cased name, starting after the sort key ``after``."""
        ...
    def update(self, role: RoleRecord) -> None:
        """Write every mutable field of ``role`` (matched by ``role_id``), tags included."""
        ...
    def delete(self, role_id: str) -> None: ...
    def count(self, account_id: str) -> int: ...
    def count_attached_policies(self, role_id: str) -> int: ...
    def count_instance_profiles(self, role_id: str) -> int: ...
    def list_trust_policies_containing(self, text: str) -> list[RoleRecord]:
        """Roles of any account whose trust policy contains ``text`` (a principal's ARN), by role id."""
        ...


class UserRepository(InlinePolicyRepository, Protocol):
    def create(self, user: UserRecord) -> None: ...
    def get_by_name(self, account_id: str, name: str) -> UserRecord | None:
        """The user whose name equals ``name`` ignoring case."""
        ...
    def get(self, user_id: str) -> UserRecord | None: ...
    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[UserRecord]:
        """Users ordered by lower-cased name, starting after the sort key ``after``."""
        ...
    def update(self, user: UserRecord) -> None:
        """Write name, path, ARN, boundary and tags of ``user`` (matched by ``user_id``)."""
        ...
    def delete(self, user_id: str) -> None: ...
    def count(self, account_id: str) -> int: ...
    def count_attached_policies(self, user_id: str) -> int: ...
    def list_groups(self, user_id: str) -> list[GroupRecord]:
        """The groups the user belongs to, ordered by lower-cased name."""
        ...


class GroupRepository(InlinePolicyRepository, Protocol):
    def create(self, group: GroupRecord) -> None: ...
    def get_by_name(self, account_id: str, name: str) -> GroupRecord | None:
        """The group whose name equals ``name`` ignoring case."""
        ...
    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[GroupRecord]:
        """Groups ordered by lower-cased name, starting after the sort key ``after``."""
        ...
    def update(self, group: GroupRecord) -> None:
        """Write name, path and ARN of ``group`` (matched by ``group_id``)."""
        ...
    def delete(self, group_id: str) -> None: ...
    def count(self, account_id: str) -> int: ...
    def count_attached_policies(self, group_id: str) -> int: ...
    def add_member(self, group_id: str, user_id: str) -> None:
        """Add ``user_id`` to the group; adding a member again changes nothing."""
        ...
    def remove_member(self, group_id: str, user_id: str) -> bool: ...
    def list_members(self, group_id: str, after: str | None, limit: int) -> list[UserRecord]:
        """Members ordered by lower-cased user name, starting after the sort key ``after``."""
        ...
    def count_members(self, group_id: str) -> int: ...


class InstanceProfileRepository(Protocol):
    def create(self, profile: InstanceProfileRecord) -> None: ...
    def get_by_name(self, account_id: str, name: str) -> InstanceProfileRecord | None:
        """The profile whose name equals ``name`` ignoring case."""
        ...
    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[InstanceProfileRecord]:
        """Profiles ordered by lower-cased name, starting after the sort key ``after``."""
        ...
    def list_for_role(self, role_id: str) -> list[InstanceProfileRecord]: ...
    def set_role(self, instance_profile_id: str, role_id: str | None) -> None:
        """Put ``role_id`` in the profile (replacing none: IAM allows one), or empty it with None."""
        ...
    def update_tags(self, instance_profile_id: str, tags: Sequence[tuple[str, str]]) -> None: ...
    def delete(self, instance_profile_id: str) -> None: ...
    def count(self, account_id: str) -> int: ...


class OidcProviderRepository(Protocol):
    def create(self, provider: OidcProviderRecord) -> None: ...
    def get(self, arn: str) -> OidcProviderRecord | None: ...
    def list_for_account(self, account_id: str) -> list[OidcProviderRecord]:
        """The account's OIDC providers ordered by ARN."""
        ...
    def update(self, provider: OidcProviderRecord) -> None:
        """Write client ids, thumbprints and tags of ``provider`` (matched by ARN)."""
        ...
    def delete(self, arn: str) -> None: ...
    def count(self, account_id: str) -> int: ...


class SamlProviderRepository(Protocol):
    def create(self, provider: SamlProviderRecord) -> None: ...
    def get(self, arn: str) -> SamlProviderRecord | None: ...
    def list_for_account(self, account_id: str) -> list[SamlProviderRecord]:
        """The account's SAML providers ordered by ARN."""
        ...
    def update(self, provider: SamlProviderRecord) -> None:
        """Write metadata, its parsed certificates and validity, and tags (matched by ARN)."""
        ...
    def delete(self, arn: str) -> None: ...
    def count(self, account_id: str) -> int: ...


class ServiceRoleDeletionRepository(Protocol):
    def create(self, task: ServiceRoleDeletionRecord) -> None: ...
    def get(self, task_id: str) -> ServiceRoleDeletionRecord | None: ...


class ManagedPolicyRepository(Protocol):
    """Customer managed policies and their versions."""

    def create(self, policy: ManagedPolicyRecord, first_version: PolicyVersionRecord) -> None: ...
    def get_by_arn(self, arn: str) -> ManagedPolicyRecord | None: ...
    def list_for_account(self, account_id: str) -> list[ManagedPolicyRecord]:
        """Every customer managed policy of the account, ordered by lower-cased name."""
        ...
    def update(self, policy: ManagedPolicyRecord) -> None:
        """Write default version, next version number, update date and tags (matched by ``policy_id``)."""
        ...
    def delete(self, policy_id: str) -> None:
        """Remove the policy, all its versions and its tags."""
        ...
    def count(self, account_id: str) -> int: ...
    def add_version(self, version: PolicyVersionRecord) -> None: ...
    def get_version(self, policy_id: str, version_id: str) -> PolicyVersionRecord | None: ...
    def list_versions(self, policy_id: str) -> list[PolicyVersionRecord]:
        """Versions, newest first."""
        ...
    def delete_version(self, policy_id: str, version_id: str) -> None: ...


class PolicyAttachmentRepository(Protocol):
    """Attachments of any managed policy (customer or AWS, named by ARN) to roles, users and groups.

    ``kind`` is "Role", "User" or "Group"; counts are scoped to one account, because an AWS managed policy's
    ARN is the same in every account.
    """

    def attach(self, kind: str, entity_id: str, policy_arn: str) -> None:
        """Attach; attaching again changes nothing."""
        ...
    def detach(self, kind: str, entity_id: str, policy_arn: str) -> bool: ...
    def attached(self, kind: str, entity_id: str) -> list[str]:
        """ARNs of the managed policies attached to the entity."""
        ...
    def attachment_counts(self, account_id: str) -> dict[str, int]:
        """Policy ARN -> number of the account's roles, users and groups it is attached to."""
        ...
    def boundary_counts(self, account_id: str) -> dict[str, int]:
        """Policy ARN -> number of the account's roles and users it is the permissions boundary of."""
        ...
    def entities(self, account_id: str, policy_arn: str, *, attached: bool,
                 boundary: bool) -> list[PolicyEntityRecord]:
        """Entities the policy is attached to (``attached``) and/or bounds (``boundary``)."""
        ...


class ManagedPolicies(ManagedPolicyRepository, PolicyAttachmentRepository, Protocol):
    """Policies, versions and attachments: one repository, because attaching checks the policy exists."""


class AccountViewRepository(Protocol):
    """Details of many entities at once, for the account-wide views (GetAccountAuthorizationDetails).

    Each method answers for a whole set of ids in one query; ``kind`` is "Role", "User" or "Group".
    """

    def inline_policies(self, kind: str, owner_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """Owner id -> its (name, document) inline policies, ordered by name."""
        ...
    def attached_policies(self, kind: str, entity_ids: Sequence[str]) -> dict[str, list[str]]:
        """Entity id -> ARNs of the managed policies attached to it."""
        ...
    def group_names(self, user_ids: Sequence[str]) -> dict[str, list[str]]:
        """User id -> names of the groups it belongs to, ordered by lower-cased name."""
        ...
    def instance_profiles_holding(self, role_ids: Sequence[str]) -> list[InstanceProfileRecord]:
        """The instance profiles that hold one of these roles (``role_name`` says which)."""
        ...
    def policy_versions(self, policy_ids: Sequence[str]) -> dict[str, list[PolicyVersionRecord]]:
        """Customer managed policy id -> all its versions, newest first."""
        ...


class LoginProfileRepository(Protocol):
    """IAM users' console passwords (hashes only), one per user."""

    def create(self, profile: LoginProfileRecord) -> None:
        """Insert; ``DuplicateKeyError`` when the user has one already."""
        ...
    def get(self, user_id: str) -> LoginProfileRecord | None: ...
    def update(self, profile: LoginProfileRecord) -> None:
        """Write hash, history, change time, reset flag and session duration (matched by ``user_id``)."""
        ...
    def delete(self, user_id: str) -> bool: ...
    def list_for_account(self, account_id: str) -> list[LoginProfileRecord]: ...


class AccountSettingsRepository(Protocol):
    """What an account has one of: its password policy, its alias, its latest credential report."""

    def get_password_policy(self, account_id: str) -> PasswordPolicyRecord | None: ...
    def put_password_policy(self, policy: PasswordPolicyRecord) -> None:
        """Create or replace the account's policy."""
        ...
    def delete_password_policy(self, account_id: str) -> bool: ...
    def get_alias(self, account_id: str) -> str | None: ...
    def account_with_alias(self, alias: str) -> str | None:
        """The account (of any) that holds ``alias``: aliases are unique across all accounts."""
        ...
    def set_alias(self, account_id: str, alias: str) -> None:
        """Give the account this alias; ``DuplicateKeyError`` when another account holds it."""
        ...
    def delete_alias(self, account_id: str) -> bool: ...
    def get_credential_report(self, account_id: str) -> CredentialReportRecord | None: ...
    def put_credential_report(self, report: CredentialReportRecord) -> None:
        """Create or replace the account's report."""
        ...


class MfaDeviceAssignment(Protocol):
    """What IAM's rules read of a virtual MFA device. STS owns the devices (``rolegate.sts.entities``);
    IAM only asks whether a user still has one (DeleteUser) and counts them (GetAccountSummary)."""

    @property
    def user_id(self) -> str | None:
        """The user the device is enabled for; None while unassigned."""
        ...


class MfaDeviceAssignments(Protocol):
    def list_for_account(self, account_id: str) -> Sequence[MfaDeviceAssignment]: ...
    def list_for_user(self, user_id: str) -> Sequence[MfaDeviceAssignment]: ...


class SshPublicKeyRepository(Protocol):
    def create(self, key: SshPublicKeyRecord) -> None: ...
    def get(self, key_id: str) -> SshPublicKeyRecord | None: ...
    def list_for_user(self, user_id: str) -> list[SshPublicKeyRecord]:
        """The user's keys, oldest first."""
        ...
    def set_status(self, key_id: str, status: str) -> None: ...
    def delete(self, key_id: str) -> None: ...


class SigningCertificateRepository(Protocol):
    def create(self, certificate: SigningCertificateRecord) -> None: ...
    def get(self, certificate_id: str) -> SigningCertificateRecord | None: ...
    def list_for_user(self, account_id: str, user_id: str | None) -> list[SigningCertificateRecord]:
        """The user's certificates (``user_id`` None: the account root's), oldest first."""
        ...
    def find_by_fingerprint(self, account_id: str, fingerprint: str) -> SigningCertificateRecord | None: ...
    def set_status(self, certificate_id: str, status: str) -> None: ...
    def delete(self, certificate_id: str) -> None: ...


class ServiceSpecificCredentialRepository(Protocol):
    def create(self, credential: ServiceSpecificCredentialRecord) -> None: ...
    def get(self, credential_id: str) -> ServiceSpecificCredentialRecord | None: ...
    def list_for_account(self, account_id: str, user_id: str | None,
                         service_name: str | None) -> list[ServiceSpecificCredentialRecord]:
        """The account's credentials (of one user unless ``user_id`` is None; of one service unless
        ``service_name`` is None), oldest first."""
        ...
    def update(self, credential: ServiceSpecificCredentialRecord) -> None:
        """Write status and password (matched by ``credential_id``)."""
        ...
    def delete(self, credential_id: str) -> None: ...


class ServerCertificateRepository(Protocol):
    def create(self, certificate: ServerCertificateRecord) -> None: ...
    def get_by_name(self, account_id: str, name: str) -> ServerCertificateRecord | None:
        """The certificate whose name equals ``name`` ignoring case."""
        ...
    def list_for_account(self, account_id: str, path_prefix: str, after: str | None,
                         limit: int) -> list[ServerCertificateRecord]:
        """Certificates ordered by lower-cased name, starting after the sort key ``after``."""
        ...
    def update(self, certificate: ServerCertificateRecord) -> None:
        """Write name, path, ARN and tags (matched by ``certificate_id``)."""
        ...
    def delete(self, certificate_id: str) -> None: ...
    def count(self, account_id: str) -> int: ...


class ServiceAccessRepository(Protocol):
    """When entities last called each service (and action): GenerateServiceLastAccessedDetails reads it."""

    def record(self, records: Sequence[ServiceAccessRecord]) -> None:
        """Store each record's time unless a later one is already stored for the same entity and action."""
        ...
    def for_entities(self, account_id: str, entity_arns: Sequence[str]) -> list[ServiceAccessRecord]: ...


class AccessReportJobRepository(Protocol):
    def create(self, job: AccessReportJobRecord) -> None: ...
    def get(self, job_id: str) -> AccessReportJobRecord | None: ...


# --- where a transaction keeps each repository ------------------------------------------------------------


class HasAccounts(Protocol):
    @property
    def accounts(self) -> AccountRepository: ...


class HasAccessKeys(Protocol):
    @property
    def access_keys(self) -> AccessKeyRepository: ...


class HasRoles(Protocol):
    @property
    def roles(self) -> RoleRepository: ...


class HasUsers(Protocol):
    @property
    def users(self) -> UserRepository: ...


class HasGroups(Protocol):
    @property
    def groups(self) -> GroupRepository: ...


class HasInstanceProfiles(Protocol):
    @property
    def instance_profiles(self) -> InstanceProfileRepository: ...


class HasProviders(Protocol):
    @property
    def oidc_providers(self) -> OidcProviderRepository: ...
    @property
    def saml_providers(self) -> SamlProviderRepository: ...


class HasServiceRoleDeletions(Protocol):
    @property
    def service_role_deletions(self) -> ServiceRoleDeletionRepository: ...


class HasManagedPolicies(Protocol):
    @property
    def managed_policies(self) -> ManagedPolicies: ...


class HasAccountViews(Protocol):
    @property
    def account_views(self) -> AccountViewRepository: ...


class HasLoginProfiles(Protocol):
    @property
    def login_profiles(self) -> LoginProfileRepository: ...


class HasAccountSettings(Protocol):
    @property
    def account_settings(self) -> AccountSettingsRepository: ...


class HasMfaDeviceAssignments(Protocol):
    @property
    def mfa_devices(self) -> MfaDeviceAssignments: ...


class HasUserCredentials(Protocol):
    """What a user holds besides access keys: SSH keys, signing certificates, service-specific credentials."""

    @property
    def ssh_public_keys(self) -> SshPublicKeyRepository: ...
    @property
    def signing_certificates(self) -> SigningCertificateRepository: ...
    @property
    def service_credentials(self) -> ServiceSpecificCredentialRepository: ...


class HasServerCertificates(Protocol):
    @property
    def server_certificates(self) -> ServerCertificateRepository: ...


class HasServiceAccess(Protocol):
    @property
    def service_access(self) -> ServiceAccessRepository: ...
    @property
    def access_reports(self) -> AccessReportJobRepository: ...


# --- the transactions IAM's services take ------------------------------------------------------------------


class TrustBindingTransaction(HasRoles, Protocol):
    """Every account's roles: a deleted principal's ARN is rewritten in every trust policy naming it."""


class AccountTransaction(HasAccounts, HasAccessKeys, Protocol):
    """Accounts and their root users' keys."""


class AccountUnitOfWork(AccountTransaction, UnitOfWork, Protocol): ...


class AccessKeyTransaction(HasAccounts, HasAccessKeys, HasUsers, Protocol):
    """Long-term access keys, the users that own them and the accounts (partitions) they belong to."""


class AccessKeyUnitOfWork(AccessKeyTransaction, UnitOfWork, Protocol): ...


class GroupTransaction(HasGroups, HasUsers, Protocol):
    """Groups, their members and inline policies."""


class GroupUnitOfWork(GroupTransaction, UnitOfWork, Protocol): ...


class InstanceProfileTransaction(HasInstanceProfiles, HasRoles, Protocol):
    """Instance profiles and the roles they hold."""


class InstanceProfileUnitOfWork(InstanceProfileTransaction, UnitOfWork, Protocol): ...


class ProviderTransaction(HasProviders, Protocol):
    """OIDC and SAML identity providers."""


class ProviderUnitOfWork(ProviderTransaction, UnitOfWork, Protocol): ...


class IamTransaction(HasAccounts, HasAccessKeys, HasRoles, HasUsers, HasGroups, HasInstanceProfiles,
                     HasProviders, HasServiceRoleDeletions, HasManagedPolicies, HasAccountViews,
                     HasMfaDeviceAssignments, HasLoginProfiles, HasAccountSettings, HasUserCredentials,
                     HasServerCertificates, HasServiceAccess, Protocol):
    """Every repository of the IAM control plane."""


class IamUnitOfWork(IamTransaction, UnitOfWork, Protocol): ...


AccountStore: TypeAlias = Store[AccountTransaction, AccountUnitOfWork]
AccessKeyStore: TypeAlias = Store[AccessKeyTransaction, AccessKeyUnitOfWork]
GroupStore: TypeAlias = Store[GroupTransaction, GroupUnitOfWork]
InstanceProfileStore: TypeAlias = Store[InstanceProfileTransaction, InstanceProfileUnitOfWork]
ProviderStore: TypeAlias = Store[ProviderTransaction, ProviderUnitOfWork]
IamStore: TypeAlias = Store[IamTransaction, IamUnitOfWork]
IamReadStore: TypeAlias = ReadStore[IamTransaction]
