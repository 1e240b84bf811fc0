"""Technology needs (技术需求) posted by companies."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.dates import local_today
from marketplace.accounts.models import Organisation, User
from marketplace.core.models import TimestampMixin, portable_enum
from marketplace.extensions import db


class NeedStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Need(TimestampMixin, db.Model):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    budget_min: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    budget_max: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    valid_until: Mapped[date | None]
    status: Mapped[NeedStatus] = mapped_column(portable_enum(NeedStatus, "need_status"), default=NeedStatus.OPEN)
    public: Mapped[bool] = mapped_column(default=True)
    closed_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(300))
    # GB/T 4754 国民经济行业 codes as tagged ("C", "C38"): kept as given, mapped to segments on save.
    industry_codes: Mapped[list[str]] = mapped_column(JSON, default=list)

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    segment_links: Mapped[list["NeedSegment"]] = relationship(
        cascade="all, delete-orphan", order_by="NeedSegment.segment_code")

    __table_args__ = (Index("ix_needs_listing", "status", "public", "created_at"),)

    @property
    def segments(self) -> list[str]:
        return [link.segment_code for link in self.segment_links]

    @property
    def is_expired(self) -> bool:
        """Past its validity date: still shown to its owner, no longer listed or matched."""
        return self.valid_until is not None and self.valid_until < local_today()

    @property
    def is_open(self) -> bool:
        return self.status == NeedStatus.OPEN and not self.is_expired

    @property
    def is_listed(self) -> bool:
        """Whether the public list shows it; private needs only feed matching pushes."""
        return self.public and self.is_open


class NeedSegment(db.Model):
    __tablename__ = "need_segments"

    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"), primary_key=True)
    segment_code: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
