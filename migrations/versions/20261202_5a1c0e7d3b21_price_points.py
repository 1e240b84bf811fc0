"""Pricing help's price points: one row per concluded priced deal (or lump-sum open license), patent and
technology key, indexed for a mode's and a key's most recent; filled from the existing ledger.

Revision ID: 5a1c0e7d3b21
Revises: 0b952e48a75a
Create Date: 2026-12-02 22:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1c0e7d3b21'
down_revision = '0b952e48a75a'
branch_labels = None
depends_on = None

# The same rows as ``marketplace.pricing.points.rebuild`` (``flask pricing rebuild-points`` rewrites them too).
_DEALS = """
SELECT CASE d.mode WHEN 'auction' THEN 'transfer' ELSE d.mode END, COALESCE(d.contract_date, d.recorded_on),
       d.amount, (SELECT count(*) FROM deal_patents x WHERE x.deal_id = d.id), dp.patent_id, d.id,
       CAST(NULL AS INTEGER), d.seller_id, d.buyer_id, d.agency_id, {traits}, {key}
FROM deals d JOIN deal_patents dp ON dp.deal_id = d.id JOIN patents p ON p.id = dp.patent_id {join}
WHERE d.mode IN ('transfer', 'auction', 'license', 'equity') AND d.status IN ('signed', 'recorded', 'completed')
  AND d.amount > 0 AND COALESCE(d.contract_date, d.recorded_on) IS NOT NULL
"""
_LICENSES = """
SELECT 'open_license', g.effective_on, g.fixed_fee, 1, g.patent_id, CAST(NULL AS INTEGER), g.id, g.licensor_id,
       g.licensee_id, CAST(NULL AS INTEGER), {traits}, {key}
FROM open_license_grants g JOIN patents p ON p.id = g.patent_id {join}
WHERE g.effective_on IS NOT NULL AND g.fee_type = 'fixed' AND g.fixed_fee > 0
"""
_TRAITS = ("p.patent_type, p.ipc_main, p.maturity, "
           "COALESCE((SELECT {aggregate}(c.segment_code, ',') FROM patent_segments c WHERE c.patent_id = p.id), '')")
_BY_SEGMENT = {"key": "'seg:' || s.segment_code", "join": "JOIN patent_segments s ON s.patent_id = p.id"}
_BY_IPC = {"key": "'ipc:' || substr(p.ipc_main, 1, 4)", "join": "AND length(p.ipc_main) >= 4"}


def backfill(dialect: str) -> str:
    """The INSERT filling price_points from the ledger (tests/marketplace/pricing/test_points.py runs it too)."""
    traits = _TRAITS.format(aggregate="string_agg" if dialect == "postgresql" else "group_concat")
    selects = [template.format(traits=traits, **by) for template in (_DEALS, _LICENSES) for by in (_BY_SEGMENT, _BY_IPC)]
    return ("INSERT INTO price_points (mode, concluded_on, amount, parts, patent_id, deal_id, license_id, seller_id, "
            "buyer_id, agency_id, patent_type, ipc_main, maturity, segments, technology) " + " UNION ALL ".join(selects))


def upgrade():
    op.create_table('price_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('technology', sa.String(length=48), nullable=False),
    sa.Column('concluded_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('parts', sa.Integer(), nullable=False),
    sa.Column('patent_id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('license_id', sa.Integer(), nullable=True),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('patent_type', sa.String(length=32), nullable=False),
    sa.Column('ipc_main', sa.String(length=20), nullable=True),
    sa.Column('maturity', sa.String(length=32), nullable=True),
    sa.Column('segments', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_points'))
    )
    with op.batch_alter_table('price_points', schema=None) as batch_op:
        batch_op.create_index('ix_price_points_recent', ['mode', 'technology', 'concluded_on', 'deal_id', 'license_id'], unique=False, postgresql_include=['patent_id', 'amount', 'parts', 'seller_id', 'buyer_id', 'agency_id', 'patent_type', 'ipc_main', 'maturity', 'segments'])
        batch_op.create_index(batch_op.f('ix_price_points_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_points_license_id'), ['license_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_points_patent_id'), ['patent_id'], unique=False)
    op.execute(backfill(op.get_bind().dialect.name))


def downgrade():
    with op.batch_alter_table('price_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_points_patent_id'))
        batch_op.drop_index(batch_op.f('ix_price_points_license_id'))
        batch_op.drop_index(batch_op.f('ix_price_points_deal_id'))
        batch_op.drop_index('ix_price_points_recent')

    op.drop_table('price_points')
