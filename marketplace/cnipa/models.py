"""An open license announced by CNIPA, recorded as the public fact it is (not as anybody's declaration)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.models import TimestampMixin, portable_enum
from marketplace.extensions import db
from marketplace.openlicense.terms import PaymentMethod, RoyaltyBase

MONEY = Numeric(16, 2)
SOURCE = "CNIPA"


class OpenLicenseAnnouncement(TimestampMixin, db.Model):
    """One announcement of an office's list, imported by an operation agency or a platform admin.

    It is shown on the patent's page (matched by application number, so a
    patent imported later finds its announcements) as what the office
    announced, with who recorded it and from which import; it never becomes
    the patentee's declaration: only the patentee's own import does that.
    """

    __tablename__ = "open_license_announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_number: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    patentee: Mapped[str] = mapped_column(String(200))
    payment_method: Mapped[PaymentMethod] = mapped_column(portable_enum(PaymentMethod, "announcement_payment"))
    fixed_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    royalty_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    royalty_base: Mapped[RoyaltyBase | None] = mapped_column(portable_enum(RoyaltyBase, "announcement_royalty_base"))
    term_start: Mapped[date]
    term_end: Mapped[date]
    announced_on: Mapped[date]
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(32), default=SOURCE)
    # the agency that imported it; None: a platform admin without an organisation
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"),
                                                       index=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"))

    recorded_by: Mapped[Organisation | None] = relationship()

    # An announcement states no trial period or schedule; the terms macro of the open-license pages reads these.
    trial_months = 0
    installments = 1

    __table_args__ = (UniqueConstraint("application_number", "announced_on"),)
