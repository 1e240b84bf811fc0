"""One row per import: who uploaded what, how, and what became of every row."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.core.models import portable_enum, utcnow
from marketplace.extensions import db


class ImportMode(enum.StrEnum):
    VALID_ONLY = "valid_only"          # import the good rows, report the bad ones
    ALL_OR_NOTHING = "all_or_nothing"  # any bad row: write nothing


class ImportBatch(db.Model):
    """A completed import; ``report`` keeps the recognised columns and every row error and warning.

    Imports refused as a whole (unreadable file, ``all_or_nothing`` with bad
    rows) change nothing and leave no batch behind.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    mode: Mapped[ImportMode] = mapped_column(portable_enum(ImportMode, "import_mode"))
    publish: Mapped[bool] = mapped_column(default=False)
    total_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_import_batches_organisation_created", "organisation_id", "created_at"),)
