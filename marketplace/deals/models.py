"""The deal ledger: transfers, licenses, equity contributions, auctions and entrusted operations, their amendments
and ownership history."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.consents.models import Proposal
from marketplace.core.models import TimestampMixin, portable_enum, utcnow
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.patents.vocab import LabelledEnum
from marketplace.openlicense.models import PaymentStatus


class DealMode(LabelledEnum):
    TRANSFER = "transfer", "转让"
    LICENSE = "license", "许可"
    EQUITY = "equity", "作价入股"
    AUCTION = "auction", "拍卖"
    ENTRUSTED = "entrusted", "委托运营"

    @property
    def assigns(self) -> bool:
        """Transfer, equity contribution and auction (a transfer to the winning bidder) move the patent to the
        buyer."""
        return self in (DealMode.TRANSFER, DealMode.EQUITY, DealMode.AUCTION)


class LicenseKind(LabelledEnum):
    EXCLUSIVE = "exclusive", "独占许可"
    SOLE = "sole", "排他许可"
    ORDINARY = "ordinary", "普通许可"


class DealStatus(LabelledEnum):
    NEGOTIATING = "negotiating", "洽谈中"
    SIGNED = "signed", "已签约"
    RECORDED = "recorded", "已登记/备案"
    COMPLETED = "completed", "已完成"
    CANCELLED = "cancelled", "已取消"

    @property
    def binding(self) -> bool:
        """Signed by every party through its own account: binds them (an exclusive license is then in force)."""
        return self in (DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED)

    @property
    def immutable(self) -> bool:
        """Recorded with CNIPA (or over): corrected only through amendments."""
        return self in (DealStatus.RECORDED, DealStatus.COMPLETED, DealStatus.CANCELLED)


class Deal(TimestampMixin, db.Model):
    """One deal between a seller (patentee: assignor, licensor, contributor) and a buyer, maybe brokered."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    mode: Mapped[DealMode] = mapped_column(portable_enum(DealMode, "deal_mode"))
    license_kind: Mapped[LicenseKind | None] = mapped_column(portable_enum(LicenseKind, "license_kind"))
    status: Mapped[DealStatus] = mapped_column(portable_enum(DealStatus, "deal_status"),
                                               default=DealStatus.NEGOTIATING)
    seller_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    contract_date: Mapped[date | None] = mapped_column(index=True)
    term_start: Mapped[date | None]
    term_end: Mapped[date | None]
    recordal_number: Mapped[str | None] = mapped_column(String(64))
    recorded_on: Mapped[date | None]
    completed_on: Mapped[date | None]
    cancelled_on: Mapped[date | None]
    match_id: Mapped[int | None] = mapped_column(index=True)  # the matching engine's stored match, when it led here
    notes: Mapped[str] = mapped_column(Text, default="")
    # auction: the amount is the hammer price, the buyer the winning bidder
    reserve_price: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    auction_house_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    auction_house_name: Mapped[str | None] = mapped_column(String(200))  # an auction house not on the platform
    auction_date: Mapped[date | None]
    # entrusted operation: the buyer is the operator (an agency), term_start/term_end its term, the amount its
    # fixed service fee (0 allowed); completed_on is the day the owner ended it
    fee_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # percent of the proceeds to the operator
    operation_scope: Mapped[str | None] = mapped_column(String(1000))
    terms_version: Mapped[int] = mapped_column(default=1)  # raised by every edit: earlier consents no longer count
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    seller: Mapped[Organisation] = relationship(foreign_keys=[seller_id])
    buyer: Mapped[Organisation] = relationship(foreign_keys=[buyer_id])
    agency: Mapped[Organisation | None] = relationship(foreign_keys=[agency_id])
    auction_house: Mapped[Organisation | None] = relationship(foreign_keys=[auction_house_id])
    patent_links: Mapped[list["DealPatent"]] = relationship(cascade="all, delete-orphan",
                                                           order_by="DealPatent.patent_id")
    amendments: Mapped[list["DealAmendment"]] = relationship(order_by="DealAmendment.id")
    proposals: Mapped[list[Proposal]] = relationship(
        primaryjoin="and_(Proposal.subject_type == 'deal', foreign(Proposal.subject_id) == Deal.id)",
        viewonly=True, order_by="Proposal.id")

    # The columns the console's platform-wide month aggregation reads are included: index-only on PostgreSQL.
    __table_args__ = (Index("ix_deals_mode_status_date", "mode", "status", "contract_date",
                            postgresql_include=["id", "amount", "agency_id", "seller_id", "buyer_id"]),)

    @property
    def patents(self) -> list[Patent]:
        return [link.patent for link in self.patent_links]

    @property
    def patent_ids(self) -> list[int]:
        return [link.patent_id for link in self.patent_links]

    @property
    def auction_house_label(self) -> str:
        return self.auction_house.name if self.auction_house else (self.auction_house_name or "")

    def party_ids(self) -> set[int]:
        return {self.seller_id, self.buyer_id} | ({self.agency_id} if self.agency_id else set())


class DealPatent(db.Model):
    __tablename__ = "deal_patents"

    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), primary_key=True, index=True)

    patent: Mapped[Patent] = relationship()


class DealAmendment(db.Model):
    """A correction of a recorded deal: what changed (``{field: [old, new]}``), why and by whom."""

    __tablename__ = "deal_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(String(1000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()


class DealPayment(db.Model):
    """Money the seller received for a binding transfer or license: reported by either party, counted (in the
    inventors' rewards, on the deal page) only once the seller, the payee, confirmed it through its own account.
    Recorded by the seller it is its own confirmation. Never edited, only added."""

    __tablename__ = "deal_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    paid_on: Mapped[date] = mapped_column(index=True)
    reference: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[PaymentStatus] = mapped_column(portable_enum(PaymentStatus, "deal_payment_status"),
                                                  default=PaymentStatus.REPORTED)
    confirmed_at: Mapped[datetime | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deal: Mapped[Deal] = relationship()

    @property
    def is_confirmed(self) -> bool:
        return self.status == PaymentStatus.CONFIRMED


class OwnershipChange(db.Model):
    """Who owned a patent before: written when a completed transfer or equity deal moves it."""

    __tablename__ = "patent_ownership_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    from_owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    to_owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"))
    changed_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    from_owner: Mapped[Organisation] = relationship(foreign_keys=[from_owner_id])
    to_owner: Mapped[Organisation] = relationship(foreign_keys=[to_owner_id])
