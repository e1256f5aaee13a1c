"""Accounts carry the AWS partition they live in (aws, aws-cn, aws-us-gov, …).

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: a new column whose default is the partition every account had before it existed; nodes on
    # the previous revision neither read nor write it, and the accounts they create land in aws, as before.
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('partition', sa.String(length=32), nullable=False, server_default='aws'))


def downgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('partition')
