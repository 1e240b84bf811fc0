"""Agencies in message threads: who asked to join, who both parties admitted; the consent act and role for it.

Revision ID: 0b952e48a75a
Revises: ee31583dd836
Create Date: 2026-12-02 14:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0b952e48a75a'
down_revision = 'ee31583dd836'
branch_labels = None
depends_on = None

CONSENT_ACTS = ("deal_signing", "deal_recordal", "deal_completion", "deal_cancellation", "deal_amendment",
                "pledge_registration", "pledge_release", "open_license_declaration", "open_license_withdrawal",
                "license_payment", "patent_abandonment", "deal_payment")
CONSENT_ROLES = ("seller", "buyer", "co_owner", "patentee", "pledgor", "pledgee", "payee")


def _check(table: str, column: str, name: str, values: tuple[str, ...]) -> None:
    """Replace the CHECK constraint listing an enum column's values (recreates the table on SQLite)."""
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(name), type_="check")
        batch_op.create_check_constraint(op.f(name), sa.text(f"{column} IN ({listed})"))


def upgrade():
    op.create_table('message_thread_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'active', 'refused', 'removed', name='thread_member_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_message_thread_members_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['message_threads.id'], name=op.f('fk_message_thread_members_thread_id_message_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_thread_members')),
    sa.UniqueConstraint('thread_id', 'organisation_id', name=op.f('uq_message_thread_members_thread_id_organisation_id'))
    )
    with op.batch_alter_table('message_thread_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_thread_members_organisation_id'), ['organisation_id'], unique=False)
    _check("proposals", "act", "ck_proposals_consent_act", CONSENT_ACTS + ("thread_agency",))
    _check("consents", "role", "ck_consents_consent_role", CONSENT_ROLES + ("thread_party",))


def downgrade():
    op.execute("DELETE FROM consents WHERE role = 'thread_party'")
    op.execute("DELETE FROM proposals WHERE act = 'thread_agency'")
    _check("consents", "role", "ck_consents_consent_role", CONSENT_ROLES)
    _check("proposals", "act", "ck_proposals_consent_act", CONSENT_ACTS)
    with op.batch_alter_table('message_thread_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_thread_members_organisation_id'))
    op.drop_table('message_thread_members')
