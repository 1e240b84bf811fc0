"""The one question other features ask: was this agency authorised by this organisation for this, on that day?

``is_authorised`` answers it for one pair; ``authorised_clause`` is the same
rule as a SQL condition, for queries that scope many rows at once (the
console's ledger, its rollup, the funnel). Both read the permission periods
only, so the answer for a past day never changes when the organisation later
revokes or narrows what it granted.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, distinct, exists, func, or_, select
from sqlalchemy.orm import aliased

from marketplace.agencies.models import AgencyPermission, AgencyPermissionPeriod
from marketplace.core.dates import local_today
from marketplace.extensions import db

Period = AgencyPermissionPeriod


def _permission(permission: AgencyPermission | str) -> AgencyPermission:
    return permission if isinstance(permission, AgencyPermission) else AgencyPermission(permission)


def covering(on: Any, period: Any = Period) -> ColumnElement[bool]:
    """The period covers ``on`` (a date, or a date/datetime column): ``started_on <= on < ended_on``."""
    return and_(period.started_on <= on, or_(period.ended_on.is_(None), period.ended_on > on))


# One alias for every clause: each EXISTS is a subquery of its own, so sharing it never correlates two of them,
# while a fresh alias per call cost the console ~100 column proxies per clause (tens of ms per page).
_AUTHORISED = aliased(Period, name="authorised_period")


def authorised_clause(agency_id: Any, organisation_id: Any, permission: AgencyPermission | str,
                      on: Any) -> ColumnElement[bool]:
    """SQL: the organisation had granted the agency ``permission`` on day ``on``.

    Every argument but ``permission`` may be a value or a column, so one query
    can check each of its rows against its own organisation and date.
    """
    period = _AUTHORISED  # never correlated with a query that joins the periods itself
    return exists(select(period.id).where(period.agency_id == agency_id, period.organisation_id == organisation_id,
                                          period.permission == _permission(permission), covering(on, period)))


def is_authorised(agency_id: int, organisation_id: int, permission: AgencyPermission | str,
                  on: date | datetime | None = None) -> bool:
    """Whether ``organisation_id`` had accepted ``agency_id`` with ``permission`` on ``on`` (default: today).

    ``permission`` is an ``AgencyPermission`` or its value: ``serve`` (the
    relationship is in force), ``open_licenses``, ``funnel`` or
    ``confirm_payments``. A day counts from the relationship's start date up
    to, not including, the day it was revoked or the permission withdrawn.
    False for any pair that never had an accepted relationship.
    """
    day = on.date() if isinstance(on, datetime) else (on or local_today())
    return bool(db.session.scalar(select(authorised_clause(agency_id, organisation_id, permission, day))))


def organisations_served(agency_id: int, start: date, end: date) -> int:
    """How many organisations had the agency serving them on at least one day of ``[start, end]``."""
    return int(db.session.scalar(select(func.count(distinct(Period.organisation_id))).where(
        Period.agency_id == agency_id, Period.permission == AgencyPermission.SERVE,
        Period.started_on <= end, or_(Period.ended_on.is_(None), Period.ended_on > start),
        # An empty period (accepted and revoked the same day) served no one.
        or_(Period.ended_on.is_(None), Period.ended_on > Period.started_on))))
