"""Deal statistics for the console and the API: tables by period, mode, segment, region and university.

Every figure carries the filters of the deals behind it, so a page can link
it to the drill-down list and an export can reproduce it exactly.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app, has_request_context
from flask_babel import get_locale
from sqlalchemy import select

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.console.cells import cells, key_totals, merge, month_end
from marketplace.console.ledger import FEE_TYPES, MODES, Filters, Scope, id_in
from marketplace.console.regions import region_label
from marketplace.core.dates import parse_date
from marketplace.core.errors import Forbidden, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.extensions import db
from marketplace.openlicense.terms import FEE_LABELS
from marketplace.patents.vocab import MODE_LABELS as TRANSFORMATION_MODE_LABELS

GROUPINGS = ("month", "quarter", "year", "mode", "segment", "region", "organisation")
UNCLASSIFIED = "none"  # the query-string spelling of "no segment" ("" means no filter)
MODE_LABELS: dict[str, Any] = {mode.value: label for mode, label in TRANSFORMATION_MODE_LABELS.items()} | {
    "auction": _l("拍卖"), "pledge": _l("质押融资")}  # the ledger's modes: the transformation modes, auctions, pledges
CENT = Decimal("0.01")


def to_amount(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


@dataclass
class Figure:
    """A count and an amount, with the filters of the ledger items behind them."""

    items: int
    amount: Decimal
    filters: Filters

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "amount": self.amount, "filters": filter_params(self.filters)}


@dataclass
class Row:
    key: str
    label: str
    figure: Figure
    by_mode: dict[str, Figure] = field(default_factory=dict)


@dataclass
class Table:
    group_by: str
    filters: Filters
    rows: list[Row]
    total: Figure

    @property
    def modes(self) -> list[str]:
        """The modes present in any row, in the standard order (the table's columns)."""
        return [m for m in MODES if any(m in row.by_mode for row in self.rows)]

    def as_dict(self) -> dict[str, Any]:
        return {"group_by": self.group_by, "from": self.filters.start, "to": self.filters.end,
                "total": self.total.as_dict(),
                "rows": [{"key": r.key, "label": r.label, **r.figure.as_dict(),
                          "by_mode": {m: f.as_dict() for m, f in r.by_mode.items()}} for r in self.rows]}


def scope_for(user: User, agency_id: int | None = None) -> Scope:
    """An agency sees its own scope; a platform admin everything, or one agency's scope if asked."""
    if getattr(user, "is_platform_admin", False):
        return Scope(agency_id)
    organisation = user.organisation if user is not None and user.is_authenticated else None
    if organisation is None or organisation.kind != OrganisationKind.AGENCY:
        raise Forbidden(_("运营机构控制台仅限运营机构与平台管理员"))
    return Scope(organisation.id)


def parse_filters(raw: Mapping[str, Any]) -> Filters:
    """Filters from a query string or API arguments (``from``, ``to``, ``mode`` …), each checked by name."""
    start, end = parse_date(raw.get("from"), "from"), parse_date(raw.get("to"), "to")
    if start and end and start > end:
        raise ValidationFailed.field("from", _("开始日期不能晚于结束日期"))
    mode = raw.get("mode") or None
    if mode is not None and mode not in MODES:
        raise ValidationFailed.field("mode", _("方式可选：%(values)s", values=", ".join(MODES)))
    fee_type = raw.get("fee_type") or None
    if fee_type is not None and fee_type not in FEE_TYPES:
        raise ValidationFailed.field("fee_type", _("付费方式可选：%(values)s", values=", ".join(FEE_TYPES)))
    segment = raw.get("segment") or None
    region = raw.get("region") or None
    if region is not None and not (str(region).isdigit() and len(str(region)) == 6):
        raise ValidationFailed.field("region", _("地区应为6位行政区划代码"))
    organisation = raw.get("organisation") or None
    try:
        organisation_id = int(organisation) if organisation is not None else None
    except (TypeError, ValueError):
        raise ValidationFailed.field("organisation", _("高校院所应为机构编号")) from None
    return Filters(start=start, end=end, mode=mode, segment="" if segment == UNCLASSIFIED else segment,
                   region=region, organisation_id=organisation_id, sme=str(raw.get("sme", "")).lower() in ("1", "true"),
                   fee_type=fee_type)


def filter_params(filters: Filters) -> dict[str, str]:
    """The query string that reproduces ``filters`` (the inverse of ``parse_filters``)."""
    params = {"from": filters.start.isoformat() if filters.start else None,
              "to": filters.end.isoformat() if filters.end else None, "mode": filters.mode,
              "segment": UNCLASSIFIED if filters.segment == "" else filters.segment, "region": filters.region,
              "organisation": str(filters.organisation_id) if filters.organisation_id is not None else None,
              "sme": "1" if filters.sme else None, "fee_type": filters.fee_type}
    return {k: v for k, v in params.items() if v is not None}


def _intersect(filters: Filters, start: date, end: date) -> Filters:
    return filters.narrowed(start=max(start, filters.start) if filters.start else start,
                            end=min(end, filters.end) if filters.end else end)


def _period(group_by: str, year: int, month: int) -> tuple[str, date, date]:
    if group_by == "month":
        start = date(year, month, 1)
        return f"{year}-{month:02d}", start, month_end(start)
    if group_by == "quarter":
        quarter = (month - 1) // 3 + 1
        start = date(year, 3 * quarter - 2, 1)
        return f"{year}-Q{quarter}", start, month_end(date(year, 3 * quarter, 1))
    return str(year), date(year, 1, 1), date(year, 12, 31)


def _period_keys(group_by: str, filters: Filters, seen: list[tuple[int, int]]) -> list[tuple[str, date, date]]:
    """Every period from the range's start to its end (or the data's), empty ones included, for charts."""
    months = sorted(seen)
    first = filters.start or (date(*months[0], 1) if months else None)
    last = filters.end or (date(*months[-1], 1) if months else None)
    if first is None or last is None:
        return []
    keys: dict[str, tuple[str, date, date]] = {}
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        key, start, end = _period(group_by, year, month)
        keys.setdefault(key, (key, start, end))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return list(keys.values())


def deal_statistics(scope: Scope, filters: Filters, group_by: str) -> Table:
    """Counts and amounts of the ledger grouped one way, each row split by mode."""
    if group_by not in GROUPINGS:
        raise ValidationFailed.field("group_by", _("分组可选：%(values)s", values=", ".join(GROUPINGS)))
    dimension = group_by if group_by in ("segment", "region", "organisation") else "all"
    by_time = group_by in ("month", "quarter", "year")
    merged = merge(cells(scope, filters, dimension, per_month=by_time))
    totals = merged if dimension == "all" else merge(cells(scope, filters, "all", per_month=False))
    total = Figure(sum(n for n, _ in totals.values()), to_amount(sum(c for _, c in totals.values())), filters)

    grouped: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    periods: dict[str, tuple[date, date]] = {}
    for (year, month, mode, key), (n, c) in merged.items():
        if group_by in ("month", "quarter", "year"):
            key, start, end = _period(group_by, year, month)
            periods[key] = (start, end)
        elif group_by == "mode":
            key = mode
        slot = grouped[key][mode]
        slot[0] += n
        slot[1] += c
    if group_by in ("month", "quarter", "year"):
        ordered = [(key, start, end) for key, start, end in
                   _period_keys(group_by, filters, [(y, m) for (y, m, _mode, _key) in merged])]
        keys = [key for key, _s, _e in ordered]
        periods.update({key: (start, end) for key, start, end in ordered})
    elif group_by == "mode":
        keys = list(MODES) if filters.mode is None else [filters.mode]
    else:
        keys = sorted(grouped, key=lambda k: (-sum(c for _, c in grouped[k].values()),
                                              -sum(n for n, _ in grouped[k].values()), k))
    labels = _labels(group_by, keys)
    rows = []
    for key in keys:
        row_filters = _row_filters(group_by, key, filters, periods)
        by_mode = {mode: Figure(n, to_amount(c), row_filters.narrowed(mode=mode))
                   for mode, (n, c) in sorted(grouped[key].items(), key=lambda item: MODES.index(item[0]))}
        figure = Figure(sum(f.items for f in by_mode.values()), sum((f.amount for f in by_mode.values()), Decimal("0.00")),
                        row_filters)
        rows.append(Row(key, labels.get(key, key), figure, by_mode))
    return Table(group_by, filters, rows, total)


def _row_filters(group_by: str, key: str, filters: Filters, periods: dict[str, tuple[date, date]]) -> Filters:
    if group_by in ("month", "quarter", "year"):
        return _intersect(filters, *periods[key])
    if group_by == "mode":
        return filters.narrowed(mode=key)
    if group_by == "segment":
        return filters.narrowed(segment=key)
    if group_by == "region":
        return filters.narrowed(region=key)
    return filters.narrowed(organisation_id=int(key))


def _labels(group_by: str, keys: list[str]) -> dict[str, str]:
    if group_by == "mode":
        return {k: str(MODE_LABELS[k]) for k in keys}
    if group_by == "segment":
        return {k: segment_label(k) for k in keys}
    if group_by == "region":
        return {k: region_label(k) for k in keys}
    if group_by == "organisation":
        return organisation_names([int(k) for k in keys])
    return {}


def segment_label(code: str) -> str:
    """A segment's name in the visitor's language (``""``: unclassified)."""
    if not code:
        return _("未分类")
    segment = current_app.extensions["taxonomy"].get(code)
    if segment is None:
        return code
    return segment.label(str(get_locale()) if has_request_context() else "zh")


def organisation_names(ids: list[int]) -> dict[str, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(Organisation.id, Organisation.name).where(id_in(Organisation.id, ids)))
    return {str(i): name for i, name in rows}


def growth_pct(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """Year-on-year growth in percent, or None when there is nothing to compare with."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)).quantize(Decimal("0.1"))


def same_period_last_year(day: date) -> date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


@dataclass
class Comparison:
    """One mode's figures this year to date against the same days of last year."""

    key: str
    label: str
    current: Figure
    previous: Figure

    @property
    def items_growth(self) -> Decimal | None:
        return growth_pct(self.current.items, self.previous.items)

    @property
    def amount_growth(self) -> Decimal | None:
        return growth_pct(self.current.amount, self.previous.amount)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "current": self.current.as_dict(),
                "previous": self.previous.as_dict(), "items_growth_pct": self.items_growth,
                "amount_growth_pct": self.amount_growth}


def year_to_date(year: int, today: date) -> Filters:
    """1 January to today (or the whole year once it is over, nothing before it starts)."""
    return Filters(start=date(year, 1, 1), end=min(date(year, 12, 31), today))


def year_on_year(scope: Scope, year: int, today: date) -> list[Comparison]:
    """Per mode and in total: this year to date against last year's same period."""
    current = year_to_date(year, today)
    previous = Filters(start=date(year - 1, 1, 1), end=same_period_last_year(current.end))
    now = deal_statistics(scope, current, "mode")
    before = deal_statistics(scope, previous, "mode")
    rows = [Comparison(a.key, a.label, a.figure, b.figure) for a, b in zip(now.rows, before.rows)]
    rows.append(Comparison("total", _("合计"), now.total, before.total))
    return rows


@dataclass
class SmeSummary:
    """SMEs that acquired university or institute patents, with last year's same period."""

    current: list[tuple[int, str, int]]  # organisation id, name, items
    previous_count: int
    filters: Filters

    @property
    def growth(self) -> Decimal | None:
        return growth_pct(len(self.current), self.previous_count)


def sme_acquirers(scope: Scope, filters: Filters) -> list[tuple[int, str, int]]:
    """Distinct SMEs acquiring academic patents in ``filters``' range: id, name, number of items."""
    counts = {key: n for key, (n, _c) in key_totals(scope, filters, "sme").items()}
    names = organisation_names([int(k) for k in counts])
    return sorted(((int(k), names.get(k, k), n) for k, n in counts.items()), key=lambda t: (-t[2], t[1]))


def sme_count(scope: Scope, filters: Filters) -> int:
    """How many distinct SMEs acquired academic patents in ``filters``' range (no names looked up)."""
    return len(key_totals(scope, filters, "sme"))


def sme_summary(scope: Scope, year: int, today: date) -> SmeSummary:
    current = year_to_date(year, today)
    previous = Filters(start=date(year - 1, 1, 1), end=same_period_last_year(current.end))
    # Last year's SMEs are only counted: no names to look up.
    return SmeSummary(sme_acquirers(scope, current), sme_count(scope, previous),
                      current.narrowed(sme=True))


def fee_split(scope: Scope, filters: Filters) -> list[Row]:
    """Open licenses obtained by declared fee type (fixed fee, royalty, free), with the fixed fees paid and
    confirmed."""
    found = {fee: (0, 0) for fee in FEE_TYPES} | key_totals(scope, filters, "fee")
    return [Row(fee, str(FEE_LABELS[fee]), Figure(n, to_amount(c), filters.narrowed(mode="open_license", fee_type=fee)))
            for fee, (n, c) in found.items()]
