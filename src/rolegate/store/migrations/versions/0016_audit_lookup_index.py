"""LookupEvents reads a page off one index: (recipient account, event time, seq) replaces the account's own.

Every LookupEvents asks for one account's records in a time range, newest first, 50 at a time. With an index on
the account alone, SQLite and PostgreSQL both read every record of the account in the range and sort them for
each page; ordered by the index, a page stops after its 50th match. The index on the account alone is a prefix of
the new one, so it goes. Nodes still on 0015 name no index in their queries: they run unchanged beside it.

Revision ID: 0016
Revises: 0015
"""

from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_events_account_time', 'audit_events', ['recipient_account_id', 'event_time', 'seq'])
    op.drop_index('ix_audit_events_recipient_account_id', table_name='audit_events')


def downgrade() -> None:
    op.create_index('ix_audit_events_recipient_account_id', 'audit_events', ['recipient_account_id'])
    op.drop_index('ix_audit_events_account_time', table_name='audit_events')
