"""Open-license declarations, the licenses companies obtain through them, their schedules and payments."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.consents.models import Proposal
from marketplace.core.models import TimestampMixin, portable_enum, utcnow
from marketplace.extensions import db
from marketplace.legal.refusals import Refusal
from marketplace.legal.term import add_months
from marketplace.openlicense.terms import PaymentMethod, RoyaltyBase
from marketplace.patents.vocab import LabelledEnum
from marketplace.patents.models import Patent

MONEY = Numeric(16, 2)
RECORDAL_MONTHS = 3


class DeclarationStatus(LabelledEnum):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已公告"
    WITHDRAWN = "withdrawn", "已撤回"
    ENDED = "ended", "已终止"  # the patent terminated, expired or was invalidated: no withdrawal needed


# A draft or a published declaration; at most one per patent.
LIVE = (DeclarationStatus.DRAFT, DeclarationStatus.PUBLISHED)


class PaymentStatus(LabelledEnum):
    REPORTED = "reported", "待收款方确认"
    CONFIRMED = "confirmed", "已确认"
    REJECTED = "rejected", "收款方未确认"


class OpenLicenseDeclaration(TimestampMixin, db.Model):
    """A patentee's public offer (专利开放许可声明); immutable once published, only withdrawn.

    ``needs_withdrawal``/``flag_reasons`` are set by the re-check when the
    patent no longer qualifies, so the owner and platform admins see it, and
    acceptance is suspended meanwhile (the declaration stays listed, marked
    suspended). When the patent terminates, expires or is invalidated the
    declaration *ends* (``ended_on``, ``end_reason``) and leaves the catalogue;
    licenses already obtained stay valid.
    """

    __tablename__ = "open_license_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[DeclarationStatus] = mapped_column(
        portable_enum(DeclarationStatus, "declaration_status"), default=DeclarationStatus.DRAFT)
    payment_method: Mapped[PaymentMethod] = mapped_column(portable_enum(PaymentMethod, "open_license_payment"))
    fixed_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    royalty_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    royalty_base: Mapped[RoyaltyBase | None] = mapped_column(portable_enum(RoyaltyBase, "royalty_base"))
    term_start: Mapped[date]
    term_end: Mapped[date]
    trial_months: Mapped[int] = mapped_column(default=0)
    installments: Mapped[int] = mapped_column(default=1)
    installment_interval_months: Mapped[int] = mapped_column(default=12)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    commitment: Mapped[bool] = mapped_column(default=False)
    fee_explanation: Mapped[str] = mapped_column(Text, default="")
    terms_version: Mapped[int] = mapped_column(default=1)  # raised by every edit of a draft
    announced_on: Mapped[date | None]
    published_at: Mapped[datetime | None]
    withdrawn_on: Mapped[date | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))
    ended_on: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))  # the legal status that ended it
    needs_withdrawal: Mapped[bool] = mapped_column(default=False)
    flag_reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    flagged_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "platform": declared here through the builder; "CNIPA": the patentee imported the office's announcement
    source: Mapped[str] = mapped_column(String(32), default="platform", server_default="platform")

    patent: Mapped[Patent] = relationship()
    owner: Mapped[Organisation] = relationship()
    licenses: Mapped[list["LicenseGrant"]] = relationship(back_populates="declaration",
                                                          order_by="LicenseGrant.id")
    proposals: Mapped[list[Proposal]] = relationship(
        primaryjoin="and_(Proposal.subject_type == 'open_license', "
                    "foreign(Proposal.subject_id) == OpenLicenseDeclaration.id)",
        viewonly=True, order_by="Proposal.id")

    __table_args__ = (
        # At most one live (draft or published) declaration per patent.
        Index("uq_open_license_declarations_live_patent", "patent_id", unique=True,
              sqlite_where=text("status IN ('draft', 'published')"),
              postgresql_where=text("status IN ('draft', 'published')")),
        Index("ix_open_license_declarations_catalogue", "status", "announced_on"),
    )

    @property
    def is_published(self) -> bool:
        return self.status == DeclarationStatus.PUBLISHED

    @property
    def suspended(self) -> bool:
        """Listed but accepting no new licensee until the patent qualifies again (e.g. fees overdue)."""
        return self.is_published and self.needs_withdrawal

    @property
    def fee_type(self) -> str:
        return self.payment_method.fee_type

    @property
    def licensee_count(self) -> int:
        """Licenses obtained; list queries preload ``licenses`` so this costs no query per row."""
        return len(self.licenses)

    @property
    def flag_messages(self) -> list[str]:
        return [Refusal(r["code"], r.get("detail", "")).message for r in self.flag_reasons or []]


class LicenseGrant(TimestampMixin, db.Model):
    """A license obtained through an open license: written notice, then payment as declared.

    Always non-exclusive. It takes effect (``effective_on``) once the notice is
    recorded and every installment due on the notice date is paid, as the
    licensor confirmed — at once for free licenses, pure royalties and
    use-first-pay-later schedules.
    ``fee_type`` and ``fixed_fee`` are copied from the (immutable) declaration
    so the ledger can be aggregated without joins.
    """

    __tablename__ = "open_license_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("open_license_declarations.id"), index=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), index=True)
    licensor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    licensee_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    fee_type: Mapped[str] = mapped_column(String(8))
    fixed_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    notice_date: Mapped[date]
    noticed_at: Mapped[datetime] = mapped_column(default=utcnow)
    effective_on: Mapped[date | None] = mapped_column(index=True)
    term_end: Mapped[date]
    recordal_number: Mapped[str | None] = mapped_column(String(64))
    recorded_on: Mapped[date | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    declaration: Mapped[OpenLicenseDeclaration] = relationship(back_populates="licenses")
    patent: Mapped[Patent] = relationship()
    licensor: Mapped[Organisation] = relationship(foreign_keys=[licensor_id])
    licensee: Mapped[Organisation] = relationship(foreign_keys=[licensee_id])
    installments: Mapped[list["PaymentInstallment"]] = relationship(
        back_populates="license", cascade="all, delete-orphan",
        order_by="PaymentInstallment.sequence")
    payments: Mapped[list["LicensePayment"]] = relationship(back_populates="license",
                                                            order_by="LicensePayment.paid_on")

    __table_args__ = (UniqueConstraint("declaration_id", "licensee_id"),)

    @property
    def is_effective(self) -> bool:
        return self.effective_on is not None

    @property
    def recordal_deadline(self) -> date:
        """备案 within 3 months of the license taking effect (or of the notice while it has not)."""
        return add_months(self.effective_on or self.notice_date, RECORDAL_MONTHS)

    @property
    def paid_total(self) -> Decimal:
        """What the licensor confirmed it received; a payment the licensee only reported does not count."""
        return sum((p.amount for p in self.payments if p.is_confirmed), Decimal("0.00"))

    @property
    def awaiting_confirmation(self) -> list["LicensePayment"]:
        return [p for p in self.payments if p.status == PaymentStatus.REPORTED]

    def overdue_installments(self, today: date) -> list["PaymentInstallment"]:
        return [i for i in self.installments if i.is_overdue(today)]

    def recordal_overdue(self, today: date) -> bool:
        return self.recordal_number is None and today > self.recordal_deadline


class PaymentInstallment(db.Model):
    """One due date of a license's schedule.

    A royalty installment is one royalty period ending on ``period_end``; its
    ``amount`` is None until the licensee reports the period
    (``marketplace.royalties``), and only then can it be paid.
    """

    __tablename__ = "open_license_installments"

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("open_license_grants.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))  # fee | royalty
    due_date: Mapped[date] = mapped_column(index=True)
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    period_end: Mapped[date | None]  # a royalty period's last day

    license: Mapped[LicenseGrant] = relationship(back_populates="installments")
    payments: Mapped[list["LicensePayment"]] = relationship(back_populates="installment")

    @property
    def paid_amount(self) -> Decimal:
        """Confirmed by the payee: the only payments that count."""
        return sum((p.amount for p in self.payments if p.is_confirmed), Decimal("0.00"))

    @property
    def claimed_amount(self) -> Decimal:
        """Confirmed plus reported and awaiting confirmation: what a new report may not push past the amount due."""
        return sum((p.amount for p in self.payments if p.status != PaymentStatus.REJECTED), Decimal("0.00"))

    @property
    def outstanding(self) -> Decimal | None:
        return None if self.amount is None else self.amount - self.paid_amount

    @property
    def unclaimed(self) -> Decimal | None:
        return None if self.amount is None else self.amount - self.claimed_amount

    @property
    def is_settled(self) -> bool:
        """Paid in full as the payee confirmed; a royalty period not yet reported owes an unknown sum: not settled."""
        return self.amount is not None and self.paid_amount >= self.amount

    @property
    def awaits_report(self) -> bool:
        return self.kind == "royalty" and self.amount is None

    def is_overdue(self, today: date) -> bool:
        return not self.is_settled and self.due_date < today

    def as_dict(self, today: date) -> dict[str, Any]:
        return {"id": self.id, "sequence": self.sequence, "kind": self.kind, "due_date": self.due_date,
                "amount": self.amount, "paid_amount": self.paid_amount, "settled": self.is_settled,
                "overdue": self.is_overdue(today)}


class LicensePayment(db.Model):
    """Money the licensee paid: reported with its evidence, counted only once the payee (the licensor) confirms.

    Never edited, only added. A payment the licensor records itself is its own
    confirmation. ``evidence_path`` is relative to the instance folder.
    """

    __tablename__ = "open_license_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("open_license_grants.id", ondelete="CASCADE"), index=True)
    installment_id: Mapped[int | None] = mapped_column(ForeignKey("open_license_installments.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date]
    reference: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[PaymentStatus] = mapped_column(portable_enum(PaymentStatus, "payment_status"),
                                                  default=PaymentStatus.REPORTED)
    confirmed_at: Mapped[datetime | None]
    evidence_path: Mapped[str | None] = mapped_column(String(300))
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_type: Mapped[str | None] = mapped_column(String(100))
    evidence_size: Mapped[int | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    license: Mapped[LicenseGrant] = relationship(back_populates="payments")
    installment: Mapped[PaymentInstallment | None] = relationship(back_populates="payments")
    proposals: Mapped[list[Proposal]] = relationship(
        primaryjoin="and_(Proposal.subject_type == 'license_payment', "
                    "foreign(Proposal.subject_id) == LicensePayment.id)",
        viewonly=True, order_by="Proposal.id")

    @property
    def is_confirmed(self) -> bool:
        return self.status == PaymentStatus.CONFIRMED
