"""The store copy of the audit trail: CloudTrail records with LookupEvents' filter columns, and the drain's mark.

Revision ID: 0015
Revises: 0014
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only: new tables nodes on the previous revision never touch.
    op.create_table(
        'audit_events',
        sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('event_time', sa.DateTime(timezone=True), nullable=False),
        sa.Column('event_name', sa.String(length=128), nullable=False),
        sa.Column('event_source', sa.String(length=128), nullable=False),
        sa.Column('username', sa.String(length=255), nullable=True),
        sa.Column('access_key_id', sa.String(length=128), nullable=True),
        sa.Column('read_only', sa.Boolean(), nullable=False),
        sa.Column('recipient_account_id', sa.String(length=12), nullable=False),
        sa.Column('complete', sa.Boolean(), nullable=False),
        sa.Column('record', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_events')),
        sa.UniqueConstraint('event_id', name=op.f('uq_audit_events_event_id')),
        # AUTOINCREMENT: a seq is never reused, even after retention deleted every row (the drain's mark).
        sqlite_autoincrement=True,
    )
    op.create_index('ix_audit_events_event_time', 'audit_events', ['event_time'])
    op.create_index('ix_audit_events_event_name', 'audit_events', ['event_name'])
    op.create_index('ix_audit_events_recipient_account_id', 'audit_events', ['recipient_account_id'])
    op.create_table(
        'audit_event_resources',
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('resource_type', sa.String(length=128), nullable=False),
        sa.Column('resource_name', sa.String(length=2048), nullable=False),
        sa.ForeignKeyConstraint(['seq'], ['audit_events.seq'], name=op.f('fk_audit_event_resources_seq_audit_events'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('seq', 'position', name=op.f('pk_audit_event_resources')),
    )
    op.create_index('ix_audit_event_resources_resource_type', 'audit_event_resources', ['resource_type'])
    op.create_index('ix_audit_event_resources_resource_name', 'audit_event_resources', ['resource_name'])
    op.create_table(
        'audit_marks',
        sa.Column('consumer', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('consumer', name=op.f('pk_audit_marks')),
    )


def downgrade() -> None:
    op.drop_table('audit_marks')
    op.drop_table('audit_event_resources')
    op.drop_table('audit_events')
