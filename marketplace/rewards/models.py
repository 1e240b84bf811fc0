"""Inventors, their shares in patents, the institution's reward policy, deductible costs and rewards paid."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import utcnow
from marketplace.extensions import db

MONEY = Numeric(16, 2)
PERCENT = Numeric(5, 2)


class Inventor(db.Model):
    """A person of the institution named as inventor on its patents (staff number optional, unique in it)."""

    __tablename__ = "inventors"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    staff_number: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("organisation_id", "staff_number"),)


class InventorShare(db.Model):
    """An inventor's share (percent) in one patent; a patent's shares add up to 100."""

    __tablename__ = "inventor_shares"

    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), primary_key=True)
    inventor_id: Mapped[int] = mapped_column(ForeignKey("inventors.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    share: Mapped[Decimal] = mapped_column(PERCENT)

    inventor: Mapped[Inventor] = relationship()


class RewardPolicy(db.Model):
    """The institution's reward percentages and reporting year; absent, the statutory minimums and the calendar
    year apply. A percentage below the statute needs ``agreement``: the reference of the agreement with the
    inventors (or the internal rule) that allows it."""

    __tablename__ = "reward_policies"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    transfer_license_percent: Mapped[Decimal] = mapped_column(PERCENT)
    equity_percent: Mapped[Decimal] = mapped_column(PERCENT)
    agreement: Mapped[str] = mapped_column(String(500), default="")
    year_start_month: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IncomeCost(db.Model):
    """A deductible cost (``source``, ``item_id``): of a deal (a transfer's or license's costs are deducted from its
    confirmed payments in the order received, an equity deal's change nothing) or of an open-license payment."""

    __tablename__ = "income_costs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(MONEY)
    description: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RewardPayment(db.Model):
    """One inventor's reward on one income, as the finance office paid it (frozen at the computed amount)."""

    __tablename__ = "reward_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int]
    inventor_id: Mapped[int] = mapped_column(ForeignKey("inventors.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    inventor: Mapped[Inventor] = relationship()

    __table_args__ = (UniqueConstraint("source", "item_id", "inventor_id"),)
