"""office at scale: queue and statistics indexes, leads.report_received_at, statistics aggregate

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Partial indexes, written the same way for PostgreSQL and SQLite (both support WHERE).
DRAFT = sa.text("state = 'draft'")
ACCEPTED = sa.text("accepted_at IS NOT NULL")
UNTRIAGED = sa.text("triage_state <> 'done'")


def _partial(where: sa.TextClause) -> dict:
    return {"postgresql_where": where, "sqlite_where": where}


def upgrade() -> None:
    # The copy of the report's received_at: added empty, filled, then required.
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_received_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE leads SET report_received_at = "
               "(SELECT reports.received_at FROM reports WHERE reports.id = leads.report_id)")
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.alter_column('report_received_at', existing_type=sa.DateTime(), nullable=False)

    # After the batch operations above, which rebuild the table on SQLite.
    op.create_index('ix_leads_queue', 'leads', ['priority', 'report_received_at', 'report_id', 'area',
                                                'primary_category', 'agency'], **_partial(DRAFT))
    op.create_index('ix_leads_durations', 'leads', ['report_received_at', 'agency', 'accepted_at',
                                                    'closed_at'], **_partial(ACCEPTED))
    op.create_index(op.f('ix_leads_updated_at'), 'leads', ['updated_at'], unique=False)
    op.create_index('ix_reports_untriaged', 'reports', ['received_at', 'id'], **_partial(UNTRIAGED))
    op.create_index(op.f('ix_status_events_at'), 'status_events', ['at'], unique=False)

    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_transfers_changed_at'), ['changed_at'], unique=False)

    op.create_table('stats_days',
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('measure', sa.String(length=10), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'measure', 'day', 'key', name=op.f('pk_stats_days'))
    )
    with op.batch_alter_table('stats_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stats_days_day'), ['day'], unique=False)

    op.create_table('stats_refreshes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.Column('last_report_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_refreshes'))
    )


def downgrade() -> None:
    op.drop_table('stats_refreshes')
    with op.batch_alter_table('stats_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stats_days_day'))
    op.drop_table('stats_days')

    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfers_changed_at'))
        batch_op.drop_column('changed_at')

    op.drop_index(op.f('ix_status_events_at'), table_name='status_events')
    op.drop_index('ix_reports_untriaged', table_name='reports')
    op.drop_index(op.f('ix_leads_updated_at'), table_name='leads')
    op.drop_index('ix_leads_durations', table_name='leads')
    op.drop_index('ix_leads_queue', table_name='leads')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('report_received_at')
