"""The annual-fee ledger, the owners' fee-reduction status and the yearly keep-or-abandon decisions."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.consents.models import Proposal
from marketplace.core.models import portable_enum, utcnow
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.patents.vocab import LabelledEnum

MONEY = Numeric(16, 2)


class FeeState(LabelledEnum):
    OPEN = "open", "未缴"
    PAID = "paid", "已缴"
    LAPSED = "lapsed", "未缴，专利权终止"
    CLOSED = "closed", "无需缴纳"  # the right ended otherwise (abandoned, invalidated, expired)


class AnnualFee(db.Model):
    """One patent year's fee: when it is due, what it costs after reductions (``lines`` say why), and whether it
    was paid (on which day, with which surcharge).

    ``owner_id`` is the organisation that pays it (the patentee when the row
    was last synchronised), so an owner's ledger by month is one index range.
    Amounts of open rows follow the reductions in force; a paid row keeps what
    was paid.
    """

    __tablename__ = "annual_fees"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    fee_year: Mapped[int]
    due_date: Mapped[date]
    grace_end: Mapped[date]
    standard: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    state: Mapped[FeeState] = mapped_column(portable_enum(FeeState, "annual_fee_state"), default=FeeState.OPEN)
    paid_on: Mapped[date | None]
    surcharge: Mapped[Decimal | None] = mapped_column(MONEY)
    paid_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    reference: Mapped[str | None] = mapped_column(String(100))
    with_grant: Mapped[bool] = mapped_column(default=False)  # paid with the grant registration
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    patent: Mapped[Patent] = relationship()

    __table_args__ = (
        UniqueConstraint("patent_id", "fee_year"),
        # The month view and its export: one owner's fees in a date range, totals read from the index.
        Index("ix_annual_fees_owner_due", "owner_id", "due_date", "state", "amount", "standard"),
        Index("ix_annual_fees_open_due", "state", "due_date"),
    )

    def is_overdue(self, today: date) -> bool:
        return self.state == FeeState.OPEN and self.due_date < today

    def in_grace(self, today: date) -> bool:
        return self.state == FeeState.OPEN and self.due_date < today <= self.grace_end


class FeeReductionStatus(db.Model):
    """An organisation's fee-reduction status (专利收费减缴备案), as recorded with CNIPA: it pays 15 % (one
    requester) or 30 % (several) of the annual fees of the first ten years after grant."""

    __tablename__ = "fee_reduction_statuses"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    reference: Mapped[str] = mapped_column(String(64))
    recorded_on: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(LabelledEnum):
    KEEP = "keep", "维持"
    OFFER = "offer", "放弃前对外推介"
    ABANDON = "abandon", "放弃"


class OfferMode(LabelledEnum):
    TRANSFER = "transfer", "转让"
    OPEN_LICENSE = "open_license", "开放许可"


class DecisionStatus(LabelledEnum):
    RECORDED = "recorded", "已记录"
    PENDING = "pending", "待各方确认"
    EFFECTIVE = "effective", "已生效"
    REJECTED = "rejected", "被拒绝"


class FeeDecision(db.Model):
    """What the owner decided for a patent in a yearly review, and who decided it.

    Keep is recorded at once. An offer lists the patent to companies until
    ``listed_until`` at ``offer_price`` (a transfer, or an open license at a
    reduced fee). Abandoning is a two-sided act (the owner and every
    co-owner, ``fees.abandonment``): ``status`` follows its proposal.
    """

    __tablename__ = "fee_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    review_year: Mapped[int]
    decision: Mapped[Decision] = mapped_column(portable_enum(Decision, "fee_decision"))
    status: Mapped[DecisionStatus] = mapped_column(portable_enum(DecisionStatus, "fee_decision_status"),
                                                   default=DecisionStatus.RECORDED)
    offer_mode: Mapped[OfferMode | None] = mapped_column(portable_enum(OfferMode, "fee_offer_mode"))
    offer_price: Mapped[Decimal | None] = mapped_column(MONEY)
    listed_until: Mapped[date | None] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    terms_version: Mapped[int] = mapped_column(default=1)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    effective_on: Mapped[date | None]

    patent: Mapped[Patent] = relationship()
    owner: Mapped[Organisation] = relationship()
    decided_by: Mapped[User | None] = relationship()
    proposals: Mapped[list[Proposal]] = relationship(
        primaryjoin="and_(Proposal.subject_type == 'patent_abandonment', "
                    "foreign(Proposal.subject_id) == FeeDecision.id)",
        viewonly=True, order_by="Proposal.id")

    __table_args__ = (UniqueConstraint("patent_id", "review_year"),)
