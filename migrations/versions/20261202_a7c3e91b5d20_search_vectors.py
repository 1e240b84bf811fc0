"""Search vectors: each patent's and need's text vector, stored so a rebuild reuses it.

Revision ID: a7c3e91b5d20
Revises: b7e3c1a94d20
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "a7c3e91b5d20"
down_revision = "b7e3c1a94d20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_vectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("text_hash", sa.String(length=40), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_vectors")),
        sa.UniqueConstraint("entity_type", "entity_id", name="uq_search_vectors_entity"),
    )


def downgrade() -> None:
    op.drop_table("search_vectors")
