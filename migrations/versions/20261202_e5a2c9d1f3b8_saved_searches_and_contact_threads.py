"""saved searches and contact threads

- saved_searches: a user's saved patent search (query, filters), when it last looked (seen_at) and was alerted;
- message_threads: a thread may be opened from a published patent's page (patent_id, the enquiring
  organisation_id, one per pair) instead of a match, so match_id may be null.

Revision ID: e5a2c9d1f3b8
Revises: d4f1b8c2e6a7
Create Date: 2026-12-02 06:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e5a2c9d1f3b8'
down_revision = 'd4f1b8c2e6a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'saved_searches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('filters', sa.JSON(), nullable=False),
        sa.Column('alerts', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.Column('notified_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_searches_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches')),
    )
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_searches_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('message_threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('patent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.alter_column('match_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_message_threads_patent_id'), ['patent_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_message_threads_patent_id_organisation_id'),
                                          ['patent_id', 'organisation_id'])
        batch_op.create_foreign_key(batch_op.f('fk_message_threads_patent_id_patents'), 'patents', ['patent_id'],
                                    ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_message_threads_organisation_id_organisations'),
                                    'organisations', ['organisation_id'], ['id'], ondelete='CASCADE')


def downgrade():
    op.execute("DELETE FROM message_threads WHERE match_id IS NULL")
    with op.batch_alter_table('message_threads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_threads_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_message_threads_patent_id_patents'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_message_threads_patent_id_organisation_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_message_threads_patent_id'))
        batch_op.alter_column('match_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('organisation_id')
        batch_op.drop_column('patent_id')
    with op.batch_alter_table('saved_searches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_searches_user_id'))
    op.drop_table('saved_searches')
