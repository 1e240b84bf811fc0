"""Auction and entrusted operation as deal modes: the mode's CHECK lists them; an auction's reserve price,
auction house and date, an entrusted operation's fee share and scope (issue 14 item 5).

Revision ID: 33750c3a73f0
Revises: a4c81e5f9b27
Create Date: 2026-12-02 14:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '33750c3a73f0'
down_revision = 'a4c81e5f9b27'
branch_labels = None
depends_on = None

DEAL_MODES = ("transfer", "license", "equity")
NEW_DEAL_MODES = ("auction", "entrusted")


def _mode_check(batch_op, values: tuple[str, ...]) -> None:
    """Replace the CHECK listing the deal modes (inside the batch: SQLite recreates the table once)."""
    listed = ", ".join(f"'{value}'" for value in values)
    batch_op.drop_constraint(op.f("ck_deals_deal_mode"), type_="check")
    batch_op.create_check_constraint(op.f("ck_deals_deal_mode"), sa.text(f"mode IN ({listed})"))


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reserve_price', sa.Numeric(precision=16, scale=2), nullable=True))
        batch_op.add_column(sa.Column('auction_house_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('auction_house_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('auction_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('fee_share', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.add_column(sa.Column('operation_scope', sa.String(length=1000), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_deals_auction_house_id_organisations'), 'organisations',
                                    ['auction_house_id'], ['id'])
        _mode_check(batch_op, DEAL_MODES + NEW_DEAL_MODES)


def downgrade():
    op.execute("DELETE FROM deal_patents WHERE deal_id IN (SELECT id FROM deals WHERE mode IN ('auction', 'entrusted'))")
    op.execute("DELETE FROM deals WHERE mode IN ('auction', 'entrusted')")
    with op.batch_alter_table('deals', schema=None) as batch_op:
        _mode_check(batch_op, DEAL_MODES)
        batch_op.drop_constraint(batch_op.f('fk_deals_auction_house_id_organisations'), type_='foreignkey')
        batch_op.drop_column('operation_scope')
        batch_op.drop_column('fee_share')
        batch_op.drop_column('auction_date')
        batch_op.drop_column('auction_house_name')
        batch_op.drop_column('auction_house_id')
        batch_op.drop_column('reserve_price')
