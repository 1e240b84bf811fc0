"""Royalty reports, royalty periods on installments, the annual-fee ledger, fee-reduction statuses and the
yearly keep-or-abandon decisions; new notification kinds and the patent-abandonment consent act.

Revision ID: e8a2c5d7f913
Revises: e5a2c9d3f1b8
Create Date: 2026-12-02 06:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8a2c5d7f913'
down_revision = 'e5a2c9d3f1b8'
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

    op.create_table('fee_reduction_statuses',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_fee_reduction_statuses_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_fee_reduction_statuses_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_fee_reduction_statuses'))
    )
    op.create_table('annual_fees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patent_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('fee_year', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('grace_end', sa.Date(), nullable=False),
    sa.Column('standard', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('open', 'paid', 'lapsed', 'closed', name='annual_fee_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('surcharge', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('paid_amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('with_grant', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['organisations.id'], name=op.f('fk_annual_fees_owner_id_organisations')),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_annual_fees_patent_id_patents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_annual_fees_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_fees')),
    sa.UniqueConstraint('patent_id', 'fee_year', name=op.f('uq_annual_fees_patent_id_fee_year'))
    )
    with op.batch_alter_table('annual_fees', schema=None) as batch_op:
        batch_op.create_index('ix_annual_fees_open_due', ['state', 'due_date'], unique=False)
        batch_op.create_index('ix_annual_fees_owner_due', ['owner_id', 'due_date', 'state', 'amount', 'standard'], unique=False)

    op.create_table('fee_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patent_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('review_year', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('keep', 'offer', 'abandon', name='fee_decision', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('recorded', 'pending', 'effective', 'rejected', name='fee_decision_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('offer_mode', sa.Enum('transfer', 'open_license', name='fee_offer_mode', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('offer_price', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('listed_until', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('terms_version', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_fee_decisions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['organisations.id'], name=op.f('fk_fee_decisions_owner_id_organisations')),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_fee_decisions_patent_id_patents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_decisions')),
    sa.UniqueConstraint('patent_id', 'review_year', name=op.f('uq_fee_decisions_patent_id_review_year'))
    )
    with op.batch_alter_table('fee_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_decisions_listed_until'), ['listed_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_fee_decisions_owner_id'), ['owner_id'], unique=False)

    _check("notifications", "kind", "ck_notifications_notification_kind", NOTIFICATION_KINDS + NEW_NOTIFICATION_KINDS)
    _check("proposals", "act", "ck_proposals_consent_act", CONSENT_ACTS + NEW_CONSENT_ACTS)


def downgrade():
    with op.batch_alter_table('fee_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_decisions_owner_id'))
        batch_op.drop_index(batch_op.f('ix_fee_decisions_listed_until'))

    op.drop_table('fee_decisions')
    with op.batch_alter_table('annual_fees', schema=None) as batch_op:
        batch_op.drop_index('ix_annual_fees_owner_due')
        batch_op.drop_index('ix_annual_fees_open_due')

    op.drop_table('annual_fees')
    op.drop_table('fee_reduction_statuses')

    op.execute("DELETE FROM proposals WHERE act = 'patent_abandonment'")
    _check("proposals", "act", "ck_proposals_consent_act", CONSENT_ACTS)
    op.execute("DELETE FROM notifications WHERE kind IN ('royalty_report_due', 'payment_overdue', 'annual_fee_due')")
    _check("notifications", "kind", "ck_notifications_notification_kind", NOTIFICATION_KINDS)

    with op.batch_alter_table('open_license_installments', schema=None) as batch_op:
        batch_op.drop_column('period_end')

    with op.batch_alter_table('royalty_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_royalty_reports_license_id'))

    op.drop_table('royalty_reports')
