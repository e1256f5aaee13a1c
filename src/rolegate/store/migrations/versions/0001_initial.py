"""Initial schema: accounts, access keys, roles with tags and inline policies.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_accounts"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
    )
    op.create_table(
        "access_keys",
        sa.Column("access_key_id", sa.String(128), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=True),
        sa.Column("secret_sealed", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("access_key_id", name="pk_access_keys"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE",
                                name="fk_access_keys_account_id_accounts"),
    )
    op.create_table(
        "roles",
        sa.Column("role_id", sa.String(32), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_lower", sa.String(64), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("arn", sa.String(1024), nullable=False),
        sa.Column("trust_policy", sa.Text, nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("max_session_duration", sa.Integer, nullable=False),
        sa.Column("permissions_boundary_arn", sa.String(2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_region", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("role_id", name="pk_roles"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE",
                                name="fk_roles_account_id_accounts"),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_roles_account_name"),
    )
    op.create_table(
        "role_tags",
        sa.Column("role_id", sa.String(32), nullable=False),
        sa.Column("key_lower", sa.String(128), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("role_id", "key_lower", name="pk_role_tags"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.role_id"], ondelete="CASCADE",
                                name="fk_role_tags_role_id_roles"),
    )
    op.create_table(
        "role_inline_policies",
        sa.Column("role_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("role_id", "name", name="pk_role_inline_policies"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.role_id"], ondelete="CASCADE",
                                name="fk_role_inline_policies_role_id_roles"),
    )
    op.create_table(
        "role_attached_policies",
        sa.Column("role_id", sa.String(32), nullable=False),
        sa.Column("policy_arn", sa.String(2048), nullable=False),
        sa.PrimaryKeyConstraint("role_id", "policy_arn", name="pk_role_attached_policies"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.role_id"], ondelete="CASCADE",
                                name="fk_role_attached_policies_role_id_roles"),
    )
    op.create_table(
        "instance_profile_roles",
        sa.Column("instance_profile_id", sa.String(32), nullable=False),
        sa.Column("role_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("instance_profile_id", name="pk_instance_profile_roles"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.role_id"], name="fk_instance_profile_roles_role_id_roles"),
    )
    op.create_index("ix_instance_profile_roles_role_id", "instance_profile_roles", ["role_id"])


def downgrade() -> None:
    for table in ("instance_profile_roles", "role_attached_policies", "role_inline_policies", "role_tags",
                  "roles", "access_keys", "accounts"):
        op.drop_table(table)
