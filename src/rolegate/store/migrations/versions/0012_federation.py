"""SAML providers' assertion encryption: the mode and the sealed private keys (CreateSAMLProvider's
AssertionEncryptionMode and AddPrivateKey).

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: nullable / defaulted columns that nodes on the previous revision never read.
    with op.batch_alter_table('saml_providers') as batch:
        batch.add_column(sa.Column('assertion_encryption_mode', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('private_keys', sa.Text(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('saml_providers') as batch:
        batch.drop_column('private_keys')
        batch.drop_column('assertion_encryption_mode')
