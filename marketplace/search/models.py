"""Stored matches between needs and patents: the unit pushes, feedback and statistics work on."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import TimestampMixin, portable_enum
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.patents.models import Patent


class MatchStatus(enum.StrEnum):
    """Where a match stands in the funnel: suggested → pushed → viewed → interested → contacted, or dismissed."""

    SUGGESTED = "suggested"
    PUSHED = "pushed"
    VIEWED = "viewed"
    INTERESTED = "interested"
    CONTACTED = "contacted"
    DISMISSED = "dismissed"


class Match(TimestampMixin, db.Model):
    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id", ondelete="CASCADE"))
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[MatchStatus] = mapped_column(portable_enum(MatchStatus, "match_status"),
                                                default=MatchStatus.SUGGESTED)
    source: Mapped[str] = mapped_column(String(16), default="need")  # which side asked: need | patent | push
    pushed_at: Mapped[datetime | None]

    need: Mapped[Need] = relationship()
    patent: Mapped[Patent] = relationship()

    __table_args__ = (
        UniqueConstraint("need_id", "patent_id"),
        Index("ix_matches_need_score", "need_id", "score"),
    )
