"""STS: the session key ring (sealed keys) and virtual MFA devices (sealed TOTP seeds).

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: two new tables; nodes on the previous revision never read them.
    op.create_table('session_keys',
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('material_sealed', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_session_keys'))
    )
    op.create_table('mfa_devices',
    sa.Column('serial_number', sa.String(length=512), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=226), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('seed_sealed', sa.Text(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('enabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_mfa_devices_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_mfa_devices_user_id_users')),
    sa.PrimaryKeyConstraint('serial_number', name=op.f('pk_mfa_devices'))
    )
    with op.batch_alter_table('mfa_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_devices_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mfa_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_devices_user_id'))
    op.drop_table('mfa_devices')
    op.drop_table('session_keys')
