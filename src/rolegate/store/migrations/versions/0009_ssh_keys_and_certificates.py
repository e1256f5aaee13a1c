"""SSH public keys, signing and server certificates, service-specific credentials, and service last accessed
(when each user and role last called each service; the finished reports).

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: new tables; nodes on the previous revision never read or write them.
    op.create_table('access_report_jobs',
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('arn', sa.String(length=2048), nullable=False),
    sa.Column('granularity', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_access_report_jobs_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_access_report_jobs'))
    )
    op.create_table('server_certificates',
    sa.Column('certificate_id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('name_lower', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=512), nullable=False),
    sa.Column('arn', sa.String(length=1024), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('chain', sa.Text(), nullable=True),
    sa.Column('private_key_sealed', sa.Text(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_server_certificates_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('certificate_id', name=op.f('pk_server_certificates')),
    sa.UniqueConstraint('account_id', 'name_lower', name='uq_server_certificates_account_name')
    )
    op.create_table('service_last_accessed',
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('entity_arn', sa.String(length=1024), nullable=False),
    sa.Column('namespace', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=128), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_service_last_accessed_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entity_arn', 'namespace', 'action', name=op.f('pk_service_last_accessed'))
    )
    op.create_table('service_specific_credentials',
    sa.Column('credential_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('service_name', sa.String(length=128), nullable=False),
    sa.Column('service_user_name', sa.String(length=200), nullable=False),
    sa.Column('password_sealed', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_service_specific_credentials_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_service_specific_credentials_user_id_users')),
    sa.PrimaryKeyConstraint('credential_id', name=op.f('pk_service_specific_credentials'))
    )
    op.create_index(op.f('ix_service_specific_credentials_user_id'), 'service_specific_credentials', ['user_id'], unique=False)
    op.create_table('signing_certificates',
    sa.Column('certificate_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_signing_certificates_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_signing_certificates_user_id_users')),
    sa.PrimaryKeyConstraint('certificate_id', name=op.f('pk_signing_certificates')),
    sa.UniqueConstraint('account_id', 'fingerprint', name='uq_signing_certificates_account_fingerprint')
    )
    op.create_index(op.f('ix_signing_certificates_user_id'), 'signing_certificates', ['user_id'], unique=False)
    op.create_table('ssh_public_keys',
    sa.Column('key_id', sa.String(length=128), nullable=False),
    sa.Column('account_id', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_ssh_public_keys_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], name=op.f('fk_ssh_public_keys_user_id_users')),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_ssh_public_keys'))
    )
    op.create_index(op.f('ix_ssh_public_keys_user_id'), 'ssh_public_keys', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ssh_public_keys_user_id'), table_name='ssh_public_keys')
    op.drop_table('ssh_public_keys')
    op.drop_index(op.f('ix_signing_certificates_user_id'), table_name='signing_certificates')
    op.drop_table('signing_certificates')
    op.drop_index(op.f('ix_service_specific_credentials_user_id'), table_name='service_specific_credentials')
    op.drop_table('service_specific_credentials')
    op.drop_table('service_last_accessed')
    op.drop_table('server_certificates')
    op.drop_table('access_report_jobs')
