"""consents, co-owners as organisations, payments confirmed by the payee, ended declarations, invalidation pending

Revision ID: c0e5e7a9b1d2
Revises: a7c3e91b5d20
Create Date: 2026-12-02 09:00:00

Adds the proposals and consents every two-sided act waits for, the link from
a co-owner's name to its organisation, terms versions on deals, pledges and
declarations, the payment's status and evidence, the declaration's end, the
patent's legal-status date; widens the vocabularies (organisation kinds,
legal statuses, pledge, declaration and notification kinds); drops the typed
co-owner consents. Existing payments are taken as confirmed (they were
accepted under the earlier rules); stored patent types that contradict their
application number's type digit are corrected.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0e5e7a9b1d2'
down_revision = 'a7c3e91b5d20'
branch_labels = None
depends_on = None

# (table, column, constraint, values before, values after)
VOCABULARIES = [
    ("organisations", "kind", "ck_organisations_organisation_kind",
     ["university", "institute", "company", "agency", "bank"],
     ["university", "institute", "company", "agency", "bank", "guarantee", "financial"]),
    ("patents", "legal_status", "ck_patents_legal_status",
     ["pending", "granted", "fee_overdue", "terminated", "expired", "invalidated"],
     ["pending", "granted", "fee_overdue", "invalidation_pending", "terminated", "expired", "invalidated"]),
    ("pledges", "status", "ck_pledges_pledge_status", ["registered", "released"],
     ["proposed", "registered", "released", "rejected"]),
    ("open_license_declarations", "status", "ck_open_license_declarations_declaration_status",
     ["draft", "published", "withdrawn"], ["draft", "published", "withdrawn", "ended"]),
    ("notifications", "kind", "ck_notifications_notification_kind",
     ["match_pushed", "digest", "interest", "message", "need_expiring"],
     ["match_pushed", "digest", "interest", "message", "need_expiring", "consent_requested", "act_effective",
      "act_rejected"]),
]
LIVE_BEFORE = "status != 'withdrawn'"
LIVE_AFTER = "status IN ('draft', 'published')"
NOT_REJECTED = "status != 'rejected'"
# Type digit → patent type: the 5th digit of 12-digit numbers, the 3rd of 8-digit ones ("201710601862.3", "95115608.X").
TYPE_DIGITS = {"1": "invention", "8": "invention", "2": "utility_model", "9": "utility_model", "3": "design"}


def _check(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _patent_sort_indexes() -> None:
    """The patent list's expression indexes, as the first revision wrote them: SQLite's batch mode rebuilds the
    table without them (it cannot reflect expressions)."""
    covered = ["owner_id", "grade", "legal_status", "patent_type", "title"]
    op.create_index("ix_patents_order_application_date", "patents",
                    [sa.text("state"), sa.text("(application_date IS NULL)"), sa.text("application_date DESC"),
                     sa.text("id DESC"), *covered])
    op.create_index("ix_patents_order_grade", "patents",
                    [sa.text("state"), sa.text("(grade IS NULL)"), "grade", sa.text("id DESC"),
                     *[column for column in covered if column != "grade"]])


def _swap_checks(index: int) -> None:
    """Replace each vocabulary's CHECK by its list ``index`` (0 before, 1 after this revision)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column, name, *lists in VOCABULARIES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(name), type_="check")
            batch_op.create_check_constraint(op.f(name), _check(column, lists[index]))
        if table == "patents" and sqlite:
            _patent_sort_indexes()


