"""What an owner's finance office reads: fees due by month with their totals, a period's fees with each
reduction explained, and the same as CSV/XLSX.

Every figure is one range of the index ``(owner_id, due_date, state, amount, standard)``: the month totals
and a period's totals are aggregates over it, a page of rows joins only the rows shown. Sums are taken in
whole cents so they are exact on SQLite (which keeps NUMERIC as REAL) too.
"""
from __future__ import annotations

import calendar
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ColumnElement, String, case, cast, extract, func, select

from marketplace.accounts.models import User
from marketplace.core.errors import ValidationFailed
from marketplace.core.money import format_cny
from marketplace.accounts.permissions import require_organisation
from marketplace.extensions import db
from marketplace.fees.models import AnnualFee, FeeState
from marketplace.legal.annual_fees import TYPE_NAMES
from marketplace.navigation import SUPPLY
from marketplace.patents.models import Patent

PERIODS = ("month", "quarter", "year")


def _cents(column: Any) -> ColumnElement:
    return cast(func.round(column * 100), BigInteger)


def _yuan(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Totals:
    fees: int = 0
    standard: Decimal = Decimal("0.00")
    amount: Decimal = Decimal("0.00")
    paid: int = 0
    unpaid_amount: Decimal = Decimal("0.00")

    @property
    def reduced_by(self) -> Decimal:
        return self.standard - self.amount


def _totals_columns() -> list[ColumnElement]:
    return [func.count(), func.sum(_cents(AnnualFee.standard)), func.sum(_cents(AnnualFee.amount)),
            func.sum(case((AnnualFee.state == FeeState.PAID, 1), else_=0)),
            func.sum(case((AnnualFee.state == FeeState.OPEN, _cents(AnnualFee.amount)), else_=0))]


def _totals(row: Any) -> Totals:
    count, standard, amount, paid, unpaid = row
    return Totals(count or 0, _yuan(standard), _yuan(amount), int(paid or 0), _yuan(unpaid))


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year of due dates."""

    kind: str
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "year":
            return _("%(year)d 年", year=self.start.year)
        if self.kind == "quarter":
            return _("%(year)d 年第 %(q)d 季度", year=self.start.year, q=(self.start.month - 1) // 3 + 1)
        return _("%(year)d 年 %(month)d 月", year=self.start.year, month=self.start.month)

    def as_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"year": self.start.year}
        if self.kind == "quarter":
            args["quarter"] = (self.start.month - 1) // 3 + 1
        elif self.kind == "month":
            args["month"] = self.start.month
        return args


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(raw: Mapping[str, Any], today: date) -> Period:
    """``year`` with ``month`` (1–12) or ``quarter`` (1–4), or the year alone; default: this quarter."""
    def number(name: str, low: int, high: int) -> int | None:
        value = raw.get(name)
        if value in (None, ""):
            return None
        try:
            parsed = int(str(value))
        except ValueError:
            raise ValidationFailed.field(name, _("应为整数")) from None
        if not low <= parsed <= high:
            raise ValidationFailed.field(name, _("应在 %(low)d–%(high)d 之间", low=low, high=high))
        return parsed

    year = number("year", 1985, 2200)
    month, quarter = number("month", 1, 12), number("quarter", 1, 4)
    if year is None and month is None and quarter is None:
        year, quarter = today.year, (today.month - 1) // 3 + 1
    year = year or today.year
    if month is not None:
        return Period("month", date(year, month, 1), _month_end(year, month))
    if quarter is not None:
        first = 3 * (quarter - 1) + 1
        return Period("quarter", date(year, first, 1), _month_end(year, first + 2))
    return Period("year", date(year, 1, 1), date(year, 12, 31))


def _owner(user: User) -> int:
    return require_organisation(user, SUPPLY).id


def months_of(user: User, year: int) -> tuple[list[tuple[date, Totals]], Totals]:
    """The owner's fees due in each month of ``year`` (all twelve, empty ones too) and the year's total."""
    owner_id = _owner(user)
    month = extract("month", AnnualFee.due_date)
    rows = db.session.execute(
        select(month, *_totals_columns())
        .where(AnnualFee.owner_id == owner_id, AnnualFee.due_date >= date(year, 1, 1),
               AnnualFee.due_date <= date(year, 12, 31)).group_by(month)).all()
    found = {int(row[0]): _totals(row[1:]) for row in rows}
    months = [(date(year, m, 1), found.get(m, Totals())) for m in range(1, 13)]
    total = Totals(sum(t.fees for _, t in months), sum((t.standard for _, t in months), Decimal("0.00")),
                   sum((t.amount for _, t in months), Decimal("0.00")), sum(t.paid for _, t in months),
                   sum((t.unpaid_amount for _, t in months), Decimal("0.00")))
    return months, total


def _period_filter(owner_id: int, period: Period) -> list[ColumnElement[bool]]:
    return [AnnualFee.owner_id == owner_id, AnnualFee.due_date >= period.start, AnnualFee.due_date <= period.end]


def period_totals(user: User, period: Period) -> Totals:
    return _totals(db.session.execute(select(*_totals_columns()).where(*_period_filter(_owner(user), period))).one())


def fees_in(user: User, period: Period, page: int = 1, per_page: int = 50) -> tuple[list[AnnualFee], Totals]:
    """A page of the owner's fees due in ``period`` (by due date), with their patents, and the period's totals."""
    owner_id = _owner(user)
    totals = period_totals(user, period)
    ids = (select(AnnualFee.id).where(*_period_filter(owner_id, period))
           .order_by(AnnualFee.due_date, AnnualFee.id).limit(per_page).offset((page - 1) * per_page))
    rows = list(db.session.scalars(select(AnnualFee).where(AnnualFee.id.in_(ids))
                                   .order_by(AnnualFee.due_date, AnnualFee.id)))
    patents = {p.id: p for p in db.session.scalars(select(Patent).where(Patent.id.in_([r.patent_id for r in rows])))}
    for row in rows:  # set_committed_value would be neater; the identity map already holds them
        row.patent = patents[row.patent_id]
    return rows, totals


def explain(line: Mapping[str, Any]) -> str:
    """One line of a fee's explanation, in the reader's language."""
    code, amount = line.get("code"), format_cny(Decimal(str(line.get("amount") or "0")))
    if code == "standard":
        kind, _sep, year = str(line.get("detail") or "").partition(":")
        return _("%(type)s第 %(year)s 年标准年费 %(amount)s", type=str(TYPE_NAMES.get(kind, kind)), year=year,
                 amount=amount)
    if code == "fee_reduction_single":
        return _("费减备案（单一请求人）：按 %(percent)s%% 缴纳 → %(amount)s", percent=line.get("percent"), amount=amount)
    if code == "fee_reduction_joint":
        return _("费减备案（多个请求人）：按 %(percent)s%% 缴纳 → %(amount)s", percent=line.get("percent"), amount=amount)
    if code == "fee_reduction_ended":
        return _("授权后 %(years)s 年的费减期已过，不再减缴", years=line.get("detail"))
    if code == "fee_reduction_co_owners":
        return _("共有人 %(names)s 未备案费减资格，不予减缴", names=line.get("detail"))
    if code == "open_license":
        return _("开放许可实施期间（许可备案号 %(number)s）再减 %(percent)s%% → %(amount)s",
                 number=line.get("detail"), percent=line.get("percent"), amount=amount)
    return f"{code} {amount}"


def explanation(row: AnnualFee) -> str:
    return str(_("；")).join(explain(line) for line in row.lines or [])


def status_text(row_state: str, due: date, grace_end: date, today: date) -> str:
    if row_state == FeeState.OPEN:
        if due >= today:
            return _("待缴")
        if today <= grace_end:
            return _("滞纳期内（至 %(date)s）", date=grace_end.isoformat())
        return _("滞纳期已过")
    return FeeState(row_state).label


EXPORT_HEADERS = (_l("申请号"), _l("专利名称"), _l("类型"), _l("分级"), _l("年度"), _l("缴费截止日"), _l("滞纳期届满"),
                  _l("标准年费（元）"), _l("减缴后应缴（元）"), _l("状态"), _l("缴费日"), _l("滞纳金（元）"), _l("实缴（元）"),
                  _l("减缴说明"))


def export_headers() -> list[str]:
    return [str(header) for header in EXPORT_HEADERS]


def export_rows(user: User, period: Period, today: date) -> Iterator[list[Any]]:
    """Every fee of the period as export rows, read as plain columns (no objects) in due-date order."""
    owner_id = _owner(user)
    # ``lines`` comes as its JSON text: the driver parses nothing, and the text is the key of its explanation
    stmt = (select(Patent.application_number, Patent.title, Patent.patent_type, Patent.grade, AnnualFee.fee_year,
                   AnnualFee.due_date, AnnualFee.grace_end, AnnualFee.standard, AnnualFee.amount, AnnualFee.state,
                   AnnualFee.paid_on, AnnualFee.surcharge, AnnualFee.paid_amount, cast(AnnualFee.lines, String))
            .join(Patent, Patent.id == AnnualFee.patent_id)
            .where(*_period_filter(owner_id, period)).order_by(AnnualFee.due_date, AnnualFee.id))
    # A month holds thousands of fees but a few dozen distinct texts, and each flask_babel.gettext call costs a
    # lookup of the request's translations: every text is translated once per export.
    kinds = {kind: str(TYPE_NAMES.get(str(kind), kind)) for kind in TYPE_NAMES}
    states: dict[tuple[Any, date, date], str] = {}
    explanations: dict[str | None, str] = {}
    for (number, title, kind, grade, year, due, grace, standard, amount, state, paid_on, surcharge, paid,
         lines) in db.session.execute(stmt):
        status = states.get((state, due, grace))
        if status is None:
            status = states[state, due, grace] = status_text(state, due, grace, today)
        explained = explanations.get(lines)
        if explained is None:
            explained = explanations[lines] = str(_("；")).join(explain(line) for line in json.loads(lines or "[]"))
        yield [number, title, kinds.get(kind, kind), grade or "", year, due, grace, standard, amount, status,
               paid_on or "", surcharge, paid, explained]
