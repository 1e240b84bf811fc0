"""One row per import: who uploaded what, how, and what became of every row."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.core.models import portable_enum, utcnow
from marketplace.extensions import db


class ImportMode(enum.StrEnum):
    VALID_ONLY = "valid_only"          # import the good rows, report the bad ones
    ALL_OR_NOTHING = "all_or_nothing"  # any bad row: write nothing


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"      # a large upload waiting for its background job
    READING = "reading"    # the job reads and validates rows (``progress_rows`` so far)
    SAVING = "saving"      # the job writes the valid rows
    DONE = "done"
    REJECTED = "rejected"  # all_or_nothing met bad rows: nothing written, the report says why
    FAILED = "failed"      # unreadable file or an internal error (``error``)

    @property
    def finished(self) -> bool:
        return self in (ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED)


class ImportBatch(db.Model):
    """One import; ``report`` keeps the recognised columns and every row error and warning.

    Small uploads are imported within the request and leave a batch only when
    they changed something (a refused import changes nothing and leaves no
    batch). Large ones (``imports.services.BACKGROUND_BYTES``) are stored in
    ``upload`` and run as a job: the batch then records their progress, and a
    refused or failed one keeps its report or error for the uploader to read.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a platform admin without an organisation imported public announcements (``kind`` cnipa)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
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
    status: Mapped[ImportStatus] = mapped_column(portable_enum(ImportStatus, "import_status"),
                                                 default=ImportStatus.DONE, server_default=ImportStatus.DONE.value)
    progress_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    expected_rows: Mapped[int | None]
    upload: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))  # the file, until its job has run
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    # "inventory" (patents) or "cnipa" (open-license announcements, ``marketplace.cnipa``)
    kind: Mapped[str] = mapped_column(String(16), default="inventory", server_default="inventory")

    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_import_batches_organisation_created", "organisation_id", "created_at"),)