def upgrade():
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('act', sa.Enum('deal_signing', 'deal_recordal', 'deal_completion', 'deal_cancellation', 'deal_amendment', 'pledge_registration', 'pledge_release', 'open_license_declaration', 'open_license_withdrawal', 'license_payment', name='consent_act', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('terms_version', sa.Integer(), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'effective', 'rejected', 'lapsed', name='proposal_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposer_organisation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_proposals_proposed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposer_organisation_id'], ['organisations.id'], name=op.f('fk_proposals_proposer_organisation_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index('ix_proposals_subject', ['subject_type', 'subject_id', 'status'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('seller', 'buyer', 'co_owner', 'patentee', 'pledgor', 'pledgee', 'payee', name='consent_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('terms_version', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('pending', 'approved', 'rejected', name='consent_decision', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_consents_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_consents_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_consents_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    sa.UniqueConstraint('proposal_id', 'organisation_id', name=op.f('uq_consents_proposal_id_organisation_id'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index('ix_consents_organisation_decision', ['organisation_id', 'decision'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('patent_co_owner_links',
    sa.Column('patent_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('linked_at', sa.DateTime(), nullable=True),
    sa.Column('invited_email', sa.String(length=254), nullable=True),
    sa.Column('invited_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_patent_co_owner_links_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_patent_co_owner_links_patent_id_patents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patent_id', 'name', name=op.f('pk_patent_co_owner_links'))
    )
    with op.batch_alter_table('patent_co_owner_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patent_co_owner_links_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms_version', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('open_license_declarations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.String(length=32), nullable=True))
        batch_op.drop_column('co_owner_consents')
        batch_op.drop_index('uq_open_license_declarations_live_patent')
        batch_op.create_index('uq_open_license_declarations_live_patent', ['patent_id'], unique=True,
                              sqlite_where=sa.text(LIVE_AFTER), postgresql_where=sa.text(LIVE_AFTER))

    with op.batch_alter_table('open_license_payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('reported', 'confirmed', 'rejected', name='payment_status', native_enum=False, create_constraint=True, length=32), nullable=False, server_default='confirmed'))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('evidence_path', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('evidence_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('evidence_type', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('evidence_size', sa.Integer(), nullable=True))
    op.execute("UPDATE open_license_payments SET confirmed_at = created_at")

    op.add_column('patents', sa.Column('legal_status_on', sa.Date(), nullable=True))
    for digit, patent_type in TYPE_DIGITS.items():
        op.execute(f"UPDATE patents SET patent_type = '{patent_type}' WHERE patent_type <> '{patent_type}' AND ("
                   f"(length(application_number) = 14 AND substr(application_number, 5, 1) = '{digit}') OR "
                   f"(length(application_number) = 10 AND substr(application_number, 3, 1) = '{digit}'))")

    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms_version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('invalidation_accepted', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_constraint('uq_pledges_registration_number', type_='unique')
        batch_op.drop_column('co_owner_consents')
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.create_index('uq_pledges_registration_number', ['registration_number'], unique=True,
                              sqlite_where=sa.text(NOT_REJECTED), postgresql_where=sa.text(NOT_REJECTED))

    _swap_checks(1)


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind IN ('consent_requested', 'act_effective', 'act_rejected')")
    op.execute("DELETE FROM pledge_patents WHERE pledge_id IN "
               "(SELECT id FROM pledges WHERE status IN ('proposed', 'rejected'))")
    op.execute("DELETE FROM pledges WHERE status IN ('proposed', 'rejected')")
    op.execute("UPDATE open_license_declarations SET status = 'withdrawn', withdrawn_on = ended_on "
               "WHERE status = 'ended'")
    op.execute("UPDATE patents SET legal_status = 'granted' WHERE legal_status = 'invalidation_pending'")
    _swap_checks(0)

    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index('uq_pledges_registration_number')
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('co_owner_consents', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.create_unique_constraint(batch_op.f('uq_pledges_registration_number'), ['registration_number'])
        batch_op.drop_column('invalidation_accepted')
        batch_op.drop_column('terms_version')

    with op.batch_alter_table('patents', schema=None) as batch_op:
        batch_op.drop_column('legal_status_on')
    if op.get_bind().dialect.name == "sqlite":
        _patent_sort_indexes()

    with op.batch_alter_table('open_license_payments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_open_license_payments_payment_status'), type_='check')
        batch_op.drop_column('evidence_size')
        batch_op.drop_column('evidence_type')
        batch_op.drop_column('evidence_name')
        batch_op.drop_column('evidence_path')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('status')

    with op.batch_alter_table('open_license_declarations', schema=None) as batch_op:
        batch_op.drop_index('uq_open_license_declarations_live_patent')
        batch_op.create_index('uq_open_license_declarations_live_patent', ['patent_id'], unique=True,
                              sqlite_where=sa.text(LIVE_BEFORE), postgresql_where=sa.text(LIVE_BEFORE))
        batch_op.add_column(sa.Column('co_owner_consents', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_on')
        batch_op.drop_column('terms_version')

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_column('terms_version')

    with op.batch_alter_table('patent_co_owner_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patent_co_owner_links_organisation_id'))

    op.drop_table('patent_co_owner_links')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_proposal_id'))
        batch_op.drop_index('ix_consents_organisation_decision')

    op.drop_table('consents')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_subject')

    op.drop_table('proposals')
