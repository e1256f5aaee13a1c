"""SQLAlchemy Core tables: the one description of the schema, dialect-neutral (SQLite and PostgreSQL).

Alembic migrations create these tables; ``tests/store`` checks that the migrated database matches.
Names are stored as given plus a lower-cased twin, because IAM names are unique ignoring case.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
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
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id", ondelete="CASCADE"), nullable=False),
    Column("user_name", String(64), nullable=True),
    Column("secret_sealed", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
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
    Column("permissions_boundary_arn", String(2048), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("last_used_region", String(64), nullable=True),
    UniqueConstraint("account_id", "name_lower", name="uq_roles_account_name"),
)

role_tags = Table(
    "role_tags",
    metadata,
    Column("role_id", String(32), ForeignKey("roles.role_id", ondelete="CASCADE"), primary_key=True),
    Column("key_lower", String(128), primary_key=True),
    Column("key", String(128), nullable=False),
    Column("value", String(256), nullable=False),
    Column("position", Integer, nullable=False),
)

role_inline_policies = Table(
    "role_inline_policies",
    metadata,
    Column("role_id", String(32), ForeignKey("roles.role_id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

# Managed-policy attachments and instance profiles are filled by the control-plane operations that
# own them; the role lifecycle reads them to refuse DeleteRole with DeleteConflict.
role_attached_policies = Table(
    "role_attached_policies",
    metadata,
    Column("role_id", String(32), ForeignKey("roles.role_id", ondelete="CASCADE"), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
)

instance_profile_roles = Table(
    "instance_profile_roles",
    metadata,
    Column("instance_profile_id", String(32), primary_key=True),
    Column("role_id", String(32), ForeignKey("roles.role_id"), nullable=False, index=True),
)
