"""notification messages: inbox entries keep their message key and parameters, rendered in the reader's language

Revision ID: a4c81e5f9b27
Revises: f3b7d1a9c2e4
Create Date: 2026-12-02 14:30:00

Rows written before keep ``message`` empty and go on showing the Chinese
``title`` and ``body`` stored then.
"""
import sqlalchemy as sa
from alembic import op

revision = 'a4c81e5f9b27'
down_revision = 'f3b7d1a9c2e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('message')
