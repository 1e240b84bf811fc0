"""Annual fees (年费): which fee year falls due when, what it costs, the late-payment surcharge, when the right lapses.

DOMAIN.md §8 and Patent Law art. 43 / Implementing Rules arts. 98–99. Fee year
*n* of a patent starts on the *n*-th anniversary of filing minus one (year 1
starts on the filing date). The fee of the year in which the patent is granted
is paid with the grant registration; every later year's fee falls due on the
anniversary of filing that starts it. A fee may be paid late within six months:
no surcharge in the first month, then a percentage of the fee for each further
month begun (5 % … 25 %); unpaid after that, the right terminates. Reductions:
an owner holding a fee-reduction status pays 15 % (one requester) or 30 %
(several) of the fees of the first ten years after grant; during the
implementation of an open license whose license is recorded the fee is reduced
by a further 15 %. The amounts and percentages are data (``FeeSchedule``), read
from ``marketplace/data/annual_fees.json``; the arithmetic here is pure.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import Conflict
from marketplace.legal.term import TERM_YEARS, add_months

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
SINGLE, JOINT = "single", "joint"  # the fee-reduction pay rate: one requester, or several
TYPE_NAMES = {"invention": _l("发明"), "utility_model": _l("实用新型"), "design": _l("外观设计")}


def cents(amount: Decimal) -> Decimal:
    """CNY to the cent, half up (the way fee notices round)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class FeeScheduleGap(Conflict):
    """The fee schedule has no amount for a patent type and year (or none in force on the due date): 409,
    naming what is missing, and nothing is written."""

    code = "fee_schedule_gap"

    def __init__(self, patent_type: str, year: int, due: date | None = None) -> None:
        self.patent_type, self.year, self.due = str(patent_type), year, due
        message = _("年费标准缺少%(type)s第 %(year)d 年的费额（%(day)s 起适用的标准），请补充收费标准后再试",
                    type=str(TYPE_NAMES.get(self.patent_type, self.patent_type)), year=year, day=due.isoformat() if due else "—")
        super().__init__(message, {"fee_schedule": f"{self.patent_type}:{year}"})


@dataclass(frozen=True)
class Surcharge:
    free_months: int
    percent_per_month: Decimal
    grace_months: int
    base: str  # "standard": a percentage of the full fee; "due": of the fee after reductions


@dataclass(frozen=True)
class Reductions:
    reduced_years_after_grant: int
    pay_percent_single: Decimal
    pay_percent_joint: Decimal
    open_license_percent: Decimal

    def pay_percent(self, kind: str) -> Decimal:
        return self.pay_percent_single if kind == SINGLE else self.pay_percent_joint


@dataclass(frozen=True)
class Schedule:
    """One fee notice: the fee of every patent year by type, in force from ``effective_from``."""

    effective_from: date
    source: str
    fees: Mapping[str, tuple[tuple[int, int, Decimal], ...]]
    surcharge: Surcharge
    reductions: Reductions

    def standard(self, patent_type: str, year: int) -> Decimal | None:
        for first, last, amount in self.fees.get(str(patent_type), ()):
            if first <= year <= last:
                return amount
        return None

    def gaps(self) -> list[tuple[str, int]]:
        """Every (type, year) within the term of protection that has no fee."""
        return [(kind, year) for kind, years in TERM_YEARS.items() for year in range(1, years + 1)
                if self.standard(kind, year) is None]


