"""Pledge registrations (专利权质押登记): a pledgor's patents securing a bank's financing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.consents.models import Proposal
from marketplace.core.models import TimestampMixin, portable_enum
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.patents.vocab import LabelledEnum


class PledgeStatus(LabelledEnum):
    PROPOSED = "proposed", "待各方确认"
    REGISTERED = "registered", "质押中"
    RELEASED = "released", "已注销"
    REJECTED = "rejected", "已拒绝"


class Pledge(TimestampMixin, db.Model):
    """A pledge: proposed, registered once pledgor, pledgee and co-owners consented, ended when released (注销).

    ``open_license_consent*`` is the pledgee's written statement that an open
    license of the pledged patents may be declared or continue;
    ``invalidation_accepted`` the parties' written acceptance of a pending
    invalidation request. Both are terms of the registration, so the parties'
    consents to it are their written statements.
    """

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    pledgor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    pledgee_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    term_start: Mapped[date]
    term_end: Mapped[date]
    registration_number: Mapped[str] = mapped_column(String(64))
    registered_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[PledgeStatus] = mapped_column(portable_enum(PledgeStatus, "pledge_status"),
                                                 default=PledgeStatus.PROPOSED)
    released_on: Mapped[date | None]
    terms_version: Mapped[int] = mapped_column(default=1)
    invalidation_accepted: Mapped[bool] = mapped_column(default=False)
    open_license_consent: Mapped[bool] = mapped_column(default=False)
    open_license_consent_on: Mapped[date | None]
    open_license_consent_reference: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    pledgor: Mapped[Organisation] = relationship(foreign_keys=[pledgor_id])
    pledgee: Mapped[Organisation] = relationship(foreign_keys=[pledgee_id])
    agency: Mapped[Organisation | None] = relationship(foreign_keys=[agency_id])
    patent_links: Mapped[list["PledgePatent"]] = relationship(back_populates="pledge", cascade="all, delete-orphan",
                                                             order_by="PledgePatent.patent_id")
    proposals: Mapped[list[Proposal]] = relationship(
        primaryjoin="and_(Proposal.subject_type == 'pledge', foreign(Proposal.subject_id) == Pledge.id)",
        viewonly=True, order_by="Proposal.id")

    __table_args__ = (
        # A registration number names one pledge; a rejected proposal leaves its number free.
        Index("uq_pledges_registration_number", "registration_number", unique=True,
              sqlite_where=text("status != 'rejected'"), postgresql_where=text("status != 'rejected'")),
    )

    @property
    def patents(self) -> list[Patent]:
        return [link.patent for link in self.patent_links]

    @property
    def is_active(self) -> bool:
        return self.status == PledgeStatus.REGISTERED

    def party_ids(self) -> set[int]:
        return {self.pledgor_id, self.pledgee_id} | ({self.agency_id} if self.agency_id else set())


class PledgePatent(db.Model):
    """A pledged patent; ``active`` until release. The partial unique index is the database's
    last word that a patent is pledged only once at a time, whatever the race."""

    __tablename__ = "pledge_patents"

    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"), primary_key=True)
    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id"), primary_key=True)
    active: Mapped[bool] = mapped_column(default=True)

    pledge: Mapped[Pledge] = relationship(back_populates="patent_links")
    patent: Mapped[Patent] = relationship()

    __table_args__ = (
        Index("uq_pledge_patents_active_patent", "patent_id", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )
