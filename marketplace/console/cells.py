"""Ledger totals per month, mode and dimension value: the one aggregation every figure is built from.

Agency figures are aggregated live (an agency's slice is small and indexed);
platform-wide figures without filters come from the monthly rollup for whole
months, and live for the days of a partial month at either end of the range,
so both paths give the same numbers to the cent.
"""
from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, String, cast, extract, func, literal, select

from marketplace.console.ledger import ACADEMIC, Filters, Scope, items
from marketplace.console.models import MonthlyRollup
from marketplace.extensions import db


@dataclass(frozen=True)
class Cell:
    year: int
    month: int
    mode: str
    key: str
    items: int
    cents: int


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def live_cells(scope: Scope, filters: Filters, dimension: str) -> list[Cell]:
    """Aggregate the ledger directly: items and cents per (year, month, mode, key)."""
    source = items(scope, filters, segments=dimension == "segment")
    if source is None:
        return []
    rows = source.subquery("ledger_items")
    key, conditions = _key(rows, dimension)
    year = extract("year", rows.c.day)
    month = extract("month", rows.c.day)
    stmt = (select(cast(year, Integer), cast(month, Integer), rows.c.mode, key, func.count(), func.sum(rows.c.cents))
            .where(*conditions).group_by(year, month, rows.c.mode, key))
    return [Cell(int(y), int(m), mode, str(k), int(n), int(c or 0)) for y, m, mode, k, n, c in db.session.execute(stmt)]


def _key(rows, dimension: str):
    if dimension == "all":
        return literal("", String), []
    if dimension == "segment":
        return rows.c.segment, []
    if dimension == "region":
        return rows.c.region_code, []
    if dimension == "organisation":
        return cast(rows.c.holder_id, String), [rows.c.holder_kind.in_(ACADEMIC)]
    if dimension == "sme":
        return cast(rows.c.acquirer_id, String), [rows.c.acquirer_sme.is_(True), rows.c.mode != "pledge",
                                                 rows.c.holder_kind.in_(ACADEMIC)]
    if dimension == "fee":
        return rows.c.fee_type, [rows.c.source == "open_license"]
    raise ValueError(dimension)


def cells(scope: Scope, filters: Filters, dimension: str) -> list[Cell]:
    """The cells of ``dimension`` for this scope and filter, from the rollup where it can answer."""
    if not scope.platform or not filters.only_dates_and_mode:
        return live_cells(scope, filters, dimension)
    from marketplace.console import rollup

    rollup.refresh_stale()
    first, last = full_months(filters.start, filters.end)
    if first > last:
        return live_cells(scope, filters, dimension)
    found = _rollup_cells(first, last, dimension, filters.mode)
    if filters.start is not None and filters.start < first:
        found += live_cells(scope, filters.narrowed(end=_day_before(first)), dimension)
    if filters.end is not None and filters.end > month_end(last):
        found += live_cells(scope, filters.narrowed(start=next_month(last)), dimension)
    return found


def full_months(start: date | None, end: date | None) -> tuple[date, date]:
    """The first and last month lying wholly inside ``[start, end]`` (open ends reach any month)."""
    first = date(1, 1, 1) if start is None else (start if start.day == 1 else next_month(start))
    last = date(9999, 12, 1) if end is None else month_start(end if end == month_end(end)
                                                              else _day_before(month_start(end)))
    return first, last


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def _rollup_cells(first: date, last: date, dimension: str, mode: str | None) -> list[Cell]:
    stmt = select(MonthlyRollup).where(MonthlyRollup.dimension == dimension, MonthlyRollup.month >= first,
                                       MonthlyRollup.month <= last)
    if mode is not None:
        stmt = stmt.where(MonthlyRollup.mode == mode)
    return [Cell(r.month.year, r.month.month, r.mode, r.key, r.items, r.cents) for r in db.session.scalars(stmt)]


def merge(found: Iterable[Cell]) -> dict[tuple[int, int, str, str], tuple[int, int]]:
    """Sum cells that share year, month, mode and key (the rollup and live parts of one range)."""
    totals: dict[tuple[int, int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cell in found:
        slot = totals[(cell.year, cell.month, cell.mode, cell.key)]
        slot[0] += cell.items
        slot[1] += cell.cents
    return {key: (n, c) for key, (n, c) in totals.items()}
