"""Yearly targets per agency, and how far the ledger has come toward them.

Progress is this year to date; the forecast is a straight line from 1 January
to today, extended to 31 December (events add the ones already scheduled).
Growth targets compare the year-end forecast with last year's total.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from marketplace.accounts.models import OrganisationKind, User
from marketplace.agencies.access import organisations_served
from marketplace.console.cells import mode_totals
from marketplace.console.ledger import Filters, Scope
from marketplace.console.models import AgencyTarget, MatchmakingEvent
from marketplace.console.statistics import (
    CENT, growth_pct, same_period_last_year, sme_count, to_amount, year_to_date,
)
from marketplace.core.audit import diff, record_audit
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.core.money import parse_money
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.extensions import db

COUNTS = ("conversion_count", "transfer_license_count", "open_license_count", "pledge_count", "events_count",
          "organisations_served")
AMOUNTS = ("conversion_amount", "pledge_amount")
RATES = ("pledge_growth_pct", "sme_growth_pct")
FIELDS = COUNTS + AMOUNTS + RATES
LABELS = {
    "conversion_count": _l("高校院所专利转化（转让、许可、开放许可、作价入股、拍卖）笔数"),
    "conversion_amount": _l("高校院所专利转化合同金额"),
    "transfer_license_count": _l("高校院所专利转让（含拍卖）、许可笔数"),
    "open_license_count": _l("高校院所专利开放许可笔数"),
    "pledge_count": _l("质押融资笔数"),
    "pledge_amount": _l("质押融资金额"),
    "pledge_growth_pct": _l("质押融资金额同比增长（%）"),
    "pledge_count_growth_pct": _l("质押融资项目数同比增长（%）"),
    "sme_growth_pct": _l("受让高校院所专利的中小企业数同比增长（%）"),
    "events_count": _l("供需对接活动场次"),
    "organisations_served": _l("服务机构数（授权期内）"),
}
MAX_RATE = Decimal("1000")


def _parse_count(value: Any, field: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationFailed.field(field, _("应为整数")) from None
    if number < 0:
        raise ValidationFailed.field(field, _("不能为负"))
    return number


def _parse_rate(value: Any, field: str) -> Decimal:
    try:
        rate = Decimal(str(value).strip().removesuffix("%"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed.field(field, _("不是有效的百分比")) from None
    if not rate.is_finite() or rate < 0:
        raise ValidationFailed.field(field, _("不能为负"))
    if rate > MAX_RATE or rate != rate.quantize(CENT):
        raise ValidationFailed.field(field, _("应为 0–1000，最多两位小数"))
    return rate


def clean_targets(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the target fields present in ``raw`` (blank clears a target), naming every wrong one."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in FIELDS:
        if name not in raw:
            continue
        value = raw[name]
        if value is None or (isinstance(value, str) and not value.strip()):
            values[name] = None
            continue
        try:
            if name in COUNTS:
                values[name] = _parse_count(value, name)
            elif name in AMOUNTS:
                values[name] = parse_money(value, name)
            else:
                values[name] = _parse_rate(value, name)
        except ValidationFailed as error:
            errors.update(error.fields)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return values


def _year(raw: Any) -> int:
    try:
        year = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationFailed.field("year", _("应为年份")) from None
    if not 2000 <= year <= 2100:
        raise ValidationFailed.field("year", _("年份应在 2000–2100 之间"))
    return year


def list_targets(user: User) -> list[AgencyTarget]:
    """The user's agency's targets, latest year first (every agency's for platform admins)."""
    stmt = select(AgencyTarget).order_by(AgencyTarget.year.desc(), AgencyTarget.agency_id)
    if not user.is_platform_admin:
        agency = require_organisation(user, (OrganisationKind.AGENCY,))
        stmt = stmt.where(AgencyTarget.agency_id == agency.id)
    return list(db.session.scalars(stmt))


def targets_for(agency_id: int, year: int) -> AgencyTarget | None:
    return db.session.scalar(select(AgencyTarget).where(AgencyTarget.agency_id == agency_id,
                                                        AgencyTarget.year == year))


def create_targets(user: User, raw: Mapping[str, Any]) -> AgencyTarget:
    """Enter an agency's targets for a year (one set per year: later changes are updates)."""
    agency = require_organisation(user, (OrganisationKind.AGENCY,))
    year = _year(raw.get("year"))
    values = clean_targets(raw)
    if targets_for(agency.id, year) is not None:
        raise Conflict(_("%(year)d 年的目标已存在，请修改", year=year), {"year": "exists"})
    target = AgencyTarget(agency_id=agency.id, year=year, updated_by_id=user.id, **values)
    db.session.add(target)
    db.session.flush()
    record_audit("targets.created", "agency_target", target.id, {"year": year, **values}, actor=user)
    return target


def update_targets(user: User, target_id: int, raw: Mapping[str, Any]) -> AgencyTarget:
    """Change some of a year's targets; the others stay."""
    require_organisation(user, (OrganisationKind.AGENCY,))
    target = get_visible(user, AgencyTarget, target_id, lambda t: (t.agency_id,), _("目标不存在"), admins=False)
    changes = diff(target, clean_targets(raw))
    if changes:
        target.updated_by_id = user.id
        db.session.flush()
        record_audit("targets.updated", "agency_target", target.id, changes, actor=user)
    return target


def save_targets(user: User, year: int, raw: Mapping[str, Any]) -> AgencyTarget:
    """The form's single action: create the year's targets or update them."""
    agency = require_organisation(user, (OrganisationKind.AGENCY,))
    existing = targets_for(agency.id, year)
    if existing is None:
        return create_targets(user, {**raw, "year": year})
    return update_targets(user, existing.id, raw)


# --- progress --------------------------------------------------------------------------------

@dataclass
class Progress:
    """One metric: the target, the year so far, the straight-line forecast for 31 December."""

    metric: str
    label: str
    target: Decimal | int | None
    actual: Decimal | int | None
    forecast: Decimal | int | None
    filters: Filters | None = None
    is_rate: bool = False

    @property
    def percent(self) -> Decimal | None:
        """Share of the target reached so far (rates: not meaningful, None)."""
        if self.is_rate or not self.target or self.actual is None:
            return None
        return (Decimal(self.actual) * 100 / Decimal(self.target)).quantize(Decimal("0.1"))

    @property
    def on_track(self) -> bool | None:
        if self.target is None or self.forecast is None:
            return None
        return Decimal(self.forecast) >= Decimal(self.target)

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "label": self.label, "target": self.target, "actual": self.actual,
                "forecast": self.forecast, "percent": self.percent, "on_track": self.on_track}