def _decimal(raw: Any, where: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{where}: not a number: {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{where}: must be a non-negative number")
    return value


@dataclass(frozen=True)
class FeeSchedule:
    """The fee notices in force over time, oldest first."""

    schedules: tuple[Schedule, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FeeSchedule":
        """Read the JSON form (see ``marketplace/data/annual_fees.json``); a malformed entry raises ValueError.

        Missing years are allowed here (a notice may leave a year out) and are
        reported by ``gaps`` and, when a fee of that year is asked for, by
        ``FeeScheduleGap``.
        """
        schedules = []
        for index, raw in enumerate(data.get("schedules") or []):
            where = f"schedules[{index}]"
            fees: dict[str, tuple[tuple[int, int, Decimal], ...]] = {}
            for kind, bands in (raw.get("fees") or {}).items():
                if kind not in TERM_YEARS:
                    raise ValueError(f"{where}: unknown patent type {kind!r}")
                parsed = []
                for first, last, amount in bands:
                    if not (1 <= int(first) <= int(last) <= TERM_YEARS[kind]):
                        raise ValueError(f"{where}.{kind}: years {first}–{last} outside 1–{TERM_YEARS[kind]}")
                    parsed.append((int(first), int(last), _decimal(amount, f"{where}.{kind}")))
                parsed.sort()
                if any(a[1] >= b[0] for a, b in zip(parsed, parsed[1:])):
                    raise ValueError(f"{where}.{kind}: overlapping years")
                fees[kind] = tuple(parsed)
            surcharge, reductions = raw.get("surcharge") or {}, raw.get("reductions") or {}
            schedules.append(Schedule(
                effective_from=date.fromisoformat(raw["effective_from"]), source=str(raw.get("source") or ""),
                fees=fees,
                surcharge=Surcharge(int(surcharge.get("free_months", 1)),
                                    _decimal(surcharge.get("percent_per_month", "5"), where),
                                    int(surcharge.get("grace_months", 6)), str(surcharge.get("base", "standard"))),
                reductions=Reductions(int(reductions.get("reduced_years_after_grant", 10)),
                                      _decimal(reductions.get("pay_percent_single", "15"), where),
                                      _decimal(reductions.get("pay_percent_joint", "30"), where),
                                      _decimal(reductions.get("open_license_percent", "15"), where))))
        if not schedules:
            raise ValueError("no fee schedule")
        return cls(tuple(sorted(schedules, key=lambda s: s.effective_from)))

    def in_force(self, day: date) -> Schedule | None:
        found = None
        for schedule in self.schedules:
            if schedule.effective_from <= day:
                found = schedule
        return found

    def standard_fee(self, patent_type: str, year: int, due: date) -> tuple[Schedule, Decimal]:
        schedule = self.in_force(due)
        amount = schedule.standard(patent_type, year) if schedule else None
        if schedule is None or amount is None:
            raise FeeScheduleGap(patent_type, year, due)
        return schedule, amount

    def gaps(self) -> list[tuple[date, str, int]]:
        return [(s.effective_from, kind, year) for s in self.schedules for kind, year in s.gaps()]


def fee_year_start(filing: date, year: int) -> date:
    """The first day of patent year ``year`` (year 1 starts on the filing date)."""
    return add_months(filing, 12 * (year - 1))


def fee_year_of(filing: date, day: date) -> int:
    """The patent year ``day`` falls in (1 for any day before the first anniversary)."""
    year = max(1, day.year - filing.year + 1)
    while year > 1 and fee_year_start(filing, year) > day:
        year -= 1
    while fee_year_start(filing, year + 1) <= day:
        year += 1
    return year


def due_date(filing: date, grant: date, year: int) -> date:
    """When the fee of ``year`` falls due: with the grant for the year of grant, else on the anniversary."""
    return grant if year == fee_year_of(filing, grant) else fee_year_start(filing, year)


def last_year(patent_type: str) -> int:
    return TERM_YEARS[str(patent_type)]


def grace_end(due: date, surcharge: Surcharge) -> date:
    """The last day the fee may still be paid (with the surcharge); unpaid, the right terminates."""
    return add_months(due, surcharge.grace_months)


def months_begun(due: date, day: date) -> int:
    """How many months of delay have begun on ``day`` (0 when paid on or before the due date)."""
    months = 0
    while day > add_months(due, months):
        months += 1
    return months


def surcharge_percent(due: date, day: date, surcharge: Surcharge) -> Decimal | None:
    """The surcharge, in percent of its base, for paying on ``day``; None once the grace period has ended."""
    late = months_begun(due, day)
    if late > surcharge.grace_months:
        return None
    return surcharge.percent_per_month * max(0, late - surcharge.free_months)


@dataclass(frozen=True)
class FeeLine:
    """One line of a fee's explanation: ``code`` names the rule, ``amount`` is the fee after it."""

    code: str
    amount: Decimal
    percent: Decimal | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "amount": str(self.amount),
                "percent": None if self.percent is None else str(self.percent), "detail": self.detail}


@dataclass(frozen=True)
class FeeQuote:
    """A fee year's due date and amount, with each rule that made it, line by line."""

    year: int
    due: date
    standard: Decimal
    amount: Decimal
    lines: tuple[FeeLine, ...]
    grace_end: date
    surcharge: Surcharge

    def payable_on(self, day: date) -> tuple[Decimal, Decimal] | None:
        return payable(self.standard, self.amount, self.due, day, self.surcharge)


def payable(standard: Decimal, amount: Decimal, due: date, day: date,
            surcharge: Surcharge) -> tuple[Decimal, Decimal] | None:
    """(surcharge, total) for paying a fee of ``amount`` (``standard`` before reductions) on ``day``; None after
    the grace period, when the right has lapsed."""
    percent = surcharge_percent(due, day, surcharge)
    if percent is None:
        return None
    base = standard if surcharge.base == "standard" else amount
    extra = cents(base * percent / HUNDRED)
    return extra, amount + extra


def quote(schedule: FeeSchedule, patent_type: str, filing: date, grant: date, year: int, *,
          reduction: str | None = None, reduction_refused: str = "", open_license: str | None = None) -> FeeQuote:
    """The fee of patent year ``year``: the standard fee, then the owner's fee reduction (``SINGLE`` or
    ``JOINT``, within the first years after grant; ``reduction_refused`` names the co-owners without the status
    that deny it), then the open-license reduction (``open_license`` names the recorded license that earns it).
    Raises ``FeeScheduleGap`` when the schedule lacks the year."""
    if not 1 <= year <= last_year(patent_type):
        raise FeeScheduleGap(patent_type, year)
    due = due_date(filing, grant, year)
    notice, standard = schedule.standard_fee(patent_type, year, due)
    rules = notice.reductions
    lines = [FeeLine("standard", standard, detail=f"{patent_type}:{year}")]
    amount = standard
    if reduction in (SINGLE, JOINT):
        years_after_grant = year - fee_year_of(filing, grant)
        if years_after_grant < rules.reduced_years_after_grant:
            percent = rules.pay_percent(reduction)
            amount = cents(amount * percent / HUNDRED)
            lines.append(FeeLine(f"fee_reduction_{reduction}", amount, percent))
        else:
            lines.append(FeeLine("fee_reduction_ended", amount, detail=str(rules.reduced_years_after_grant)))
    elif reduction_refused:
        lines.append(FeeLine("fee_reduction_co_owners", amount, detail=reduction_refused))
    if open_license:
        amount = cents(amount * (HUNDRED - rules.open_license_percent) / HUNDRED)
        lines.append(FeeLine("open_license", amount, rules.open_license_percent, open_license))
    return FeeQuote(year, due, standard, amount, tuple(lines), grace_end(due, notice.surcharge), notice.surcharge)
