"""The IAM control plane's entities: accounts, access keys, roles, instance profiles, providers, users, groups,
managed policies. Plain frozen records that cross the storage boundary (``iam.ports``); no SQL here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rolegate.core.arns import DEFAULT_PARTITION


@dataclass(frozen=True, slots=True)
class AccountRecord:
    account_id: str
    name: str
    created_at: dt.datetime
    partition: str = DEFAULT_PARTITION  # the one partition the account lives in; its ARNs carry it


@dataclass(frozen=True, slots=True)
class AccessKeyRecord:
    access_key_id: str
    account_id: str
    secret_access_key: str  # plaintext in memory only; sealed at rest by the store
    status: str  # "Active" | "Inactive"
    created_at: dt.datetime
    user_id: str | None = None  # None: the account's root user
    # Last use (GetAccessKeyLastUsed): written at most once per key per few minutes, not per request.
    last_used_at: dt.datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


@dataclass(frozen=True, slots=True)
class RoleRecord:
    account_id: str
    role_id: str
    name: str
    path: str
    arn: str
    trust_policy: str
    created_at: dt.datetime
    max_session_duration: int = 3600
    description: str | None = None
    permissions_boundary_arn: str | None = None
    last_used_at: dt.datetime | None = None
    last_used_region: str | None = None
    tags: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class InstanceProfileRecord:
    account_id: str
    instance_profile_id: str
    name: str
    path: str
    arn: str
    created_at: dt.datetime
    role_name: str | None = None  # the one role in the profile (IAM allows at most one), if any
    tags: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class OidcProviderRecord:
    account_id: str
    arn: str
    url: str  # as IAM returns it: without the ``https://`` scheme
    created_at: dt.datetime
    client_ids: tuple[str, ...] = ()
    thumbprints: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SamlPrivateKey:
    """A private key AssumeRoleWithSAML decrypts assertions with (CreateSAMLProvider's ``AddPrivateKey``): its
    PEM is sealed by the store and never returned; IAM shows only ``KeyId`` and ``Timestamp``."""

    key_id: str
    pem: str = field(repr=False)
    created_at: dt.datetime = field(default=dt.datetime.min.replace(tzinfo=dt.timezone.utc))


@dataclass(frozen=True, slots=True)
class SamlProviderRecord:
    account_id: str
    arn: str
    name: str
    metadata_document: str
    created_at: dt.datetime
    valid_until: dt.datetime | None = None
    signing_certificates: tuple[str, ...] = ()  # base64 DER of the IdP's signing certificates
    tags: tuple[tuple[str, str], ...] = field(default=())
    assertion_encryption_mode: str | None = None  # "Required" | "Allowed" | None (never set)
    private_keys: tuple[SamlPrivateKey, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceRoleDeletionRecord:
    task_id: str
    account_id: str
    role_name: str
    status: str  # NOT_STARTED | IN_PROGRESS | SUCCEEDED | FAILED
    created_at: dt.datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class UserRecord:
    account_id: str
    user_id: str
    name: str
    path: str
    arn: str
    created_at: dt.datetime
    permissions_boundary_arn: str | None = None
    tags: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class GroupRecord:
    account_id: str
    group_id: str
    name: str
    path: str
    arn: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ManagedPolicyRecord:
    """A managed policy: a customer's (stored) or AWS's (``account_id`` "aws", shipped read-only data)."""

    account_id: str
    policy_id: str
    name: str
    path: str
    arn: str
    default_version_id: str
    next_version: int  # the number the next CreatePolicyVersion gets; version ids are never reused
    created_at: dt.datetime
    updated_at: dt.datetime
    description: str | None = None
    tags: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class PolicyVersionRecord:
    policy_id: str
    version_id: str
    document: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PolicyEntityRecord:
    """A role, user or group a managed policy is attached to or bounds (ListEntitiesForPolicy)."""

    kind: str  # "Role" | "User" | "Group"
    entity_id: str
    name: str
    path: str


@dataclass(frozen=True, slots=True)
class LoginProfileRecord:
    """An IAM user's console password: only its salted, memory-hard hash (``iam.passwords``), never the text."""

    account_id: str
    user_id: str
    password_hash: str
    created_at: dt.datetime
    password_changed_at: dt.datetime
    password_reset_required: bool = False
    max_signin_session_duration: int | None = None
    # Hashes of the user's earlier passwords, newest first, as many as PasswordReusePrevention can ask for (24).
    previous_hashes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PasswordPolicyRecord:
    """An account's custom password policy; every field holds the value UpdateAccountPasswordPolicy set, its
    default when the call left it out (IAM API reference, UpdateAccountPasswordPolicy)."""

    account_id: str
    minimum_password_length: int = 6
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    allow_users_to_change_password: bool = False
    max_password_age: int | None = None  # days; None: passwords never expire
    password_reuse_prevention: int | None = None  # None: reuse is allowed
    hard_expiry: bool = False


@dataclass(frozen=True, slots=True)
class CredentialReportRecord:
    """The account's most recent credential report: CSV text as GetCredentialReport returns it."""

    account_id: str
    generated_at: dt.datetime
    content: str


@dataclass(frozen=True, slots=True)
class SshPublicKeyRecord:
    """An IAM user's SSH public key (for CodeCommit). ``body`` is the OpenSSH form (``ssh-rsa AAAA…``)."""

    key_id: str
    account_id: str
    user_id: str
    body: str
    fingerprint: str  # MD5 of the key blob, colon-separated hex (``ssh-keygen -l -E md5``)
    status: str  # "Active" | "Inactive"
    uploaded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SigningCertificateRecord:
    """An X.509 signing certificate of an IAM user (``user_id`` None: the account's root user)."""

    certificate_id: str
    account_id: str
    user_id: str | None
    body: str  # PEM, as uploaded
    fingerprint: str  # SHA-256 of the DER: the same certificate twice in one account is refused
    status: str
    uploaded_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ServerCertificateRecord:
    account_id: str
    certificate_id: str
    name: str
    path: str
    arn: str
    body: str
    private_key: str  # plaintext in memory only; sealed at rest by the store, never returned
    uploaded_at: dt.datetime
    expires_at: dt.datetime
    chain: str | None = None
    tags: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ServiceSpecificCredentialRecord:
    credential_id: str
    account_id: str
    user_id: str
    service_name: str
    service_user_name: str
    password: str  # plaintext in memory only; sealed at rest, returned only by Create and Reset
    status: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ServiceAccessRecord:
    """When an entity (user or role, by ARN) last made an authenticated call to a service, or to one action
    of it (``action`` None: the service as a whole)."""

    account_id: str
    entity_arn: str
    namespace: str  # "iam", "sts", …
    action: str | None
    last_at: dt.datetime
    region: str


@dataclass(frozen=True, slots=True)
class AccessReportJobRecord:
    """A finished GenerateServiceLastAccessedDetails job: the report, computed at generation time."""

    job_id: str
    account_id: str
    arn: str
    granularity: str  # SERVICE_LEVEL | ACTION_LEVEL
    created_at: dt.datetime
    completed_at: dt.datetime
    report: str  # JSON (see ``iam.last_accessed``)
