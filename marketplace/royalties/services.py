"""Royalty reports: file one per period, compute the royalty from the declared rate, read statements.

A license obtained through an open license that pays a royalty (on net
sales or on profit, alone or after an entry fee) has one royalty
installment per period (``openlicense.licensing.build_schedule``). Once the
period has ended the licensee reports its base — net sales or profit, as the
declaration says — and the units sold; the royalty is the base times the
declared rate, to the cent (half up), and becomes the installment's amount,
due on its due date (30 days after the period). It is then paid as any
installment: the licensee reports the payment, the licensor confirms it
(``openlicense.payments``). A report is final: one per period, and nothing
is written when any input is wrong.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.locking import lock_row
from marketplace.core.money import parse_money
from marketplace.extensions import db
from marketplace.legal.term import add_months
from marketplace.openlicense.licensing import get_license
from marketplace.openlicense.models import LicenseGrant, PaymentInstallment
from marketplace.openlicense.terms import RATE_PLACES, RoyaltyBase
from marketplace.push.messages import N_, message, money
from marketplace.push.models import NotificationKind
from marketplace.push.notify import notify_organisation
from marketplace.royalties.compute import MAX_UNITS, royalty_of
from marketplace.royalties.models import RoyaltyReport

ENTITY = "royalty_report"


@dataclass(frozen=True)
class RoyaltyPeriod:
    """One royalty period of a license: its installment, its days, and its report once filed."""

    installment: PaymentInstallment
    start: date
    end: date
    report: RoyaltyReport | None

    @property
    def reported(self) -> bool:
        return self.report is not None

    def report_overdue(self, today: date) -> bool:
        return self.report is None and today > self.installment.due_date


def periods_of(grant: LicenseGrant) -> list[RoyaltyPeriod]:
    """The license's royalty periods in order: the first starts when the trial ends, each next the day after."""
    reports = {r.installment_id: r for r in db.session.scalars(
        select(RoyaltyReport).where(RoyaltyReport.license_id == grant.id))}
    start = add_months(grant.notice_date, grant.declaration.trial_months)
    found = []
    for installment in sorted((i for i in grant.installments if i.kind == "royalty"), key=lambda i: i.sequence):
        end = installment.period_end or installment.due_date
        found.append(RoyaltyPeriod(installment, start, end, reports.get(installment.id)))
        start = end + timedelta(days=1)
    return found


