"""Ledger totals per month, mode and dimension value: the one aggregation every figure is built from.

Figures filtered by dates, mode and at most one dimension value (a segment,
a region, a university, SME acquirers or a fee type) come from the monthly
rollup for whole months — the platform's rows or an agency's — and live from
the ledger for the partial months at the ends (see ``_plan``), so every path
gives the same numbers to the cent. Other filters are answered live.
"""
from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement, CompoundSelect, Date, Integer, Select, String, cast, func, literal, null, select, type_coerce, union_all,
)

from marketplace.console.ledger import ACADEMIC, Filters, Scope, items
from marketplace.console.models import PLATFORM, MonthlyRollup
from marketplace.extensions import db

# The filter each rollup dimension can answer: the value it keeps as ``key`` (``None``: any key, summed).
_NARROWING = {"segment": lambda f: f.segment, "region": lambda f: f.region,
              "organisation": lambda f: None if f.organisation_id is None else str(f.organisation_id),
              "sme": lambda f: "" if f.sme else None, "fee": lambda f: f.fee_type}


# The dimensions one pass over a month's items answers together; segments multiply the items (a pass of their own).
ONE_PASS = ("all", "region", "organisation", "sme", "fee")

_T = TypeVar("_T")
_MEMO: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("console_cells_memo", default=None)


@contextmanager
def memoised() -> Iterator[None]:
    """Within one read of many figures (a dashboard), each identical aggregation runs once: the figures share
    months and totals (this year's months, the year to date, the months read live), and a read writes nothing."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _remembered(key: tuple[Any, ...], compute: Callable[[], _T]) -> _T:
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


@dataclass(frozen=True)
class Cell:
    year: int
    month: int
    mode: str
    key: str
    items: int
    cents: int
    agency_id: int | None = None


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def live_cells(scope: Scope, filters: Filters, dimension: str, *, by_agency: bool = False,
               per_month: bool = True) -> list[Cell]:
    """Aggregate the ledger directly: items and cents per (year, month, mode, key[, brokering agency]).

    Without ``per_month`` the whole range is one period (year and month 0): what non-time groupings need.
    """
    stmt = aggregated(scope, filters, dimension, by_agency=by_agency, per_month=per_month)
    if stmt is None:
        return []
    return [Cell(m.year if per_month else 0, m.month if per_month else 0, mode, key, int(n), int(c), agency)
            for m, mode, key, n, c, agency in db.session.execute(stmt)]


def aggregated(scope: Scope, filters: Filters, dimension: str, *, by_agency: bool = False,
               per_month: bool = True) -> Select | None:
    """The ledger aggregated by the database: columns month (its first day; NULL without ``per_month``), mode,
    key, items, cents, agency_id (the brokering agency with ``by_agency``, else NULL). ``None`` when no ledger
    table can match. The rollup inserts these rows as they are (``INSERT … SELECT``): none travel to Python."""
    source = items(scope, filters, segments=dimension == "segment", by_agency=by_agency)
    if source is None:
        return None
    return _aggregate(source.subquery("ledger_items"), dimension, by_agency=by_agency, per_month=per_month)


def _aggregate(rows, dimension: str, *, by_agency: bool, per_month: bool) -> Select:
    """``aggregated`` over ``rows``, the ledger items (a subquery, or a CTE several dimensions share)."""
    key, conditions = _key(rows, dimension)
    month = _month_of(rows.c.day) if per_month else null()
    groups = ([month] if per_month else []) + [rows.c.mode, key] + ([rows.c.agency_id] if by_agency else [])
    if by_agency:
        conditions = [*conditions, rows.c.agency_id.is_not(None)]
    return (select(type_coerce(month, Date).label("month"), rows.c.mode.label("mode"), cast(key, String).label("key"),
                   func.count().label("items"), func.coalesce(func.sum(rows.c.cents), 0).label("cents"),
                   (rows.c.agency_id if by_agency else literal(None, Integer)).label("agency_id"))
            .where(*conditions).group_by(*groups))


def aggregated_together(scope: Scope, filters: Filters, *, by_agency: bool = False) -> CompoundSelect | None:
    """``aggregated`` per month for every dimension ``ONE_PASS`` names, in one statement with a ``dimension``
    column: the items are selected once, not once per dimension (a month read live by a page, a month the
    rollup recomputes)."""
    source = items(scope, filters, by_agency=by_agency)
    if source is None:
        return None
    rows = source.cte("ledger_items")
    return union_all(*(_aggregate(rows, dimension, by_agency=by_agency, per_month=True)
                       .add_columns(literal(dimension, String).label("dimension")) for dimension in ONE_PASS))


def _live_month(scope: Scope, filters: Filters) -> dict[str, list[Cell]]:
    found: dict[str, list[Cell]] = {dimension: [] for dimension in ONE_PASS}
    stmt = aggregated_together(scope, filters)
    for m, mode, key, n, c, _agency, dimension in db.session.execute(stmt) if stmt is not None else ():
        found[dimension].append(Cell(m.year, m.month, mode, key, int(n), int(c)))
    return found


def _month_of(day) -> ColumnElement:
    """The first day of ``day``'s month, in SQL (each dialect has its own spelling)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", day), Date)
    return func.date(day, "start of month")


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


