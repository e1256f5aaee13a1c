"""Initial schema: accounts, keys, roles, users, groups, managed policies, instance profiles, providers.

Revision ID: 0001
Revises: 
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('name', name=op.f('uq_accounts_name'))
    )
    op.create_table('resource_tags',
    sa.Column('resource_id', sa.String(length=2048), nullable=False),
    sa.Column('key_lower', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('value', sa.String(length=256), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('resource_id', 'key_lower', name=op.f('pk_resource_tags'))
    )
    op.create_table('groups',
    sa.Column('group_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_lower', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=1024), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_groups_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_groups')),
    sa.UniqueConstraint('account_id', 'name_lower', name='uq_groups_account_name')
    )
    op.create_table('instance_profiles',
    sa.Column('instance_profile_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_lower', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=1024), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_instance_profiles_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_profile_id', name=op.f('pk_instance_profiles')),
    sa.UniqueConstraint('account_id', 'name_lower', name='uq_instance_profiles_account_name')
    )
    op.create_table('managed_policies',
    sa.Column('policy_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_lower', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('default_version_id', sa.String(length=16), nullable=False),
    sa.Column('next_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_managed_policies_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('policy_id', name=op.f('pk_managed_policies')),
    sa.UniqueConstraint('account_id', 'name_lower', name='uq_managed_policies_account_name'),
    sa.UniqueConstraint('arn', name=op.f('uq_managed_policies_arn'))
    )
    op.create_table('oidc_providers',
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('url', sa.String(length=255), nullable=False),
    sa.Column('client_ids', sa.Text(), nullable=False),
    sa.Column('thumbprints', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_oidc_providers_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('arn', name=op.f('pk_oidc_providers'))
    )
    op.create_table('roles',
    sa.Column('role_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_lower', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=1024), nullable=False),
    sa.Column('trust_policy', sa.Text(), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('max_session_duration', sa.Integer(), nullable=False),
    sa.Column('permissions_boundary_arn', sa.String(length=2048), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_region', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_roles_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', name=op.f('pk_roles')),
    sa.UniqueConstraint('account_id', 'name_lower', name='uq_roles_account_name')
    )
    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roles_permissions_boundary_arn'), ['permissions_boundary_arn'], unique=False)

    op.create_table('saml_providers',
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('metadata_document', sa.Text(), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_saml_providers_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('arn', name=op.f('pk_saml_providers'))
    )
    op.create_table('service_linked_role_deletions',
    sa.Column('task_id', sa.String(length=256), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('role_name', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_service_linked_role_deletions_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_service_linked_role_deletions'))
    )
    op.create_table('users',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('name_lower', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=1024), nullable=False),
    sa.Column('permissions_boundary_arn', sa.String(length=2048), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_users_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_users')),
    sa.UniqueConstraint('account_id', 'name_lower', name='uq_users_account_name')
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_permissions_boundary_arn'), ['permissions_boundary_arn'], unique=False)

    op.create_table('access_keys',
    sa.Column('access_key_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('secret_sealed', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_service', sa.String(length=64), nullable=True),
    sa.Column('last_used_region', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_access_keys_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_access_keys_user_id_users')),
    sa.PrimaryKeyConstraint('access_key_id', name=op.f('pk_access_keys'))
    )
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_keys_user_id'), ['user_id'], unique=False)

    op.create_table('group_attached_policies',
    sa.Column('group_id', sa.String(length=32), nullable=False),
    sa.Column('policy_arn', sa.String(length=2048), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.group_id'], name=op.f('fk_group_attached_policies_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'policy_arn', name=op.f('pk_group_attached_policies'))
    )
    with op.batch_alter_table('group_attached_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_attached_policies_policy_arn'), ['policy_arn'], unique=False)

    op.create_table('group_inline_policies',
    sa.Column('group_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.group_id'], name=op.f('fk_group_inline_policies_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'name', name=op.f('pk_group_inline_policies'))
    )
    op.create_table('group_members',
    sa.Column('group_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.group_id'], name=op.f('fk_group_members_group_id_groups')),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_group_members_user_id_users')),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_user_id'), ['user_id'], unique=False)

    op.create_table('instance_profile_roles',
    sa.Column('instance_profile_id', sa.String(length=32), nullable=False),
    sa.Column('role_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['instance_profile_id'], ['instance_profiles.instance_profile_id'], name=op.f('fk_instance_profile_roles_instance_profile_id_instance_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['roles.role_id'], name=op.f('fk_instance_profile_roles_role_id_roles')),
    sa.PrimaryKeyConstraint('instance_profile_id', name=op.f('pk_instance_profile_roles'))
    )
    with op.batch_alter_table('instance_profile_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instance_profile_roles_role_id'), ['role_id'], unique=False)

    op.create_table('policy_versions',
    sa.Column('policy_id', sa.String(length=32), nullable=False),
    sa.Column('version_id', sa.String(length=16), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['managed_policies.policy_id'], name=op.f('fk_policy_versions_policy_id_managed_policies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('policy_id', 'version_id', name=op.f('pk_policy_versions'))
    )
    op.create_table('role_attached_policies',
    sa.Column('role_id', sa.String(length=32), nullable=False),
    sa.Column('policy_arn', sa.String(length=2048), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.role_id'], name=op.f('fk_role_attached_policies_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', 'policy_arn', name=op.f('pk_role_attached_policies'))
    )
    with op.batch_alter_table('role_attached_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_attached_policies_policy_arn'), ['policy_arn'], unique=False)

    op.create_table('role_inline_policies',
    sa.Column('role_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.role_id'], name=op.f('fk_role_inline_policies_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', 'name', name=op.f('pk_role_inline_policies'))
    )
    op.create_table('user_attached_policies',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('policy_arn', sa.String(length=2048), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_user_attached_policies_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'policy_arn', name=op.f('pk_user_attached_policies'))
    )
    with op.batch_alter_table('user_attached_policies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_attached_policies_policy_arn'), ['policy_arn'], unique=False)

    op.create_table('user_inline_policies',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_user_inline_policies_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'name', name=op.f('pk_user_inline_policies'))
    )


def downgrade() -> None:
    op.drop_table('user_inline_policies')
    with op.batch_alter_table('user_attached_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_attached_policies_policy_arn'))

    op.drop_table('user_attached_policies')
    op.drop_table('role_inline_policies')
    with op.batch_alter_table('role_attached_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_attached_policies_policy_arn'))

    op.drop_table('role_attached_policies')
    op.drop_table('policy_versions')
    with op.batch_alter_table('instance_profile_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instance_profile_roles_role_id'))

    op.drop_table('instance_profile_roles')
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_members_user_id'))

    op.drop_table('group_members')
    op.drop_table('group_inline_policies')
    with op.batch_alter_table('group_attached_policies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_attached_policies_policy_arn'))

    op.drop_table('group_attached_policies')
    with op.batch_alter_table('access_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_keys_user_id'))

    op.drop_table('access_keys')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_permissions_boundary_arn'))

    op.drop_table('users')
    op.drop_table('service_linked_role_deletions')
    op.drop_table('saml_providers')
    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roles_permissions_boundary_arn'))

    op.drop_table('roles')
    op.drop_table('oidc_providers')
    op.drop_table('managed_policies')
    op.drop_table('instance_profiles')
    op.drop_table('groups')
    op.drop_table('resource_tags')
    op.drop_table('accounts')
