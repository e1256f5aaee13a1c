"""Scoped invalidation: one generation per account beside the global policy generation.

Revision ID: 0007
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: a new, empty table (a missing row reads as generation 0). Nodes on 0005 keep bumping only
    # the global counter, which every stamp includes, so a mixed deployment stays correct, just less scoped.
    op.create_table(
        'invalidation_scopes',
        sa.Column('scope', sa.String(length=64), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_invalidation_scopes')),
    )


def downgrade() -> None:
    op.drop_table('invalidation_scopes')