@dataclass(frozen=True)
class _Part:
    """One piece of a range: whole months from the rollup, or a live aggregation of the ledger."""

    rollup: tuple[date, date] | None = None
    filters: Filters | None = None


@dataclass(frozen=True)
class _Rolled:
    """Which rollup rows answer a dimension under a filter: ``dimension``'s rows, only ``key``'s (if set),
    reported under the key ``""`` when ``relabel`` (the filter's dimension is not the one asked for)."""

    dimension: str
    key: str | None = None
    relabel: bool = False


def _rolled(filters: Filters, dimension: str) -> _Rolled | None:
    """The rollup rows that hold ``dimension`` under ``filters``, or None when only the ledger can answer.

    A filter on one dimension value is that dimension's rows for the value:
    exactly the items the filter selects (the rollup's dimensions are defined
    by the same conditions as the filters, ``_key``).
    """
    narrowed = {name: value for name, value_of in _NARROWING.items() if (value := value_of(filters)) is not None}
    if not narrowed:
        return _Rolled(dimension)
    if len(narrowed) > 1 or dimension not in ("all", *narrowed):
        return None
    (name, value), = narrowed.items()
    return _Rolled(name, None if name == "sme" else value, relabel=dimension == "all")


def _plan(scope: Scope, filters: Filters, rolled: _Rolled | None) -> list[_Part]:
    """Where each part of a figure comes from; the parts never overlap, so their sums add up exactly.

    Whole months come from the rollup (the platform's rows, or an agency's);
    partial months at the ends, months whose rows of this scope are stale,
    and filters the rollup cannot answer, are aggregated live.
    """
    if rolled is None:
        return [_Part(filters=filters)]
    from marketplace.console import rollup

    first, last = full_months(filters.start, filters.end)
    if first > last:
        return [_Part(filters=filters)]
    # Months the rollup does not reflect yet (a job recomputes them after the commit) are read live: a figure is
    # never older than the ledger, and reading never writes.
    parts: list[_Part] = []
    cursor: date | None = first  # the first month not yet planned
    partition = PLATFORM if scope.agency_id is None else scope.agency_id
    for month in sorted(_remembered(("stale", partition, first, last),
                                    lambda: rollup.stale_months(first, last, partition))):
        if cursor is not None and cursor < month:
            parts.append(_Part(rollup=(cursor, month_start(_day_before(month)))))
        parts.append(_Part(filters=filters.narrowed(start=month, end=month_end(month))))
        cursor = next_month(month) if month < last else None
    if cursor is not None and cursor <= last:
        parts.append(_Part(rollup=(cursor, last)))
    if filters.start is not None and filters.start < first:
        parts.append(_Part(filters=filters.narrowed(end=_day_before(first))))
    if filters.end is not None and filters.end > month_end(last):
        parts.append(_Part(filters=filters.narrowed(start=next_month(last))))
    return parts


def _rollup_rows(scope: Scope, first: date, last: date, rolled: _Rolled, mode: str | None, per_month: bool,
                 per_mode: bool = True):
    """The rollup's items and cents for the range, per (month,) (mode,) key, summed by the database."""
    agency = MonthlyRollup.agency_id.is_(None) if scope.platform else MonthlyRollup.agency_id == scope.agency_id
    key = literal("", String) if rolled.relabel else MonthlyRollup.key
    groups = ([MonthlyRollup.month] if per_month else []) + ([MonthlyRollup.mode] if per_mode else []) + [key]
    stmt = (select(*groups, func.sum(MonthlyRollup.items), func.sum(MonthlyRollup.cents))
            .where(agency, MonthlyRollup.dimension == rolled.dimension, MonthlyRollup.month >= first,
                   MonthlyRollup.month <= last).group_by(*groups))
    if rolled.key is not None:
        stmt = stmt.where(MonthlyRollup.key == rolled.key)
    return stmt.where(MonthlyRollup.mode == mode) if mode is not None else stmt


def cells(scope: Scope, filters: Filters, dimension: str, *, per_month: bool = True) -> list[Cell]:
    """The cells of ``dimension`` for this scope and filter, from the rollup where it can answer.

    ``per_month=False`` sums the range in the database (year and month 0): far fewer rows for groupings
    that are not by time.
    """
    rolled = _rolled(filters, dimension)
    found: list[Cell] = []
    for part in _plan(scope, filters, rolled):
        found += _remembered(("cells", scope, part, rolled, dimension, filters.mode, per_month),
                             partial(_part_cells, scope, part, rolled, dimension, filters.mode, per_month))
    return found


