"""What the figures do not count yet, listed apart: deals that do not bind, open licenses not (fully) paid.

The console's totals count only deals that bind and the confirmed fixed fees
of open licenses that took effect (``ledger``). Everything else in scope is
listed here with why it is not counted and what is outstanding, and never
added to a total:

- a deal the agency brokered that is in negotiation or awaits a party's
  consent (any status short of signed, except cancelled), or binds but has no
  contract date yet;
- an open license not yet effective (notice given, fee due not paid), or
  effective with part of its fixed fee unpaid, a payment recorded but not
  confirmed, or an installment overdue.

Dated like the figures (contract date, or the day the deal was entered when
it has none; a license's effective date, or its notice date before it takes
effect) and scoped like them: an agency sees its brokered deals, and the
licenses whose licensor or licensee had granted it ``open_licenses`` on that
day.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.console.ledger import COUNTED_DEALS, Filters, Scope, cents, fee_paid, open_licenses_visible
from marketplace.console.statistics import MODE_LABELS, to_amount
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.deals.models import Deal, DealStatus
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, PaymentInstallment

SHOWN = 200  # rows listed on the page; the count and the amounts cover them all
REASONS = {
    "no_contract_date": _l("已签约但未填合同签订日"),
    "not_effective": _l("尚未生效（应付费用未付清）"),
    "fee_outstanding": _l("固定费用尚未付清"),
    "unconfirmed": _l("付款待许可方确认"),
    "overdue": _l("有逾期未付的款项"),
}
ZERO = Decimal("0.00")


@dataclass
class PendingItem:
    source: str
    id: int
    mode: str
    day: date
    title: str
    holder: str
    acquirer: str
    amount: Decimal  # the contract amount, or the license's declared fixed fee
    counted: Decimal  # the part the figures already count (a license's confirmed fixed-fee payments)
    reasons: list[str] = field(default_factory=list)  # codes of REASONS, or a deal's status label

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.counted

    @property
    def mode_label(self) -> str:
        return str(MODE_LABELS[self.mode])

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[r]) if r in REASONS else r for r in self.reasons]

    def as_dict(self) -> dict[str, object]:
        return {"source": self.source, "id": self.id, "mode": self.mode, "day": self.day, "title": self.title,
                "holder": self.holder, "acquirer": self.acquirer, "amount": self.amount, "counted": self.counted,
                "outstanding": self.outstanding, "reasons": self.reason_labels}


@dataclass
class Pending:
    items: list[PendingItem]  # the first ``SHOWN``, newest first
    total: int
    outstanding: Decimal

    def as_dict(self) -> dict[str, object]:
        return {"total": self.total, "outstanding": self.outstanding, "items": [i.as_dict() for i in self.items]}


def _in_period(day, filters: Filters):
    conditions = []
    if filters.start is not None:
        conditions.append(day >= filters.start)
    if filters.end is not None:
        conditions.append(day <= filters.end)
    return conditions


def _pending_deals(scope: Scope, filters: Filters) -> list[PendingItem]:
    entered = Deal.created_at
    dated = and_(Deal.contract_date.is_not(None), *_in_period(Deal.contract_date, filters))
    undated = and_(Deal.contract_date.is_(None),
                   *([entered >= datetime.combine(filters.start, time.min)] if filters.start else []),
                   *([entered < datetime.combine(filters.end + timedelta(days=1), time.min)] if filters.end else []))
    stmt = (select(Deal).options(selectinload(Deal.seller), selectinload(Deal.buyer))
            .where(Deal.status != DealStatus.CANCELLED,
                   or_(~Deal.status.in_(COUNTED_DEALS), Deal.contract_date.is_(None)), or_(dated, undated)))
    if scope.agency_id is not None:
        stmt = stmt.where(Deal.agency_id == scope.agency_id)
    found = []
    for deal in db.session.scalars(stmt):
        reason = "no_contract_date" if deal.status in COUNTED_DEALS else deal.status.label
        found.append(PendingItem("deal", deal.id, deal.mode.value, deal.contract_date or deal.created_at.date(),
                                 deal.title, deal.seller.name, deal.buyer.name, deal.amount, ZERO, [reason]))
    return found


def _pending_licenses(scope: Scope, filters: Filters, today: date) -> list[PendingItem]:
    day = func.coalesce(LicenseGrant.effective_on, LicenseGrant.notice_date)
    paid = fee_paid(LicenseGrant.id)
    due_unsettled = exists(select(PaymentInstallment.id).where(PaymentInstallment.license_id == LicenseGrant.id,
                                                               PaymentInstallment.due_date < today))
    stmt = (select(LicenseGrant, cents(paid))
            .options(selectinload(LicenseGrant.installments).selectinload(PaymentInstallment.payments),
                     selectinload(LicenseGrant.payments), selectinload(LicenseGrant.patent),
                     selectinload(LicenseGrant.licensor), selectinload(LicenseGrant.licensee))
            .where(or_(LicenseGrant.effective_on.is_(None), LicenseGrant.fixed_fee > paid, due_unsettled),
                   *_in_period(day, filters)))
    if scope.agency_id is not None:
        stmt = stmt.where(open_licenses_visible(scope.agency_id, day))
    found = []
    for grant, paid_cents in db.session.execute(stmt):
        counted = to_amount(int(paid_cents or 0))
        recorded = sum((p.amount for i in grant.installments if i.kind == "fee" for p in i.payments), ZERO)
        reasons = []
        if grant.effective_on is None:
            reasons.append("not_effective")
        elif counted < grant.fixed_fee:
            reasons.append("fee_outstanding")
        if recorded > counted:
            reasons.append("unconfirmed")
        if grant.overdue_installments(today):
            reasons.append("overdue")
        if reasons:
            found.append(PendingItem("open_license", grant.id, "open_license", grant.effective_on or grant.notice_date,
                                     grant.patent.title, grant.licensor.name, grant.licensee.name, grant.fixed_fee,
                                     counted, reasons))
    return found


def pending_items(scope: Scope, filters: Filters, today: date) -> Pending:
    """Everything in scope and period that the figures do not count (yet), newest first."""
    found = _pending_deals(scope, filters) + _pending_licenses(scope, filters, today)
    found.sort(key=lambda item: (item.day, item.source, item.id), reverse=True)
    return Pending(found[:SHOWN], len(found), sum((item.outstanding for item in found), ZERO))


def sheet(pending: Pending) -> tuple[list[str], list[list[object]]]:
    """The pending list as worksheet headers and rows (every row listed on the page), with the total."""
    headers = [_("日期"), _("方式"), _("编号"), _("名称"), _("转让方/许可方"), _("受让方/被许可方"), _("合同金额（元）"),
               _("已计入（元）"), _("未计入（元）"), _("原因")]
    rows: list[list[object]] = [[i.day.isoformat(), i.mode_label, i.id, i.title, i.holder, i.acquirer, i.amount,
                                 i.counted, i.outstanding, "；".join(i.reason_labels)] for i in pending.items]
    rows.append([_("合计"), pending.total, "", "", "", "", "", "", pending.outstanding, ""])
    return headers, rows
