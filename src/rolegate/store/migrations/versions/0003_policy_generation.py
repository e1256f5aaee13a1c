"""The policy generation counter that keeps every worker's authorization cache honest.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: a new table with its one row; nodes on 0002 ignore it (and bump nothing, so a mixed
    # deployment must not serve authorization from 0003 nodes until every node runs 0003).
    table = op.create_table(
        'policy_generation',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_generation')),
    )
    op.bulk_insert(table, [{'id': 1, 'generation': 1}])


def downgrade() -> None:
    op.drop_table('policy_generation')
