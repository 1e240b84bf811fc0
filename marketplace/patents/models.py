"""The patent inventory: one row per application number, owned by an organisation."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.models import TimestampMixin, portable_enum
from marketplace.extensions import db
from marketplace.legal.term import patent_expiry
from marketplace.patents.vocab import LegalStatus, Maturity, PatentType, PublicationState

MONEY = Numeric(16, 2)
# Carried in the listing's sort indexes so a filtered list is decided inside the index and only
# the rows of the page are read from the table, whose abstracts make every row wide.
LISTING_FILTER_COLUMNS = ("owner_id", "grade", "legal_status", "patent_type", "title")


class Patent(TimestampMixin, db.Model):
    __tablename__ = "patents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_number: Mapped[str] = mapped_column(String(20), unique=True)
    publication_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    patent_type: Mapped[PatentType] = mapped_column(portable_enum(PatentType, "patent_type"))
    title: Mapped[str] = mapped_column(String(500))
    abstract: Mapped[str] = mapped_column(Text, default="")
    first_claim: Mapped[str] = mapped_column(Text, default="")
    ipc_main: Mapped[str | None] = mapped_column(String(20))
    ipc_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    co_owners: Mapped[list[str]] = mapped_column(JSON, default=list)
    inventors: Mapped[list[str]] = mapped_column(JSON, default=list)
    application_date: Mapped[date | None]
    publication_date: Mapped[date | None]
    grant_date: Mapped[date | None]
    legal_status: Mapped[LegalStatus] = mapped_column(portable_enum(LegalStatus, "legal_status"),
                                                      default=LegalStatus.PENDING)
    legal_status_on: Mapped[date | None]  # when the current legal status began (an invalidation request's filing)
    proceedings_suspended: Mapped[bool] = mapped_column(default=False)
    evaluation_report: Mapped[str | None] = mapped_column(String(16))  # positive | negative (UM/design)
    grade: Mapped[str | None] = mapped_column(String(16))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    maturity: Mapped[Maturity | None] = mapped_column(portable_enum(Maturity, "maturity"))
    price_min: Mapped[Decimal | None] = mapped_column(MONEY)
    price_max: Mapped[Decimal | None] = mapped_column(MONEY)
    state: Mapped[PublicationState] = mapped_column(portable_enum(PublicationState, "publication_state"),
                                                    default=PublicationState.DRAFT)
    published_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(300))  # provenance of imported/demo records

    owner: Mapped[Organisation] = relationship()
    segment_links: Mapped[list["PatentSegment"]] = relationship(
        cascade="all, delete-orphan", order_by="PatentSegment.segment_code")
    co_owner_links: Mapped[list["CoOwnerLink"]] = relationship(cascade="all, delete-orphan",
                                                               order_by="CoOwnerLink.name")

    __table_args__ = (
        Index("ix_patents_listing", "state", "legal_status", "grade"),
        Index("ix_patents_owner_state", "owner_id", "state"),
        Index("ix_patents_state_published", "state", "published_at", "id", *LISTING_FILTER_COLUMNS),
    )

    @property
    def segments(self) -> list[str]:
        return [link.segment_code for link in self.segment_links]

    @property
    def is_published(self) -> bool:
        return self.state == PublicationState.PUBLISHED

    @property
    def expiry(self) -> date | None:
        """The end of the term, from the filing date and the type the application number decides."""
        return patent_expiry(self.patent_type, self.application_date)

    def co_owner_organisations(self) -> dict[str, int | None]:
        """Each recorded co-owner name with the platform organisation that consents for it (None: not linked)."""
        linked = {link.name: link.organisation_id for link in self.co_owner_links}
        return {name: linked.get(name) for name in self.co_owners or []}

    @property
    def patent_number(self) -> str | None:
        """The granted patent number, ``ZL`` + application number."""
        return f"ZL{self.application_number}" if self.grant_date or self.legal_status != LegalStatus.PENDING else None


class CoOwnerLink(db.Model):
    """A co-owner named on the patent, linked to its organisation on the platform (or invited to register).

    Co-owners are recorded as names (they come from patent databases); only a
    linked organisation can give the co-owner's consent through its own account.
    """

    __tablename__ = "patent_co_owner_links"

    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"),
                                                        index=True)
    linked_at: Mapped[datetime | None]
    invited_email: Mapped[str | None] = mapped_column(String(254))
    invited_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship()


class PatentSegment(db.Model):
    """A patent's industry segment; a table (not JSON) so listing filters use an index."""

    __tablename__ = "patent_segments"

    patent_id: Mapped[int] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), primary_key=True)
    segment_code: Mapped[str] = mapped_column(String(32), primary_key=True)

    # Covering: a segment filter finds its patent ids without touching the table.
    __table_args__ = (Index("ix_patent_segments_code_patent", "segment_code", "patent_id"),)


# The listing's other sort orders, matched expression for expression by ``queries.ORDERS`` so
# the database walks an index instead of sorting; ``IS NULL`` first puts missing values last on
# SQLite and PostgreSQL alike (they disagree on where NULLs sort).
_covered = [Patent.__table__.c[name] for name in LISTING_FILTER_COLUMNS]
Index("ix_patents_order_application_date", Patent.state, Patent.application_date.is_(None),
      Patent.application_date.desc(), Patent.id.desc(), *_covered)
Index("ix_patents_order_grade", Patent.state, Patent.grade.is_(None), Patent.grade, Patent.id.desc(),
      *[column for column in _covered if column.name != "grade"])  # as the migration: grade once
