"""Grade labels and their criteria, each patent's scores and grade, and the history of grade changes.

``Patent.grade`` keeps the label's name (search, filters and sorting read it);
renaming a label renames the grade of every patent of the organisation that
carries it, so no patent is left with a label that no longer exists.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.core.models import portable_enum, utcnow
from marketplace.extensions import db
from marketplace.patents.vocab import LabelledEnum

MAX_SCORE = 100


class GradeAxis(LabelledEnum):
    """The three axes patents are judged on (seed 000: 法律稳定性、技术先进性、市场前景)."""

    LEGAL = "legal", "法律稳定性"
    TECHNICAL = "technical", "技术先进性"
    MARKET = "market", "市场前景"


class GradeLabel(db.Model):
    """One of an owner's grade labels, ranked by ``position`` (1 = highest)."""

    __tablename__ = "grade_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(16))
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(500), default="")

    criteria: Mapped[list["GradeCriterion"]] = relationship(cascade="all, delete-orphan",
                                                           order_by="GradeCriterion.axis")

    __table_args__ = (UniqueConstraint("organisation_id", "name"),
                      Index("ix_grade_labels_organisation_position", "organisation_id", "position"))

    def criterion(self, axis: GradeAxis) -> "GradeCriterion | None":
        return next((c for c in self.criteria if c.axis == axis), None)

    def minimum(self, axis: GradeAxis) -> int:
        criterion = self.criterion(axis)
        return criterion.min_score if criterion is not None else 0


class GradeCriterion(db.Model):
    """What a label asks on one axis: a description the graders read and the minimum score (0–100)."""

    __tablename__ = "grade_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("grade_labels.id", ondelete="CASCADE"), index=True)
    axis: Mapped[GradeAxis] = mapped_column(portable_enum(GradeAxis, "grade_axis"))
    description: Mapped[str] = mapped_column(String(500), default="")
    min_score: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("label_id", "axis"),)


class PatentGrade(db.Model):
    """A patent's latest scores on the three axes (its grade is ``Patent.grade``)."""

    __tablename__ = "patent_grades"

    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), primary_key=True)
    legal_score: Mapped[int | None]
    technical_score: Mapped[int | None]
    market_score: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(1000), default="")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def score(self, axis: GradeAxis) -> int | None:
        return getattr(self, f"{axis.value}_score")


class GradeChange(db.Model):
    """One change of a patent's grade or scores: who, when, from, to, the scores, and through what."""

    __tablename__ = "grade_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    from_name: Mapped[str | None] = mapped_column(String(16))
    to_name: Mapped[str | None] = mapped_column(String(16))
    legal_score: Mapped[int | None]
    technical_score: Mapped[int | None]
    market_score: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(16), default="edit")  # edit | criteria | rename | merge
    note: Mapped[str] = mapped_column(String(1000), default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by: Mapped[User | None] = relationship()
