"""Login profiles (password hashes), account password policies, account aliases and credential reports.

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: four new tables; nodes on the previous revision never read or write them.
    op.create_table(
        'login_profiles',
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('password_hash', sa.Text(), nullable=False),
        sa.Column('previous_hashes', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('password_reset_required', sa.Boolean(), nullable=False),
        sa.Column('max_signin_session_duration', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'],
                                name=op.f('fk_login_profiles_account_id_accounts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_login_profiles_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_login_profiles')),
    )
    op.create_index(op.f('ix_login_profiles_account_id'), 'login_profiles', ['account_id'], unique=False)
    op.create_table(
        'account_password_policies',
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('minimum_password_length', sa.Integer(), nullable=False),
        sa.Column('require_symbols', sa.Boolean(), nullable=False),
        sa.Column('require_numbers', sa.Boolean(), nullable=False),
        sa.Column('require_uppercase_characters', sa.Boolean(), nullable=False),
        sa.Column('require_lowercase_characters', sa.Boolean(), nullable=False),
        sa.Column('allow_users_to_change_password', sa.Boolean(), nullable=False),
        sa.Column('max_password_age', sa.Integer(), nullable=True),
        sa.Column('password_reuse_prevention', sa.Integer(), nullable=True),
        sa.Column('hard_expiry', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'],
                                name=op.f('fk_account_password_policies_account_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_password_policies')),
    )
    op.create_table(
        'account_aliases',
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('alias', sa.String(length=63), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'],
                                name=op.f('fk_account_aliases_account_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_account_aliases')),
        sa.UniqueConstraint('alias', name=op.f('uq_account_aliases_alias')),
    )
    op.create_table(
        'credential_reports',
        sa.Column('account_id', sa.String(length=12), nullable=False),
        sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'],
                                name=op.f('fk_credential_reports_account_id_accounts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_credential_reports')),
    )


def downgrade() -> None:
    op.drop_table('credential_reports')
    op.drop_table('account_aliases')
    op.drop_table('account_password_policies')
    op.drop_index(op.f('ix_login_profiles_account_id'), table_name='login_profiles')
    op.drop_table('login_profiles')
