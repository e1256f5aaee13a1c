"""SAML providers keep the signing certificates parsed from their metadata (for assertion verification).

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: a new column with a default, so nodes on 0001 keep working beside nodes on 0002.
    with op.batch_alter_table('saml_providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signing_certificates', sa.Text(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('saml_providers', schema=None) as batch_op:
        batch_op.drop_column('signing_certificates')
