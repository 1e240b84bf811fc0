"""A transfer's or license's deductible costs belong to the deal: costs recorded against one of its confirmed
payments move to the deal, whose costs are deducted from its payments in the order received
(``legal.rewards.deduct_in_order``).

Revision ID: 7d41c2e9a6b3
Revises: 5a1c0e7d3b21
Create Date: 2026-12-02 22:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7d41c2e9a6b3'
down_revision = '5a1c0e7d3b21'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE income_costs SET item_id = (SELECT deal_payments.deal_id FROM deal_payments "
               "WHERE deal_payments.id = income_costs.item_id), source = 'deal' "
               "WHERE source = 'deal_payment' AND EXISTS (SELECT 1 FROM deal_payments "
               "WHERE deal_payments.id = income_costs.item_id)")


def downgrade():
    # which payment a cost was first recorded against is not kept: the costs stay on their deals
    pass