def elapsed_share(year: int, today: date) -> tuple[int, int]:
    """Days of ``year`` gone by today (0 before it, all after it) and the days it has."""
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    if today < date(year, 1, 1):
        return 0, days
    if today > date(year, 12, 31):
        return days, days
    return (today - date(year, 1, 1)).days + 1, days


def linear_forecast(actual: Decimal | int, year: int, today: date) -> Decimal | int | None:
    """``actual`` extended in a straight line to the year's end, amounts in whole yuan; None before the year starts."""
    elapsed, days = elapsed_share(year, today)
    if elapsed == 0:
        return None
    if isinstance(actual, int):
        return int((Decimal(actual) * days / elapsed).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return (actual * days / elapsed).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def events_held(agency_id: int, start: date, end: date) -> int:
    return int(db.session.scalar(select(func.count()).select_from(MatchmakingEvent).where(
        MatchmakingEvent.agency_id == agency_id, MatchmakingEvent.held_on >= start, MatchmakingEvent.held_on <= end)))


def organisations_served_in(agency_id: int, start: date, end: date) -> int:
    """Organisations that had the agency serving them (an accepted relationship) on some day of the period."""
    return organisations_served(agency_id, start, end)


def target_progress(agency_id: int, year: int, today: date) -> list[Progress]:
    """Every metric of the agency's year, with its target when one was entered."""
    target = targets_for(agency_id, year)
    scope = Scope(agency_id)
    period = year_to_date(year, today)
    last_year = Filters(start=date(year - 1, 1, 1), end=date(year - 1, 12, 31))
    academic = mode_totals(scope, period, "organisation")
    pledges = mode_totals(scope, period, "all").get("pledge", (0, 0))
    pledges_before = mode_totals(scope, last_year, "all").get("pledge", (0, 0))
    conversion = ["transfer", "license", "open_license", "equity", "auction"]  # an auction is a transfer

    def total(modes: list[str], index: int) -> int:
        return sum(academic.get(mode, (0, 0))[index] for mode in modes)

    def goal(name: str):
        return getattr(target, name) if target is not None else None

    def counted(metric: str, actual: int, filters: Filters | None = None) -> Progress:
        return Progress(metric, str(LABELS[metric]), goal(metric), actual, linear_forecast(actual, year, today),
                        filters)

    def amount(metric: str, cents_: int, filters: Filters | None = None) -> Progress:
        value = to_amount(cents_)
        return Progress(metric, str(LABELS[metric]), goal(metric), value, linear_forecast(value, year, today),
                        filters)

    progress = [
        counted("conversion_count", total(conversion, 0)),
        amount("conversion_amount", total(conversion, 1)),
        counted("transfer_license_count", total(["transfer", "license", "auction"], 0)),
        counted("open_license_count", total(["open_license"], 0), period.narrowed(mode="open_license")),
        counted("pledge_count", pledges[0], period.narrowed(mode="pledge")),
        amount("pledge_amount", pledges[1], period.narrowed(mode="pledge")),
    ]
    same_days_last_year = Filters(start=date(year - 1, 1, 1), end=same_period_last_year(period.end))
    pledges_same = mode_totals(scope, same_days_last_year, "all").get("pledge", (0, 0))
    smes_now = sme_count(scope, period)
    smes_same = sme_count(scope, same_days_last_year)
    smes_last_year = sme_count(scope, last_year)
    progress += [
        _rate("pledge_growth_pct", "pledge_growth_pct", goal("pledge_growth_pct"), to_amount(pledges[1]),
              to_amount(pledges_same[1]), to_amount(pledges_before[1]), year, today),
        _rate("pledge_count_growth_pct", "pledge_growth_pct", goal("pledge_growth_pct"), pledges[0], pledges_same[0],
              pledges_before[0], year, today),
        _rate("sme_growth_pct", "sme_growth_pct", goal("sme_growth_pct"), smes_now, smes_same, smes_last_year,
              year, today, period.narrowed(sme=True)),
    ]
    held = events_held(agency_id, period.start, period.end)
    scheduled = events_held(agency_id, period.start, date(year, 12, 31))
    straight = linear_forecast(held, year, today)
    progress.append(Progress("events_count", str(LABELS["events_count"]), goal("events_count"), held,
                             None if straight is None else max(straight, scheduled)))
    progress.append(counted("organisations_served", organisations_served_in(agency_id, period.start, period.end)))
    return progress


def _rate(metric: str, label_key: str, target: Decimal | None, now: Decimal | int, same_period: Decimal | int,
          last_year: Decimal | int, year: int, today: date, filters: Filters | None = None) -> Progress:
    """Growth so far (against last year's same days) and forecast growth (year-end line against last year)."""
    projected = linear_forecast(now, year, today)
    return Progress(metric, str(LABELS[metric if metric in LABELS else label_key]), target, growth_pct(now, same_period),
                    growth_pct(projected, last_year) if projected is not None else None, filters, is_rate=True)
