"""A licensee's royalty report for one royalty period of a license."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.core.models import portable_enum, utcnow
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, PaymentInstallment
from marketplace.openlicense.terms import RoyaltyBase

MONEY = Numeric(16, 2)


class RoyaltyReport(db.Model):
    """What the licensee reported for one period (net sales or profit, as declared, and units) and the royalty
    computed from the declared rate; the royalty is the amount of the period's installment (``installment_id``),
    paid and confirmed like any other. Never edited: one report per period."""

    __tablename__ = "royalty_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("open_license_grants.id", ondelete="CASCADE"), index=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("open_license_installments.id", ondelete="CASCADE"),
                                                unique=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    base: Mapped[RoyaltyBase] = mapped_column(portable_enum(RoyaltyBase, "royalty_report_base"))
    base_amount: Mapped[Decimal] = mapped_column(MONEY)
    units: Mapped[int | None] = mapped_column(BigInteger)
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    royalty: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str] = mapped_column(String(500), default="")
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)

    license: Mapped[LicenseGrant] = relationship()
    installment: Mapped[PaymentInstallment] = relationship()
    filed_by: Mapped[User | None] = relationship()