def _parse_rate(raw: Any) -> Decimal:
    try:
        rate = Decimal(str(raw).strip().removesuffix("%"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed.field("royalty_rate", _("不是有效的百分比")) from None
    if not rate.is_finite() or rate <= 0 or rate != rate.quantize(RATE_PLACES):
        raise ValidationFailed.field("royalty_rate", _("提成比例须大于 0，最多两位小数"))
    return rate


def _parse_units(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        units = int(str(raw).strip())
    except ValueError:
        raise ValidationFailed.field("units", _("应为整数")) from None
    if not 0 <= units <= MAX_UNITS:
        raise ValidationFailed.field("units", _("应在 %(low)d–%(high)d 之间", low=0, high=MAX_UNITS))
    return units


def file_report(user: User, license_id: int, raw: Mapping[str, Any]) -> RoyaltyReport:
    """The licensee reports one royalty period (``installment_id``, default the earliest ended period not yet
    reported): its ``base_amount`` (net sales or profit, as declared; ``base`` if given must say the same),
    ``units`` and optionally the ``royalty_rate`` it applied, which must be the declared one. Returns the
    report; the period's installment now owes the royalty.
    """
    grant = get_license(user, license_id)
    if user.organisation_id == grant.licensor_id:
        raise Conflict(_("提成报告由被许可人申报"), {"licensee": "only the licensee reports"})
    if user.organisation_id != grant.licensee_id:
        raise NotFound(_("许可不存在"))
    grant = lock_row(LicenseGrant, grant.id, _("许可不存在"))  # two reports of one period take turns
    declaration = grant.declaration
    if not declaration.payment_method.has_royalty or declaration.royalty_rate is None:
        raise Conflict(_("该许可不按提成付费，无需申报"), {"payment_method": declaration.payment_method.value})
    today = local_today()
    periods = periods_of(grant)
    wanted = raw.get("installment_id")
    if wanted not in (None, ""):
        period = next((p for p in periods if str(p.installment.id) == str(wanted)), None)
        if period is None:
            raise ValidationFailed.field("installment_id", _("不是该许可的提成期"))
    else:
        period = next((p for p in periods if not p.reported and p.end <= today), None)
        if period is None:
            raise Conflict(_("没有已结束且未申报的提成期"), {"installment_id": "nothing to report"})
    if period.reported:
        raise Conflict(_("%(start)s 至 %(end)s 的提成已于 %(date)s 申报，不能重复申报",
                         start=period.start.isoformat(), end=period.end.isoformat(),
                         date=period.report.filed_at.date().isoformat()), {"installment_id": "already reported"})
    if period.end > today:
        raise Conflict(_("该提成期至 %(date)s 才结束，结束后再申报", date=period.end.isoformat()),
                       {"installment_id": "period not ended"})
    declared_base = declaration.royalty_base or RoyaltyBase.SALES
    errors: dict[str, str] = {}
    if raw.get("base") not in (None, "") and RoyaltyBase.parse(str(raw["base"])) != declared_base:
        errors["base"] = _("声明的提成基数为%(base)s", base=declared_base.label)
    base_amount = units = None
    try:
        base_amount = parse_money(raw.get("base_amount"), "base_amount")
    except ValidationFailed as error:
        errors.update(error.fields)
    try:
        units = _parse_units(raw.get("units"))
    except ValidationFailed as error:
        errors.update(error.fields)
    if raw.get("royalty_rate") not in (None, ""):
        try:
            rate = _parse_rate(raw["royalty_rate"])
        except ValidationFailed as error:
            errors.update(error.fields)
        else:
            if rate > declaration.royalty_rate:
                errors["royalty_rate"] = _("高于声明的提成比例 %(rate)s%%", rate=declaration.royalty_rate)
            elif rate < declaration.royalty_rate:
                errors["royalty_rate"] = _("低于声明的提成比例 %(rate)s%%，开放许可按声明的比例付费",
                                           rate=declaration.royalty_rate)
    note = str(raw.get("note") or "").strip()
    if len(note) > 500:
        errors["note"] = _("最多 %(n)d 字", n=500)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    royalty = royalty_of(base_amount, declaration.royalty_rate)
    report = RoyaltyReport(license_id=grant.id, installment_id=period.installment.id, period_start=period.start,
                           period_end=period.end, base=declared_base, base_amount=base_amount, units=units,
                           rate=declaration.royalty_rate, royalty=royalty, note=note, filed_by_id=user.id)
    db.session.add(report)
    period.installment.amount = royalty
    db.session.flush()
    record_audit("royalty.reported", "license", grant.id,
                 {"report_id": report.id, "period": [period.start, period.end], "base": declared_base,
                  "base_amount": base_amount, "units": units, "rate": declaration.royalty_rate, "royalty": royalty},
                 actor=user)
    title = message(N_("提成报告：%(title)s %(start)s 至 %(end)s"), title=grant.patent.title[:60],
                    start=period.start.isoformat(), end=period.end.isoformat())
    body = message(N_("%(licensee)s 申报%(base)s %(amount)s，按 %(rate)s%% 计提成 %(royalty)s，应于 %(due)s 前支付；"
                      "付款经许可人确认后计入。"), licensee=grant.licensee.name, base=declared_base,
                   amount=money(base_amount), rate=str(declaration.royalty_rate), royalty=money(royalty),
                   due=period.installment.due_date.isoformat())
    notify_organisation(grant.licensor_id, NotificationKind.ROYALTY_REPORT_DUE, f"royalty-filed:{report.id}", title,
                        [body], data={"license_id": grant.id, "report_id": report.id})
    return report


def reports_of(user: User, license_id: int) -> list[RoyaltyReport]:
    grant = get_license(user, license_id)
    return list(db.session.scalars(select(RoyaltyReport).where(RoyaltyReport.license_id == grant.id)
                                   .order_by(RoyaltyReport.period_start)))


@dataclass(frozen=True)
class StatementLine:
    period: RoyaltyPeriod
    paid: Decimal
    outstanding: Decimal | None


@dataclass(frozen=True)
class Statement:
    """A license's royalty periods ending in ``year``: reported base, royalty, paid (as confirmed), outstanding."""

    grant: LicenseGrant
    year: int
    lines: list[StatementLine]

    @property
    def base_total(self) -> Decimal:
        return sum((l.period.report.base_amount for l in self.lines if l.period.report), Decimal("0.00"))

    @property
    def royalty_total(self) -> Decimal:
        return sum((l.period.report.royalty for l in self.lines if l.period.report), Decimal("0.00"))

    @property
    def paid_total(self) -> Decimal:
        return sum((l.paid for l in self.lines), Decimal("0.00"))

    @property
    def outstanding_total(self) -> Decimal:
        return sum((l.outstanding for l in self.lines if l.outstanding is not None), Decimal("0.00"))

    @property
    def unreported(self) -> int:
        return sum(1 for l in self.lines if not l.period.reported)


def royalty_license(user: User, license_id: int) -> LicenseGrant:
    """A license that pays a royalty, for its parties and platform admins; 404 for anyone else or any other
    license (it has no royalty statement)."""
    grant = get_license(user, license_id)
    if not grant.declaration.payment_method.has_royalty:
        raise NotFound(_("该许可不按提成付费，没有提成对账单"))
    return grant


def statement(user: User, license_id: int, year: int) -> Statement:
    """The royalty statement of one license for one year (periods ending in it), for its parties and platform
    admins."""
    grant = get_license(user, license_id)
    if not 1985 <= year <= 2200:
        raise ValidationFailed.field("year", _("应在 %(low)d–%(high)d 之间", low=1985, high=2200))
    lines = []
    for period in periods_of(grant):
        if period.end.year != year:
            continue
        installment = period.installment
        outstanding = None if installment.amount is None else installment.amount - installment.paid_amount
        lines.append(StatementLine(period, installment.paid_amount, outstanding))
    return Statement(grant, year, lines)


def statement_years(grant: LicenseGrant) -> list[int]:
    return sorted({p.end.year for p in periods_of(grant)})


def royalty_licenses(user: User) -> list[LicenseGrant]:
    """The royalty-paying licenses the user's organisation granted or holds, newest first."""
    org_id = user.organisation_id
    return list(db.session.scalars(
        select(LicenseGrant).where(or_(LicenseGrant.licensor_id == org_id, LicenseGrant.licensee_id == org_id),
                                   LicenseGrant.fee_type == "royalty")
        .options(selectinload(LicenseGrant.installments).selectinload(PaymentInstallment.payments),
                 selectinload(LicenseGrant.patent), selectinload(LicenseGrant.licensee),
                 selectinload(LicenseGrant.licensor))
        .order_by(LicenseGrant.id.desc())))


def statement_rows(found: Statement, today: date) -> tuple[list[str], list[list[Any]]]:
    """The statement as export rows, with a closing total."""
    headers = [_("期间起"), _("期间止"), _("提成基数"), _("申报金额（元）"), _("数量"), _("提成比例（百分比）"), _("应付提成（元）"),
               _("到期日"), _("已确认收款（元）"), _("未付（元）"), _("状态")]
    rows: list[list[Any]] = []
    for line in found.lines:
        report, installment = line.period.report, line.period.installment
        rows.append([line.period.start, line.period.end, report.base.label if report else "",
                     report.base_amount if report else None, report.units if report else None,
                     report.rate if report else None, report.royalty if report else None, installment.due_date,
                     line.paid, line.outstanding, period_state(line.period, today)])
    rows.append([_("合计"), "", "", found.base_total, "", "", found.royalty_total, "", found.paid_total,
                 found.outstanding_total, ""])
    return headers, rows


def period_state(period: RoyaltyPeriod, today: date) -> str:
    installment = period.installment
    if period.report is None:
        if period.end > today:
            return _("期间未结束")
        return _("逾期未申报") if period.report_overdue(today) else _("待申报")
    if installment.is_settled:
        return _("已付清")
    return _("逾期未付") if installment.is_overdue(today) else _("待付款")
