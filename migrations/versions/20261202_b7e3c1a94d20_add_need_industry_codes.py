"""Needs keep their GB/T 4754 国民经济行业 tags (industry_codes).

Revision ID: b7e3c1a94d20
Revises: 5f9a0d12fc83
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "b7e3c1a94d20"
down_revision = "5f9a0d12fc83"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("needs") as batch:
        batch.add_column(sa.Column("industry_codes", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("needs") as batch:
        batch.drop_column("industry_codes")
