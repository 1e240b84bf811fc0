"""Stored matches between needs and patents: the unit pushes, feedback and statistics work on."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.i18n import lazy_gettext as _l
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

    @property
    def label(self) -> str:
        """The status in the visitor's language."""
        return str(_MATCH_STATUS_LABELS[self.value])


_MATCH_STATUS_LABELS = {"suggested": _l("待推送"), "pushed": _l("已推送"), "viewed": _l("已查看"), "interested": _l("感兴趣"),
                        "contacted": _l("已联系"), "dismissed": _l("不相关")}


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


class SearchVector(db.Model):
    """A patent's or need's text vector, kept with the data so a rebuild reuses it.

    ``model`` names the vector table that produced it and ``text_hash`` the
    text it was computed from: a vector of another model or of an older text
    is recomputed by the indexing job, never reused.
    """

    __tablename__ = "search_vectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(16))  # patent | need
    entity_id: Mapped[int]
    model: Mapped[str] = mapped_column(String(64))
    text_hash: Mapped[str] = mapped_column(String(40))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float16, little-endian

    __table_args__ = (UniqueConstraint("entity_type", "entity_id", name="uq_search_vectors_entity"),)


class SearchAnalysis(db.Model):
    """A patent's or need's analysed token fields, kept with the data so a rebuild re-sends them.

    ``analyzer`` is the analyzer's fingerprint and ``text_hash`` the digest of
    the text analysed (``matching.fields.analysis_inputs``): the indexing job
    analyses afresh whenever either differs, so a stale row is never used.
    """

    __tablename__ = "search_analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(16))  # patent | need
    entity_id: Mapped[int]
    analyzer: Mapped[str] = mapped_column(String(40))
    text_hash: Mapped[str] = mapped_column(String(40))
    tokens: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed JSON: field -> token text

    __table_args__ = (UniqueConstraint("entity_type", "entity_id", name="uq_search_analyses_entity"),)
