"""MFA devices remember how far their clock is off (ResyncMFADevice).

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: a new column with a default; nodes on the previous revision neither read nor write it.
    with op.batch_alter_table('mfa_devices') as batch:
        batch.add_column(sa.Column('clock_offset_steps', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('mfa_devices') as batch:
        batch.drop_column('clock_offset_steps')
