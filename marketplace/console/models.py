"""What the agency console stores itself: yearly targets, matchmaking events, and the monthly rollup.

Every figure the console shows is computed from the ledger (deals, open
licenses obtained, pledges); the rollup is only a cache of those same figures
per calendar month, so platform-wide dashboards need not scan a million rows.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.models import TimestampMixin, portable_enum, utcnow
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant
from marketplace.pledges.models import Pledge

MONEY = Numeric(16, 2)
RATE = Numeric(7, 2)


class AgencyTarget(TimestampMixin, db.Model):
    """One agency's targets for one calendar year; a ``None`` metric has no target.

    The metrics are the ones funders set in the seeds (DOMAIN.md §6); their
    values differ by region and year, so the agency enters them.
    """

    __tablename__ = "agency_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    conversion_count: Mapped[int | None]
    conversion_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    transfer_license_count: Mapped[int | None]
    open_license_count: Mapped[int | None]
    pledge_count: Mapped[int | None]
    pledge_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    pledge_growth_pct: Mapped[Decimal | None] = mapped_column(RATE)
    sme_growth_pct: Mapped[Decimal | None] = mapped_column(RATE)
    events_count: Mapped[int | None]
    organisations_served: Mapped[int | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    agency: Mapped[Organisation] = relationship()

    __table_args__ = (UniqueConstraint("agency_id", "year"),)


class OutcomeKind(enum.StrEnum):
    INTEREST = "interest"
    DEAL = "deal"


class MatchmakingEvent(TimestampMixin, db.Model):
    """A 供需对接活动 an agency organises: where and when, for which segments, whom it invited."""

    __tablename__ = "matchmaking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(index=True)
    online: Mapped[bool] = mapped_column(default=False)
    place: Mapped[str | None] = mapped_column(String(300))
    segments: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    agency: Mapped[Organisation] = relationship()
    invitations: Mapped[list["EventInvitation"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventInvitation.id")
    outcomes: Mapped[list["EventOutcome"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventOutcome.id")

    @property
    def attendance(self) -> int:
        return sum(1 for invitation in self.invitations if invitation.attended)


class EventInvitation(db.Model):
    """An organisation invited to an event; ``attended`` stays ``None`` until attendance is recorded."""

    __tablename__ = "event_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_events.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    attended: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[MatchmakingEvent] = relationship(back_populates="invitations")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (UniqueConstraint("event_id", "organisation_id"),)


class EventOutcome(db.Model):
    """What came out of an event: an organisation's interest in a patent, or a deal the agency brokered."""

    __tablename__ = "event_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("matchmaking_events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[OutcomeKind] = mapped_column(portable_enum(OutcomeKind, "event_outcome_kind"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    patent_id: Mapped[int | None] = mapped_column(ForeignKey("patents.id", ondelete="SET NULL"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[MatchmakingEvent] = relationship(back_populates="outcomes")
    organisation: Mapped[Organisation | None] = relationship()
    deal: Mapped[Deal | None] = relationship()


class MonthlyRollup(db.Model):
    """Ledger totals per month, mode and one dimension value (``dimension``/``key``).

    ``agency_id`` NULL: the platform's totals (deals, open licenses, pledges);
    an agency's id: its figures (the deals and pledges it brokered, the open
    licenses of the organisations that had authorised it to see them). ``dimension`` is ``all`` (key
    ``""``), ``segment``, ``region``, ``organisation``, ``sme`` or ``fee``;
    amounts are kept in cents so sums stay exact on SQLite too. Rows are
    recomputed from the ledger for each month a change touches
    (``console.rollup``), never adjusted by deltas.
    """

    __tablename__ = "stats_monthly_rollup"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    month: Mapped[date]
    mode: Mapped[str] = mapped_column(String(16))
    dimension: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(32))
    items: Mapped[int]
    cents: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        # Every column a console read needs (index-only scans on PostgreSQL: an agency's rows lie scattered over
        # the table, one heap page each, since months are rewritten whenever they change).
        Index("ix_stats_monthly_rollup_cells", "agency_id", "dimension", "month", "mode", "key",
              postgresql_include=["items", "cents"]),
        Index("ix_stats_monthly_rollup_month", "month"),
    )


PLATFORM = 0  # the ``StaleMonth.agency_id`` of the platform's rollup rows (``MonthlyRollup.agency_id`` NULL)


class StaleMonth(db.Model):
    """A month whose rollup rows of one partition — the platform's (``agency_id`` ``PLATFORM``) or one agency's —
    no longer match the ledger; read live until the refresh job recomputes that partition's month.

    A deal of one agency marks the platform's month and that agency's: the other agencies' rows of the month stay
    valid, so their pages keep reading the rollup, and the refresh recomputes two partitions, not every agency's.
    """

    __tablename__ = "stats_stale_months"

    month: Mapped[date] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


# Indexes the console's ledger scans rely on: an agency's items by date, licenses by date. On PostgreSQL they carry
# the columns the aggregations read, so a month's deals (~12,000 on as many heap pages at a million deals) are read
# from the index alone.
Index("ix_deals_agency_contract_date", Deal.agency_id, Deal.contract_date,
      postgresql_include=["id", "mode", "status", "amount", "seller_id", "buyer_id"])
# What the console lists apart (``pending``): deals that do not bind, or bind without a contract date — a tenth of
# the ledger, so the agency's or the platform's year is found without visiting the deals that count.
PENDING_DEALS = text("status NOT IN ('signed', 'recorded', 'completed') OR contract_date IS NULL")
Index("ix_deals_pending_agency", Deal.agency_id, Deal.contract_date, Deal.created_at,
      postgresql_where=PENDING_DEALS, sqlite_where=PENDING_DEALS)
Index("ix_deals_pending", Deal.contract_date, Deal.created_at, postgresql_where=PENDING_DEALS,
      sqlite_where=PENDING_DEALS)
# Licenses not yet effective, by notice date (pending licenses are dated by it): without it every one of them, of
# every year, was read to keep a year's.
AWAITING_EFFECT = text("effective_on IS NULL")
Index("ix_open_license_grants_awaiting_effect", LicenseGrant.notice_date, postgresql_where=AWAITING_EFFECT,
      sqlite_where=AWAITING_EFFECT)
Index("ix_pledges_agency_registered_on", Pledge.agency_id, Pledge.registered_on)
Index("ix_open_license_grants_effective_licensee", LicenseGrant.effective_on, LicenseGrant.licensee_id)