def mode_totals(scope: Scope, filters: Filters, dimension: str) -> dict[str, tuple[int, int]]:
    """Items and cents per mode over the whole range, ``dimension``'s keys summed by the database: a target
    counts an agency's academic holders together, not its 1,400 universities one row each."""
    rolled = _rolled(filters, dimension)
    if rolled is not None and rolled.dimension != "all":  # "all" has one key: keep its memo shared with the tables
        rolled = replace(rolled, relabel=True)
    totals: dict[str, tuple[int, int]] = {}
    for part in _plan(scope, filters, rolled):
        for cell in _remembered(("cells", scope, part, rolled, dimension, filters.mode, False),
                                partial(_part_cells, scope, part, rolled, dimension, filters.mode, False)):
            n, c = totals.get(cell.mode, (0, 0))
            totals[cell.mode] = (n + cell.items, c + cell.cents)
    return totals


def _part_cells(scope: Scope, part: _Part, rolled: _Rolled | None, dimension: str, mode: str | None,
                per_month: bool) -> list[Cell]:
    if part.rollup is None:
        return _live_part(scope, part.filters, dimension, per_month)
    assert rolled is not None  # a rollup part is planned only where the rollup answers
    stmt = _rollup_rows(scope, *part.rollup, rolled, mode, per_month=per_month)
    if per_month:
        return [Cell(m.year, m.month, mode_, key, int(n), int(c)) for m, mode_, key, n, c in db.session.execute(stmt)]
    return [Cell(0, 0, mode_, key, int(n), int(c)) for mode_, key, n, c in db.session.execute(stmt)]


def _live_part(scope: Scope, filters: Filters, dimension: str, per_month: bool) -> list[Cell]:
    """A part read live from the ledger. Within one month (a stale month, the partial months at a range's ends)
    its cells per month are its cells per mode and key, and its totals per key their sums: one aggregation
    answers the tables, the totals and the key lists (a page asked each of them apart, ~20 live scans of a
    stale month instead of 6)."""
    if not _one_month(filters):
        return live_cells(scope, filters, dimension, per_month=per_month)
    if dimension in ONE_PASS and _MEMO.get() is not None:  # a page: it will ask for the other dimensions too
        found = _remembered(("live month", scope, filters), lambda: _live_month(scope, filters))[dimension]
    else:
        found = _remembered(("live month", scope, filters, dimension), lambda: live_cells(scope, filters, dimension))
    return found if per_month else [Cell(0, 0, c.mode, c.key, c.items, c.cents) for c in found]


def _one_month(filters: Filters) -> bool:
    return (filters.start is not None and filters.end is not None
            and (filters.start.year, filters.start.month) == (filters.end.year, filters.end.month))


def key_totals(scope: Scope, filters: Filters, dimension: str) -> dict[str, tuple[int, int]]:
    """Items and cents per key over the whole range, summed by the database (the SME list has thousands of keys)."""
    totals: dict[str, tuple[int, int]] = {}
    rolled = _rolled(filters, dimension)
    for part in _plan(scope, filters, rolled):
        rows = _remembered(("key_totals", scope, part, rolled, dimension, filters.mode),
                           partial(_part_key_totals, scope, part, rolled, dimension, filters.mode))
        for key, n, c in rows:
            before = totals.get(key)
            totals[key] = (n, c) if before is None else (before[0] + n, before[1] + c)
    return totals


def _part_key_totals(scope: Scope, part: _Part, rolled: _Rolled | None, dimension: str,
                     mode: str | None) -> list[tuple[str, int, int]]:
    if part.rollup is None:
        if _one_month(part.filters):
            return [(c.key, c.items, c.cents) for c in _live_part(scope, part.filters, dimension, per_month=False)]
        return _live_key_totals(scope, part.filters, dimension)
    assert rolled is not None
    # Summed over modes by the database: the SME list has thousands of keys, each in several modes.
    return [(k, int(n), int(c)) for k, n, c in db.session.execute(
        _rollup_rows(scope, *part.rollup, rolled, mode, per_month=False, per_mode=False))]


def _live_key_totals(scope: Scope, filters: Filters, dimension: str) -> list[tuple[str, int, int]]:
    source = items(scope, filters, segments=dimension == "segment")
    if source is None:
        return []
    rows = source.subquery("ledger_items")
    key, conditions = _key(rows, dimension)
    stmt = select(key, func.count(), func.sum(rows.c.cents)).where(*conditions).group_by(key)
    return [(str(k), int(n), int(c or 0)) for k, n, c in db.session.execute(stmt)]


def full_months(start: date | None, end: date | None) -> tuple[date, date]:
    """The first and last month lying wholly inside ``[start, end]`` (open ends reach any month)."""
    first = date(1, 1, 1) if start is None else (start if start.day == 1 else next_month(start))
    last = date(9999, 12, 1) if end is None else month_start(end if end == month_end(end)
                                                              else _day_before(month_start(end)))
    return first, last


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def merge(found: Iterable[Cell]) -> dict[tuple[int, int, str, str], tuple[int, int]]:
    """Sum cells that share year, month, mode and key (the rollup and live parts of one range)."""
    totals: dict[tuple[int, int, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cell in found:
        slot = totals[(cell.year, cell.month, cell.mode, cell.key)]
        slot[0] += cell.items
        slot[1] += cell.cents
    return {key: (n, c) for key, (n, c) in totals.items()}
