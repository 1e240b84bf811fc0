"""hardening: session versions, sign-in unlock links, outbox claims, background imports

- users.session_version: bumped by a password reset, so other sessions and remember-me cookies die;
- login_unlock_tokens: the link mailed when sign-in from one address is being slowed down;
- outbox_events.claimed_at: a drain claims its rows atomically (each row handled once);
- import_batches: status, progress and the stored upload of background imports;
- notifications.kind may be import_finished.

Revision ID: b7c4e1a9d2f0
Revises: c0e5e7a9b1d2
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7c4e1a9d2f0'
down_revision = 'c0e5e7a9b1d2'
branch_labels = None
depends_on = None

NOTIFICATION_KINDS = ('match_pushed', 'digest', 'interest', 'message', 'need_expiring', 'consent_requested',
                      'act_effective', 'act_rejected')
IMPORT_STATUSES = ('queued', 'reading', 'saving', 'done', 'rejected', 'failed')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1', nullable=False))

    op.create_table('login_unlock_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_unlock_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_unlock_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_unlock_tokens_token_hash'))
    )
    with op.batch_alter_table('login_unlock_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_unlock_tokens_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=32), server_default='done', nullable=False))
        batch_op.add_column(sa.Column('progress_rows', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('expected_rows', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('upload', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_import_batches_import_status'), _in('status', IMPORT_STATUSES))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_notification_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_notification_kind'),
                                         _in('kind', NOTIFICATION_KINDS + ('import_finished',)))


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind = 'import_finished'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_notification_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_notification_kind'), _in('kind', NOTIFICATION_KINDS))

    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_import_batches_import_status'), type_='check')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('error')
        batch_op.drop_column('upload')
        batch_op.drop_column('expected_rows')
        batch_op.drop_column('progress_rows')
        batch_op.drop_column('status')

    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')

    with op.batch_alter_table('login_unlock_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_unlock_tokens_user_id'))
    op.drop_table('login_unlock_tokens')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
