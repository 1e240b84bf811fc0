"""Inventors and their shares in patents, institutions' reward policies, deductible costs of incomes and
the inventors' rewards paid (issue 15 items 3-4).

Revision ID: f3b7d1a9c2e4
Revises: e8a2c5d7f913
Create Date: 2026-12-02 09:24:11.430299

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b7d1a9c2e4'
down_revision = 'e8a2c5d7f913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('income_costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_income_costs_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_income_costs_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_income_costs'))
    )
    with op.batch_alter_table('income_costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_income_costs_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('inventors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('staff_number', sa.String(length=50), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_inventors_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventors')),
    sa.UniqueConstraint('organisation_id', 'staff_number', name=op.f('uq_inventors_organisation_id_staff_number'))
    )
    with op.batch_alter_table('inventors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventors_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('reward_policies',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('transfer_license_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('equity_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('agreement', sa.String(length=500), nullable=False),
    sa.Column('year_start_month', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_reward_policies_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_reward_policies'))
    )
    op.create_table('inventor_shares',
    sa.Column('patent_id', sa.Integer(), nullable=False),
    sa.Column('inventor_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['inventor_id'], ['inventors.id'], name=op.f('fk_inventor_shares_inventor_id_inventors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patent_id'], ['patents.id'], name=op.f('fk_inventor_shares_patent_id_patents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('patent_id', 'inventor_id', name=op.f('pk_inventor_shares'))
    )
    with op.batch_alter_table('inventor_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventor_shares_inventor_id'), ['inventor_id'], unique=False)

    op.create_table('reward_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('inventor_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reward_payments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['inventor_id'], ['inventors.id'], name=op.f('fk_reward_payments_inventor_id_inventors'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_reward_payments_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_payments')),
    sa.UniqueConstraint('source', 'item_id', 'inventor_id', name=op.f('uq_reward_payments_source_item_id_inventor_id'))
    )
    with op.batch_alter_table('reward_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reward_payments_inventor_id'), ['inventor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reward_payments_organisation_id'), ['organisation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('reward_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reward_payments_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_reward_payments_inventor_id'))

    op.drop_table('reward_payments')
    with op.batch_alter_table('inventor_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventor_shares_inventor_id'))

    op.drop_table('inventor_shares')
    op.drop_table('reward_policies')
    with op.batch_alter_table('inventors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventors_organisation_id'))

    op.drop_table('inventors')
    with op.batch_alter_table('income_costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_income_costs_organisation_id'))

    op.drop_table('income_costs')
