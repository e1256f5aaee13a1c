"""SAML assertions already redeemed by AssumeRoleWithSAML, kept until they expire (replay protection).

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: a new table nodes on the previous revision never touch.
    op.create_table(
        'saml_assertions',
        sa.Column('assertion_key', sa.String(length=64), primary_key=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_saml_assertions_expires_at', 'saml_assertions', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_saml_assertions_expires_at', table_name='saml_assertions')
    op.drop_table('saml_assertions')
