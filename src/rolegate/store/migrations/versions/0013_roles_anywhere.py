"""IAM Roles Anywhere trust anchors, and profiles, CRLs and subjects as documents (subjects apart: untracked).

Revision ID: 0013
Revises: 0012
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: a new table nodes on the previous revision never touch.
    op.create_table(
        'rolesanywhere_trust_anchors',
        sa.Column('trust_anchor_id', sa.String(length=36), primary_key=True),
        sa.Column('account_id', sa.String(length=12), sa.ForeignKey('accounts.account_id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_rolesanywhere_trust_anchors_account_id', 'rolesanywhere_trust_anchors', ['account_id'])
    op.create_table(
        'rolesanywhere_resources',
        sa.Column('resource_id', sa.String(length=36), primary_key=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('account_id', sa.String(length=12), sa.ForeignKey('accounts.account_id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('name', sa.String(length=1024), nullable=False),
        sa.Column('parent_id', sa.String(length=36), nullable=True),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('kind', 'parent_id', name='uq_rolesanywhere_resources_kind_parent'),
    )
    op.create_index('ix_rolesanywhere_resources_account_id', 'rolesanywhere_resources', ['account_id'])
    op.create_table(
        'rolesanywhere_subjects',
        sa.Column('resource_id', sa.String(length=36), primary_key=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('account_id', sa.String(length=12), sa.ForeignKey('accounts.account_id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('name', sa.String(length=1024), nullable=False),
        sa.Column('parent_id', sa.String(length=36), nullable=True),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_rolesanywhere_subjects_account_id', 'rolesanywhere_subjects', ['account_id'])


def downgrade() -> None:
    op.drop_index('ix_rolesanywhere_subjects_account_id', table_name='rolesanywhere_subjects')
    op.drop_table('rolesanywhere_subjects')
    op.drop_index('ix_rolesanywhere_resources_account_id', table_name='rolesanywhere_resources')
    op.drop_table('rolesanywhere_resources')
    op.drop_index('ix_rolesanywhere_trust_anchors_account_id', table_name='rolesanywhere_trust_anchors')
    op.drop_table('rolesanywhere_trust_anchors')
