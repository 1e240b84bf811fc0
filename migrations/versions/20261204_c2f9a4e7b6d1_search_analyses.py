"""Search analyses: each patent's and need's analysed token fields, stored so a rebuild re-sends them.

Revision ID: c2f9a4e7b6d1
Revises: b4d8e2f6a913
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "c2f9a4e7b6d1"
down_revision = "b4d8e2f6a913"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("analyzer", sa.String(length=40), nullable=False),
        sa.Column("text_hash", sa.String(length=40), nullable=False),
        sa.Column("tokens", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_analyses")),
        sa.UniqueConstraint("entity_type", "entity_id", name="uq_search_analyses_entity"),
    )


def downgrade() -> None:
    op.drop_table("search_analyses")
