"""Listing queries for the patent pages and API: filters, sort orders, pagination.

The list must stay fast at 100,000 patents, so every sort order walks an
index (see the indexes on ``Patent``), related rows are loaded with one
``selectinload`` query each whatever the page size, and the total is counted
only up to ``COUNT_CAP`` rows: nobody pages past the ten-thousandth hit, and
an exact count of a broad filter would cost more than the page itself.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from flask import current_app
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.vocab import LegalStatus, PatentType, PublicationState

COUNT_CAP = 10_000
SORTS = ("newest", "application_date", "grade")

# Each order ends on the primary key so pages never overlap; the published list's orders
# match the expression indexes declared next to ``Patent`` term by term.
ORDERS = {
    "newest": (Patent.published_at.desc(), Patent.id.desc()),
    "application_date": (Patent.application_date.is_(None), Patent.application_date.desc(), Patent.id.desc()),
    "grade": (Patent.grade.is_(None), Patent.grade, Patent.id.desc()),
}


@dataclass(frozen=True)
class PatentFilters:
    """What a visitor narrowed the list to; ``None``/empty means no restriction."""

    q: str = ""
    segment: str | None = None
    grade: str | None = None
    patent_type: PatentType | None = None
    legal_status: LegalStatus | None = None
    owner_id: int | None = None
    state: PublicationState | None = None
    sort: str = "newest"


@dataclass(frozen=True)
class PatentPage:
    items: list[Patent]
    total: int
    page: int
    per_page: int

    @property
    def capped(self) -> bool:
        """True when there are more hits than were counted."""
        return self.total > COUNT_CAP

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_CAP) // self.per_page))


def _conditions(filters: PatentFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q.strip():
        conditions.append(Patent.title.icontains(filters.q.strip(), autoescape=True))
    if filters.segment:
        codes = current_app.extensions["taxonomy"].descendants(filters.segment)
        conditions.append(exists().where(PatentSegment.patent_id == Patent.id,
                                         PatentSegment.segment_code.in_(codes)))
    if filters.grade:
        conditions.append(Patent.grade == filters.grade)
    if filters.patent_type:
        conditions.append(Patent.patent_type == filters.patent_type)
    if filters.legal_status:
        conditions.append(Patent.legal_status == filters.legal_status)
    if filters.owner_id is not None:
        conditions.append(Patent.owner_id == filters.owner_id)
    if filters.state:
        conditions.append(Patent.state == filters.state)
    return conditions


def _page(conditions: list[ColumnElement[bool]], order: tuple, page: int, per_page: int) -> PatentPage:
    offset = (page - 1) * per_page
    items = list(db.session.scalars(
        select(Patent).where(*conditions).order_by(*order).limit(per_page).offset(offset)
        .options(selectinload(Patent.owner), selectinload(Patent.segment_links))))
    if len(items) < per_page and (items or page == 1):
        total = offset + len(items)  # the last page tells its own total; no count query needed
    else:
        capped = select(Patent.id).where(*conditions).limit(COUNT_CAP + 1).subquery()
        total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    return PatentPage(items, total, page, per_page)


def list_published(filters: PatentFilters, page: int = 1, per_page: int = 20) -> PatentPage:
    """The public list: published patents of every organisation."""
    conditions = [Patent.state == PublicationState.PUBLISHED,
                  *_conditions(replace(filters, state=None))]
    return _page(conditions, ORDERS.get(filters.sort, ORDERS["newest"]), page, per_page)


def list_for_organisation(organisation_id: int, filters: PatentFilters, page: int = 1,
                          per_page: int = 20) -> PatentPage:
    """One organisation's inventory, drafts included (unless ``filters.state`` says otherwise)."""
    conditions = _conditions(replace(filters, owner_id=organisation_id))
    # Drafts have no publication time, so "newest" here means most recently added.
    order = (Patent.id.desc(),) if filters.sort not in ORDERS or filters.sort == "newest" else ORDERS[filters.sort]
    return _page(conditions, order, page, per_page)


def organisation_name(organisation_id: int) -> str | None:
    """The name shown for an active owner filter."""
    return db.session.scalar(select(Organisation.name).where(Organisation.id == organisation_id))
