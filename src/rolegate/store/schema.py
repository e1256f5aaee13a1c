"""SQLAlchemy Core tables: the one description of the schema, dialect-neutral (SQLite and PostgreSQL).

Alembic migrations create these tables; ``tests/store`` checks that the migrated database matches.
Names are stored as given plus a lower-cased twin, because IAM names are unique ignoring case.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The AWS partition the account lives in (aws, aws-cn, aws-us-gov, …): its entities' ARNs carry it.
    Column("partition", String(32), nullable=False, server_default="aws"),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    # NULL: the account's root user. A user's keys block DeleteUser (DeleteConflict), so no cascade.
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=True, index=True),
    Column("secret_sealed", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("last_used_service", String(64), nullable=True),
    Column("last_used_region", String(64), nullable=True),
)

# Tags of every taggable IAM resource, keyed by the resource's unique id (or ARN, for providers).
# Repositories delete a resource's tags with the resource.
resource_tags = Table(
    "resource_tags",
    metadata,
    Column("resource_id", String(2048), primary_key=True),
    Column("key_lower", String(128), primary_key=True),
    Column("key", String(128), nullable=False),
    Column("value", String(256), nullable=False),
    Column("position", Integer, nullable=False),
)

roles = Table(
    "roles",
    metadata,
    Column("role_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(1024), nullable=False),
    Column("trust_policy", Text, nullable=False),
    Column("description", String(1000), nullable=True),
    Column("max_session_duration", Integer, nullable=False),
    Column("permissions_boundary_arn", String(2048), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("last_used_region", String(64), nullable=True),
    UniqueConstraint("account_id", "name_lower", name="uq_roles_account_name"),
)

role_inline_policies = Table(
    "role_inline_policies",
    metadata,
    Column("role_id", String(32), ForeignKey("roles.role_id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(1024), nullable=False),
    Column("permissions_boundary_arn", String(2048), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_users_account_name"),
)

user_inline_policies = Table(
    "user_inline_policies",
    metadata,
    Column("user_id", String(32), ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

groups = Table(
    "groups",
    metadata,
    Column("group_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(1024), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_groups_account_name"),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(32), ForeignKey("groups.group_id"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.user_id"), primary_key=True, index=True),
)

group_inline_policies = Table(
    "group_inline_policies",
    metadata,
    Column("group_id", String(32), ForeignKey("groups.group_id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

# Customer managed policies. AWS managed policies (arn:PARTITION:iam::aws:policy/...) are read-only data shipped
# with rolegate, so attachments name a policy by ARN rather than by a foreign key.
managed_policies = Table(
    "managed_policies",
    metadata,
    Column("policy_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("description", String(1000), nullable=True),
    Column("default_version_id", String(16), nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_managed_policies_account_name"),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("policy_id", String(32), ForeignKey("managed_policies.policy_id", ondelete="CASCADE"), primary_key=True),
    Column("version_id", String(16), primary_key=True),
    Column("document", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

role_attached_policies = Table(
    "role_attached_policies",
    metadata,
    Column("role_id", String(32), ForeignKey("roles.role_id", ondelete="CASCADE"), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True, index=True),
)

user_attached_policies = Table(
    "user_attached_policies",
    metadata,
    Column("user_id", String(32), ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True, index=True),
)

group_attached_policies = Table(
    "group_attached_policies",
    metadata,
    Column("group_id", String(32), ForeignKey("groups.group_id", ondelete="CASCADE"), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True, index=True),
)

instance_profiles = Table(
    "instance_profiles",
    metadata,
    Column("instance_profile_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(1024), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_instance_profiles_account_name"),
)

# One role per instance profile (IAM quotas): the profile id is the primary key.
instance_profile_roles = Table(
    "instance_profile_roles",
    metadata,
    Column("instance_profile_id", String(32), ForeignKey("instance_profiles.instance_profile_id",
                                                         ondelete="CASCADE"), primary_key=True),
    Column("role_id", String(32), ForeignKey("roles.role_id"), nullable=False, index=True),
)

oidc_providers = Table(
    "oidc_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("url", String(255), nullable=False),
    Column("client_ids", Text, nullable=False),  # JSON list
    Column("thumbprints", Text, nullable=False),  # JSON list
    Column("created_at", DateTime(timezone=True), nullable=False),
)

saml_providers = Table(
    "saml_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("metadata_document", Text, nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # JSON list of the IdP's signing certificates (base64 DER), parsed from the metadata once, at upload.
    Column("signing_certificates", Text, nullable=False, server_default="[]"),
    # "Required" or "Allowed" once set (CreateSAMLProvider's AssertionEncryptionMode), else NULL.
    Column("assertion_encryption_mode", String(16), nullable=True),
    # JSON list of {"id", "created", "sealed"}: the assertion-decryption keys, each PEM sealed under the master
    # key with the context "saml-private-key:" + id (at most 2: IAM's limit, for rotation).
    Column("private_keys", Text, nullable=False, server_default="[]"),
)

service_linked_role_deletions = Table(
    "service_linked_role_deletions",
    metadata,
    Column("task_id", String(256), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("role_name", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One counter every write transaction that changes what authorization reads (policies, attachments,
# memberships, boundaries, tags, paths) bumps, inside that transaction. Every worker's cache of effective
# policies and resource facts is valid while the counter reads as it did when the cache was filled.
policy_generation = Table(
    "policy_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", Integer, nullable=False),
)

# One generation per invalidation scope (an account id): every write transaction moves the scopes of the
# accounts whose rows it touched (``store.sql_generation``); a cache entry built from an account's rows is
# valid while that scope and the global counter above read as they did (``store.invalidation``).
invalidation_scopes = Table(
    "invalidation_scopes",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("generation", Integer, nullable=False),
)

# The STS session key ring: each key's material sealed under the master key (``rolegate.sts.keyring``).
session_keys = Table(
    "session_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("material_sealed", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("superseded_at", DateTime(timezone=True), nullable=True),
)

# SAML assertions already redeemed by AssumeRoleWithSAML, kept until they expire (replay protection, shared by
# every worker and node). The key digests the issuer and the assertion ID, so its length is fixed.
saml_assertions = Table(
    "saml_assertions",
    metadata,
    Column("assertion_key", String(64), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# Virtual MFA devices; the TOTP seed sealed under the master key. Tags live in resource_tags by serial.
mfa_devices = Table(
    "mfa_devices",
    metadata,
    Column("serial_number", String(512), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(226), nullable=False),
    Column("path", String(512), nullable=False),
    Column("seed_sealed", Text, nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=True, index=True),
    Column("enabled_at", DateTime(timezone=True), nullable=True),
    Column("last_used_step", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("clock_offset_steps", Integer, nullable=False, server_default="0"),
)

# IAM users' console passwords: the salted memory-hard hash only (iam.passwords), with the hashes of earlier
# passwords for PasswordReusePrevention. A login profile blocks DeleteUser (DeleteConflict), so no cascade.
login_profiles = Table(
    "login_profiles",
    metadata,
    Column("user_id", String(32), ForeignKey("users.user_id"), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("password_hash", Text, nullable=False),
    Column("previous_hashes", Text, nullable=False),  # JSON list, newest first
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    Column("password_reset_required", Boolean, nullable=False),
    Column("max_signin_session_duration", Integer, nullable=True),
)

# One custom password policy per account (absent: IAM's default policy applies).
account_password_policies = Table(
    "account_password_policies",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True),
    Column("minimum_password_length", Integer, nullable=False),
    Column("require_symbols", Boolean, nullable=False),
    Column("require_numbers", Boolean, nullable=False),
    Column("require_uppercase_characters", Boolean, nullable=False),
    Column("require_lowercase_characters", Boolean, nullable=False),
    Column("allow_users_to_change_password", Boolean, nullable=False),
    Column("max_password_age", Integer, nullable=True),
    Column("password_reuse_prevention", Integer, nullable=True),
    Column("hard_expiry", Boolean, nullable=False),
)

# An account has at most one alias, and an alias names at most one account (both keys unique).
account_aliases = Table(
    "account_aliases",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True),
    Column("alias", String(63), nullable=False, unique=True),
)

# Each account's most recent credential report (GenerateCredentialReport / GetCredentialReport).
credential_reports = Table(
    "credential_reports",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("content", Text, nullable=False),
)

# The outbox: facts a write records in its own transaction (``store.ports.OutboxRecord``), so a record exists
# exactly when its change committed. The id orders records for the consumer that will drain them (the audit
# trail); nothing reads the table yet.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# An IAM user's SSH public keys (OpenSSH form) and signing certificates (PEM). Both block DeleteUser, so no
# cascade from users; a signing certificate's NULL user is the account's root user.
ssh_public_keys = Table(
    "ssh_public_keys",
    metadata,
    Column("key_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)

signing_certificates = Table(
    "signing_certificates",
    metadata,
    Column("certificate_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=True, index=True),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account_id", "fingerprint", name="uq_signing_certificates_account_fingerprint"),
)

# Server certificates; the private key sealed under the master key. Tags live in resource_tags by id.
server_certificates = Table(
    "server_certificates",
    metadata,
    Column("certificate_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(1024), nullable=False),
    Column("body", Text, nullable=False),
    Column("chain", Text, nullable=True),
    Column("private_key_sealed", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_server_certificates_account_name"),
)

# Service-specific credentials (CodeCommit, Keyspaces); the password sealed under the master key.
service_specific_credentials = Table(
    "service_specific_credentials",
    metadata,
    Column("credential_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False, index=True),
    Column("service_name", String(128), nullable=False),
    Column("service_user_name", String(200), nullable=False),
    Column("password_sealed", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# When each entity (user or role, by ARN) last called each service ("" action: the service as a whole), written
# in batches (``iam.last_accessed``), and the finished service-last-accessed reports.
service_last_accessed = Table(
    "service_last_accessed",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("entity_arn", String(1024), primary_key=True),
    Column("namespace", String(64), primary_key=True),
    Column("action", String(128), primary_key=True),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("region", String(64), nullable=False),
)

access_report_jobs = Table(
    "access_report_jobs",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("granularity", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=False),
    Column("report", Text, nullable=False),  # JSON
)

# IAM Roles Anywhere trust anchors; the rest of the anchor (source, settings, tags) as one JSON document.
rolesanywhere_trust_anchors = Table(
    "rolesanywhere_trust_anchors",
    metadata,
    Column("trust_anchor_id", String(36), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("name", String(255), nullable=False),
    Column("document", Text, nullable=False),  # JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Roles Anywhere profiles and CRLs: keys and times as columns, the rest a JSON document. A CRL's parent is its
# trust anchor, and an anchor has at most one CRL (the unique key on kind + parent).
rolesanywhere_resources = Table(
    "rolesanywhere_resources",
    metadata,
    Column("resource_id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("name", String(1024), nullable=False),
    Column("parent_id", String(36), nullable=True),
    Column("document", Text, nullable=False),  # JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "parent_id", name="uq_rolesanywhere_resources_kind_parent"),
)

# Roles Anywhere subjects, the same shape: apart because they are bookkeeping (written as sessions are issued,
# untracked by the invalidation generations) while profiles and CRLs decide CreateSession (tracked).
rolesanywhere_subjects = Table(
    "rolesanywhere_subjects",
    metadata,
    Column("resource_id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("name", String(1024), nullable=False),
    Column("parent_id", String(36), nullable=True),
    Column("document", Text, nullable=False),  # JSON
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Registered instances (docs/adr/0038-registered-instances.md): the join token as its SHA-256 only, and the
# instance credential's generations (the newest issued, and the oldest that still authenticates).
instances = Table(
    "instances",
    metadata,
    Column("instance_id", String(19), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("partition", String(32), nullable=False),
    Column("region", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("join_token_hash", String(64), nullable=False, unique=True),
    Column("join_token_expires_at", DateTime(timezone=True), nullable=False),
    Column("join_token_redeemed", Boolean, nullable=False),
    Column("joined_at", DateTime(timezone=True), nullable=True),
    Column("credential_generation", Integer, nullable=False),
    Column("oldest_valid_generation", Integer, nullable=False),
    Column("tags", Text, nullable=False),  # JSON [[key, value], …]
)

# An instance's one instance profile association (EC2 API reference, IamInstanceProfileAssociation): unique
# per instance, so a second AssociateIamInstanceProfile is refused by the key.
instance_profile_associations = Table(
    "instance_profile_associations",
    metadata,
    Column("association_id", String(27), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("instance_id", String(19), ForeignKey("instances.instance_id", ondelete="CASCADE"), nullable=False,
           unique=True),
    Column("profile_arn", String(2048), nullable=False),
    Column("profile_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The store copy of the audit trail (docs/adr/0041-audit-record-commits-with-its-change.md): one row per
# CloudTrail record, inserted in the transaction of the change it describes, with the columns CloudTrail's
# LookupEvents filters on (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
# ``seq`` orders rows in commit order (every insert runs under the one write lock) for the file drain;
# ``complete`` is false while the response half of the record (responseElements) has not been written.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_time", DateTime(timezone=True), nullable=False, index=True),
    Column("event_name", String(128), nullable=False, index=True),
    Column("event_source", String(128), nullable=False),
    Column("username", String(255), nullable=True),
    Column("access_key_id", String(128), nullable=True),
    Column("read_only", Boolean, nullable=False),
    Column("recipient_account_id", String(12), nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("record", Text, nullable=False),  # the CloudTrail record, JSON
    # LookupEvents' order within an account, newest first: a page is read off the index, never sorted (0016).
    Index("ix_audit_events_account_time", "recipient_account_id", "event_time", "seq"),
    # Never reuse a seq, even once retention has deleted every row: the drain's mark must stay behind new rows.
    sqlite_autoincrement=True,
)

# LookupEvents' "Resources" of each record (ResourceType, ResourceName), for the two attributes that filter on them.
audit_event_resources = Table(
    "audit_event_resources",
    metadata,
    Column("seq", Integer, ForeignKey("audit_events.seq", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("resource_type", String(128), nullable=False, index=True),
    Column("resource_name", String(2048), nullable=False, index=True),
)

# How far each consumer of ``audit_events`` has read (the file drain: the last ``seq`` it made durable in the sink).
audit_marks = Table(
    "audit_marks",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("seq", Integer, nullable=False),
)
