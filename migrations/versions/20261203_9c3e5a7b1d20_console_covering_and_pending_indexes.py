"""Console at a million deals: index-only reads of the rollup and of a month's deals, partial indexes for what the
console lists apart (deals that do not bind, licenses not yet effective).

Revision ID: 9c3e5a7b1d20
Revises: 7d41c2e9a6b3
Create Date: 2026-12-03 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c3e5a7b1d20'
down_revision = '7d41c2e9a6b3'
branch_labels = None
depends_on = None

PENDING_DEALS = "status NOT IN ('signed', 'recorded', 'completed') OR contract_date IS NULL"
AWAITING_EFFECT = "effective_on IS NULL"


def upgrade():
    with op.batch_alter_table('stats_monthly_rollup', schema=None) as batch_op:
        batch_op.drop_index('ix_stats_monthly_rollup_lookup')
        batch_op.create_index('ix_stats_monthly_rollup_cells', ['agency_id', 'dimension', 'month', 'mode', 'key'],
                              unique=False, postgresql_include=['items', 'cents'])
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_agency_contract_date')
        batch_op.create_index('ix_deals_agency_contract_date', ['agency_id', 'contract_date'], unique=False,
                              postgresql_include=['id', 'mode', 'status', 'amount', 'seller_id', 'buyer_id'])
        batch_op.drop_index('ix_deals_mode_status_date')
        batch_op.create_index('ix_deals_mode_status_date', ['mode', 'status', 'contract_date'], unique=False,
                              postgresql_include=['id', 'amount', 'agency_id', 'seller_id', 'buyer_id'])
        batch_op.create_index('ix_deals_pending_agency', ['agency_id', 'contract_date', 'created_at'], unique=False,
                              postgresql_where=sa.text(PENDING_DEALS), sqlite_where=sa.text(PENDING_DEALS))
        batch_op.create_index('ix_deals_pending', ['contract_date', 'created_at'], unique=False,
                              postgresql_where=sa.text(PENDING_DEALS), sqlite_where=sa.text(PENDING_DEALS))
    with op.batch_alter_table('open_license_grants', schema=None) as batch_op:
        batch_op.create_index('ix_open_license_grants_awaiting_effect', ['notice_date'], unique=False,
                              postgresql_where=sa.text(AWAITING_EFFECT), sqlite_where=sa.text(AWAITING_EFFECT))


def downgrade():
    with op.batch_alter_table('open_license_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_open_license_grants_awaiting_effect')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_pending')
        batch_op.drop_index('ix_deals_pending_agency')
        batch_op.drop_index('ix_deals_mode_status_date')
        batch_op.create_index('ix_deals_mode_status_date', ['mode', 'status', 'contract_date'], unique=False)
        batch_op.drop_index('ix_deals_agency_contract_date')
        batch_op.create_index('ix_deals_agency_contract_date', ['agency_id', 'contract_date'], unique=False)
    with op.batch_alter_table('stats_monthly_rollup', schema=None) as batch_op:
        batch_op.drop_index('ix_stats_monthly_rollup_cells')
        batch_op.create_index('ix_stats_monthly_rollup_lookup', ['agency_id', 'dimension', 'month'], unique=False)
