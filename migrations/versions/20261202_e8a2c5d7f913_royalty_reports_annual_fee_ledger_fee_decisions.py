"""Royalty reports, royalty periods on installments, the annual-fee ledger, fee-reduction statuses and the
yearly keep-or-abandon decisions; new notification kinds and the patent-abandonment consent act.

Revision ID: e8a2c5d7f913
Revises: d4f1b8c2e6a7
Create Date: 2026-12-02 06:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8a2c5d7f913'
down_revision = 'd4f1b8c2e6a7'
branch_labels = None
depends_on = None

NOTIFICATION_KINDS = ("match_pushed", "digest", "interest", "message", "need_expiring", "consent_requested",
                      "act_effective", "act_rejected", "import_finished", "agency")
NEW_NOTIFICATION_KINDS = ("royalty_report_due", "payment_overdue", "annual_fee_due")
CONSENT_ACTS = ("deal_signing", "deal_recordal", "deal_completion", "deal_cancellation", "deal_amendment",
                "pledge_registration", "pledge_release", "open_license_declaration", "open_license_withdrawal",
                "license_payment")
NEW_CONSENT_ACTS = ("patent_abandonment",)


def _check(table: str, column: str, name: str, values: tuple[str, ...]) -> None:
    """Replace the CHECK constraint listing an enum column's values (recreates the table on SQLite)."""
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(name), type_="check")
        batch_op.create_check_constraint(op.f(name), sa.text(f"{column} IN ({listed})"))


def upgrade():
    op.create_table('royalty_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('license_id', sa.Integer(), nullable=False),
    sa.Column('installment_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('base', sa.Enum('sales', 'profit', name='royalty_report_base', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('base_amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('units', sa.BigInteger(), nullable=True),
    sa.Column('rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('royalty', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_royalty_reports_filed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['installment_id'], ['open_license_installments.id'], name=op.f('fk_royalty_reports_installment_id_open_license_installments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['license_id'], ['open_license_grants.id'], name=op.f('fk_royalty_reports_license_id_open_license_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_royalty_reports')),
    sa.UniqueConstraint('installment_id', name=op.f('uq_royalty_reports_installment_id'))
    )
    with op.batch_alter_table('royalty_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_royalty_reports_license_id'), ['license_id'], unique=False)

    with op.batch_alter_table('open_license_installments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_end', sa.Date(), nullable=True))

    _check("notifications", "kind", "ck_notifications_notification_kind", NOTIFICATION_KINDS + NEW_NOTIFICATION_KINDS)
    _check("proposals", "act", "ck_proposals_consent_act", CONSENT_ACTS + NEW_CONSENT_ACTS)


def downgrade():
    op.execute("DELETE FROM proposals WHERE act = 'patent_abandonment'")
    _check("proposals", "act", "ck_proposals_consent_act", CONSENT_ACTS)
    op.execute("DELETE FROM notifications WHERE kind IN ('royalty_report_due', 'payment_overdue', 'annual_fee_due')")
    _check("notifications", "kind", "ck_notifications_notification_kind", NOTIFICATION_KINDS)

    with op.batch_alter_table('open_license_installments', schema=None) as batch_op:
        batch_op.drop_column('period_end')

    with op.batch_alter_table('royalty_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_royalty_reports_license_id'))

    op.drop_table('royalty_reports')
