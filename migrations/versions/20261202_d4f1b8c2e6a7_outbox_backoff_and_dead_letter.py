"""outbox: backoff and dead letter

- outbox_events.next_attempt_at: a failed row waits out its backoff before a drain job takes it again;
- outbox_events.dead_at: the row failed the maximum number of attempts and waits for an administrator.

Revision ID: d4f1b8c2e6a7
Revises: a9e3c71d2b40
Create Date: 2026-12-02 03:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd4f1b8c2e6a7'
down_revision = 'a9e3c71d2b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('dead_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_column('dead_at')
        batch_op.drop_column('next_attempt_at')
