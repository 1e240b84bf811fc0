"""Listing queries for the patent pages and API: filters, sort orders, pagination.

The list must stay fast at 100,000 patents, so every sort order walks an
index that also carries the filtered columns (see ``Patent``), related rows
are loaded with one ``selectinload`` query each whatever the page size, and
matches are counted only ``PAGES_AHEAD`` pages past the current one: enough
for the pager, while an exact count of a rare filter would scan the table.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.vocab import LegalStatus, PatentType, PublicationState

PAGES_AHEAD = 3  # the pager links three pages on either side
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

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> "PatentFilters":
        """The filters from checked query values (codes as strings, blank = none): the list pages' form, the
        patents API and the segment suggestions API all build them here."""
        def code(name: str) -> str | None:
            return str(values.get(name) or "") or None

        patent_type, legal_status, state = code("patent_type"), code("legal_status"), code("state")
        return cls(q=str(values.get("q") or ""), segment=code("segment"), grade=code("grade"),
                   patent_type=PatentType(patent_type) if patent_type else None,
                   legal_status=LegalStatus(legal_status) if legal_status else None,
                   owner_id=values.get("owner_id") or values.get("owner") or None,
                   state=PublicationState(state) if state else None, sort=code("sort") or "newest")


@dataclass(frozen=True)
class PatentPage:
    """One page of matches; ``total`` is exact unless ``more`` says there are further ones."""

    items: list[Patent]
    total: int
    page: int
    per_page: int
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _conditions(filters: PatentFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    words = filters.q.strip()
    if words:
        # Folding case costs a scan several times over, so it is asked for only where it can matter:
        # words with cased letters (most titles are Chinese), on PostgreSQL (SQLite's LIKE ignores ASCII case).
        folded = words.lower() != words.upper() and db.session.get_bind().dialect.name != "sqlite"
        conditions.append((Patent.title.icontains if folded else Patent.title.contains)(words, autoescape=True))
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
    """Find the page's ids inside the sort index, then read just those rows; count along the same index."""
    offset = (page - 1) * per_page
    matching = select(Patent.id).where(*conditions).order_by(*order)
    items = list(db.session.scalars(
        select(Patent).where(Patent.id.in_(matching.limit(per_page).offset(offset))).order_by(*order)
        .options(selectinload(Patent.owner), selectinload(Patent.segment_links))))
    if len(items) < per_page and (items or page == 1):
        return PatentPage(items, offset + len(items), page, per_page)  # the last page knows the total
    horizon = (page + PAGES_AHEAD) * per_page
    total = db.session.scalar(select(func.count()).select_from(matching.limit(horizon + 1).subquery())) or 0
    return PatentPage(items, min(total, horizon), page, per_page, more=total > horizon)


def list_published(filters: PatentFilters, page: int = 1, per_page: int = 20) -> PatentPage:
    """The public list: published patents of every organisation."""
    conditions = [Patent.state == PublicationState.PUBLISHED,
                  *_conditions(replace(filters, state=None))]
    sort = "newest" if filters.sort == "grade" and filters.grade else filters.sort  # one grade: newest first
    return _page(conditions, ORDERS.get(sort, ORDERS["newest"]), page, per_page)


def list_for_organisation(organisation_id: int, filters: PatentFilters, page: int = 1,
                          per_page: int = 20) -> PatentPage:
    """One organisation's inventory, drafts included (unless ``filters.state`` says otherwise)."""
    conditions = _conditions(replace(filters, owner_id=organisation_id))
    # Drafts have no publication time, so "newest" here means most recently added.
    order = (Patent.id.desc(),) if filters.sort not in ORDERS or filters.sort == "newest" else ORDERS[filters.sort]
    return _page(conditions, order, page, per_page)


def organisation_conditions(organisation_id: int, filters: PatentFilters) -> list[ColumnElement[bool]]:
    """The inventory's filter as SQL conditions, for work over every matching patent (bulk actions)."""
    return _conditions(replace(filters, owner_id=organisation_id))


def organisation_name(organisation_id: int) -> str | None:
    """The name shown for an active owner filter."""
    return db.session.scalar(select(Organisation.name).where(Organisation.id == organisation_id))
