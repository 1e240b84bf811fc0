"""CNIPA open-license announcements recorded as public facts, the source of a declaration (platform or CNIPA),
and the kind of an import batch (inventory or cnipa; an admin without an organisation may import announcements)
(issue 15 item 5); the payments of transfers and licenses, confirmed by the seller, and their consent act
(issue 15 item 3: inventors' rewards are due on income received).

Revision ID: ee31583dd836
Revises: 33750c3a73f0
Create Date: 2026-12-02 14:12:09.329212

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ee31583dd836'
down_revision = '33750c3a73f0'
branch_labels = None
depends_on = None

CONSENT_ACTS = ("deal_signing", "deal_recordal", "deal_completion", "deal_cancellation", "deal_amendment",
                "pledge_registration", "pledge_release", "open_license_declaration", "open_license_withdrawal",
                "license_payment", "patent_abandonment")
NEW_CONSENT_ACTS = ("deal_payment",)


def _check(table: str, column: str, name: str, values: tuple[str, ...]) -> None:
    """Replace the CHECK constraint listing an enum column's values (recreates the table on SQLite)."""
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(name), type_="check")
        batch_op.create_check_constraint(op.f(name), sa.text(f"{column} IN ({listed})"))


def upgrade():
    op.create_table('open_license_announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_number', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('patentee', sa.String(length=200), nullable=False),
    sa.Column('payment_method', sa.Enum('lump_sum', 'royalty_sales', 'royalty_profit', 'entry_fee_royalty', 'free', name='announcement_payment', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('fixed_fee', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('royalty_rate', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('royalty_base', sa.Enum('sales', 'profit', name='announcement_royalty_base', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=False),
    sa.Column('announced_on', sa.Date(), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_open_license_announcements_import_batch_id_import_batches'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['organisations.id'], name=op.f('fk_open_license_announcements_recorded_by_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_license_announcements')),
    sa.UniqueConstraint('application_number', 'announced_on', name=op.f('uq_open_license_announcements_application_number_announced_on'))
    )
    with op.batch_alter_table('open_license_announcements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_license_announcements_application_number'), ['application_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_license_announcements_recorded_by_id'), ['recorded_by_id'], unique=False)

    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='inventory', nullable=False))
        batch_op.alter_column('organisation_id',
               existing_type=sa.INTEGER(),
               nullable=True)

    with op.batch_alter_table('open_license_declarations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=32), server_default='platform', nullable=False))

    op.create_table('deal_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('status', sa.Enum('reported', 'confirmed', 'rejected', name='deal_payment_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_deal_payments_deal_id_deals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_deal_payments_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_payments'))
    )
    with op.batch_alter_table('deal_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_payments_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_payments_paid_on'), ['paid_on'], unique=False)

    _check("proposals", "act", "ck_proposals_consent_act", CONSENT_ACTS + NEW_CONSENT_ACTS)



def downgrade():
    op.execute("DELETE FROM proposals WHERE act = 'deal_payment'")
    _check("proposals", "act", "ck_proposals_consent_act", CONSENT_ACTS)
    with op.batch_alter_table('deal_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_payments_paid_on'))
        batch_op.drop_index(batch_op.f('ix_deal_payments_deal_id'))

    op.drop_table('deal_payments')
    with op.batch_alter_table('open_license_declarations', schema=None) as batch_op:
        batch_op.drop_column('source')

    op.execute("DELETE FROM import_batches WHERE kind = 'cnipa'")
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.alter_column('organisation_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('kind')

    with op.batch_alter_table('open_license_announcements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_license_announcements_recorded_by_id'))
        batch_op.drop_index(batch_op.f('ix_open_license_announcements_application_number'))

    op.drop_table('open_license_announcements')
