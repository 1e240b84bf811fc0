"""Console stale marks per (month, partition): the platform's rollup rows (agency_id 0) or one agency's, so a new
deal refreshes its agency's month and the platform's instead of every agency's.

A mark left from before meant the whole month: it becomes the platform's mark plus one per agency.

Revision ID: b4d8e2f6a913
Revises: 9c3e5a7b1d20
Create Date: 2026-12-03 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4d8e2f6a913'
down_revision = '9c3e5a7b1d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stats_stale_months', schema=None, recreate='always') as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint('pk_stats_stale_months', type_='primary')
        batch_op.create_primary_key('pk_stats_stale_months', ['month', 'agency_id'])
    with op.batch_alter_table('stats_stale_months', schema=None) as batch_op:
        batch_op.alter_column('agency_id', server_default=None)
    op.execute("INSERT INTO stats_stale_months (month, agency_id, marked_at) "
               "SELECT stale.month, organisations.id, stale.marked_at FROM stats_stale_months AS stale "
               "CROSS JOIN organisations WHERE organisations.kind = 'agency' AND stale.agency_id = 0")


def downgrade():
    op.execute("INSERT INTO stats_stale_months (month, agency_id, marked_at) "
               "SELECT month, 0, min(marked_at) FROM stats_stale_months GROUP BY month HAVING min(agency_id) <> 0")
    op.execute("DELETE FROM stats_stale_months WHERE agency_id <> 0")
    with op.batch_alter_table('stats_stale_months', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_stats_stale_months', type_='primary')
        batch_op.create_primary_key('pk_stats_stale_months', ['month'])
        batch_op.drop_column('agency_id')
