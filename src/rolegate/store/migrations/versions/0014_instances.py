"""Registered instances and their instance profile associations.

Revision ID: 0014
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: new tables nodes on the previous revision never touch.
    op.create_table(
        'instances',
        sa.Column('instance_id', sa.String(length=19), primary_key=True),
        sa.Column('account_id', sa.String(length=12), sa.ForeignKey('accounts.account_id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('partition', sa.String(length=32), nullable=False),
        sa.Column('region', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('join_token_hash', sa.String(length=64), nullable=False),
        sa.Column('join_token_expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('join_token_redeemed', sa.Boolean(), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('credential_generation', sa.Integer(), nullable=False),
        sa.Column('oldest_valid_generation', sa.Integer(), nullable=False),
        sa.Column('tags', sa.Text(), nullable=False),
        sa.UniqueConstraint('join_token_hash', name='uq_instances_join_token_hash'),
    )
    op.create_index('ix_instances_account_id', 'instances', ['account_id'])
    op.create_table(
        'instance_profile_associations',
        sa.Column('association_id', sa.String(length=27), primary_key=True),
        sa.Column('account_id', sa.String(length=12), sa.ForeignKey('accounts.account_id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('instance_id', sa.String(length=19), sa.ForeignKey('instances.instance_id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('profile_arn', sa.String(length=2048), nullable=False),
        sa.Column('profile_id', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('instance_id', name='uq_instance_profile_associations_instance_id'),
    )
    op.create_index('ix_instance_profile_associations_account_id', 'instance_profile_associations', ['account_id'])


def downgrade() -> None:
    op.drop_index('ix_instance_profile_associations_account_id', table_name='instance_profile_associations')
    op.drop_table('instance_profile_associations')
    op.drop_index('ix_instances_account_id', table_name='instances')
    op.drop_table('instances')
