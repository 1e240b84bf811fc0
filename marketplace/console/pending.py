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
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from marketplace.accounts.models import Organisation
from marketplace.console.ledger import (
    COUNTED_DEALS, DEAL_MODES, Filters, Scope, cents, fee_paid, id_in, open_licenses_visible,
)
from marketplace.console.statistics import MODE_LABELS, to_amount
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.deals.models import Deal, DealMode, DealStatus
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, LicensePayment, PaymentInstallment
from marketplace.patents.models import Patent

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
    refs: tuple[int, int, int | None] = (0, 0, None)  # holder, acquirer, patent: named only for the rows shown

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


def _names(model, column, ids: set[int]) -> dict[int, str]:
    """Names (or titles) by id, one query, for the rows shown only: the pending queries select ids, so the planner
    never joins organisations in before it has filtered (those filters cannot use an index)."""
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, column).where(id_in(model.id, ids))).all())


@dataclass
class _Found:
    """One table's pending rows: how many and what is outstanding over all of them, the newest ``SHOWN`` listed."""

    total: int
    outstanding: Decimal
    items: list[PendingItem] = field(default_factory=list)


def _newest(stmt, day, item_id, outstanding_cents) -> tuple[list[Any], int, int]:
    """The newest ``SHOWN`` rows of ``stmt`` plus the count and outstanding cents of all its rows, in one query.

    The window aggregates run over every row before the LIMIT, so only the
    rows shown travel to Python (a platform-wide year holds tens of
    thousands of pending items).
    """
    stmt = stmt.add_columns(func.count().over().label("pending_total"),
                            func.sum(outstanding_cents).over().label("pending_cents"))
    rows = list(db.session.execute(stmt.order_by(day.desc(), item_id.desc()).limit(SHOWN)))
    if not rows:
        return [], 0, 0
    return rows, int(rows[0].pending_total), int(rows[0].pending_cents or 0)


def _pending_deals(scope: Scope, filters: Filters) -> _Found:
    entered = Deal.created_at
    dated = and_(Deal.contract_date.is_not(None), *_in_period(Deal.contract_date, filters))
    undated = and_(Deal.contract_date.is_(None),
                   *([entered >= datetime.combine(filters.start, time.min)] if filters.start else []),
                   *([entered < datetime.combine(filters.end + timedelta(days=1), time.min)] if filters.end else []))
    stmt = (select(Deal.id, Deal.status, Deal.mode, Deal.contract_date, entered, Deal.title, Deal.seller_id,
                   Deal.buyer_id, Deal.amount)
            .where(Deal.status != DealStatus.CANCELLED, Deal.mode.in_([DealMode(mode) for mode in DEAL_MODES]),
                   or_(~Deal.status.in_(COUNTED_DEALS), Deal.contract_date.is_(None)), or_(dated, undated)))
    if scope.agency_id is not None:
        stmt = stmt.where(Deal.agency_id == scope.agency_id)
    rows, total, outstanding = _newest(stmt, func.coalesce(Deal.contract_date, func.date(entered)), Deal.id,
                                       cents(Deal.amount))
    return _Found(total, to_amount(outstanding), [
        PendingItem("deal", deal_id, mode.value, contract_date or created_at.date(), title, "", "", amount, ZERO,
                    ["no_contract_date" if status in COUNTED_DEALS else status.label], (seller, buyer, None))
        for deal_id, status, mode, contract_date, created_at, title, seller, buyer, amount, _n, _c in rows])


def _overdue(today: date) -> ColumnElement[bool]:
    """The license (the query's ``LicenseGrant`` row) has an installment due before today and not settled (a
    royalty period with nothing reported). Correlated, so only the licenses in scope and period are looked at."""
    payments = select(LicensePayment.id).where(LicensePayment.installment_id == PaymentInstallment.id)
    settled = (select(func.coalesce(func.sum(LicensePayment.amount), 0))
               .where(LicensePayment.installment_id == PaymentInstallment.id).scalar_subquery())
    return exists(select(PaymentInstallment.id).where(
        PaymentInstallment.license_id == LicenseGrant.id, PaymentInstallment.due_date < today,
        or_(and_(PaymentInstallment.amount.is_(None), ~exists(payments)), PaymentInstallment.amount > settled)))


def _pending_licenses(scope: Scope, filters: Filters, today: date) -> _Found:
    day = func.coalesce(LicenseGrant.effective_on, LicenseGrant.notice_date)
    # The payments and the overdue check are correlated to each license: PostgreSQL first narrows the licenses by
    # date (the period split on effective_on so its index serves) and scope, then looks up a few payments each,
    # instead of aggregating every payment of the platform (1 s for the largest agency at a million deals).
    paid, recorded, late = fee_paid(LicenseGrant.id), fee_paid(LicenseGrant.id, confirmed=False), _overdue(today)
    in_period = or_(and_(LicenseGrant.effective_on.is_not(None), *_in_period(LicenseGrant.effective_on, filters)),
                    and_(LicenseGrant.effective_on.is_(None), *_in_period(LicenseGrant.notice_date, filters)))
    stmt = (select(LicenseGrant.id, LicenseGrant.effective_on, LicenseGrant.notice_date, LicenseGrant.patent_id,
                   LicenseGrant.licensor_id, LicenseGrant.licensee_id, LicenseGrant.fixed_fee, cents(paid),
                   cents(recorded), late)
            .where(in_period, or_(LicenseGrant.effective_on.is_(None), LicenseGrant.fixed_fee > paid, recorded > paid,
                                  late)))
    if scope.agency_id is not None:
        stmt = stmt.where(open_licenses_visible(scope.agency_id, day))
    rows, total, outstanding = _newest(stmt, day, LicenseGrant.id, cents(LicenseGrant.fixed_fee) - cents(paid))
    result = _Found(total, to_amount(outstanding))
    for grant_id, effective_on, notice_date, patent_id, licensor_id, licensee_id, fixed_fee, paid_cents, \
            recorded_cents, is_late, _n, _c in rows:
        counted, recorded_amount = to_amount(int(paid_cents or 0)), to_amount(int(recorded_cents or 0))
        reasons = ["not_effective"] if effective_on is None else (["fee_outstanding"] if counted < fixed_fee else [])
        reasons += ["unconfirmed"] * (recorded_amount > counted) + ["overdue"] * bool(is_late)
        result.items.append(PendingItem("open_license", grant_id, "open_license", effective_on or notice_date, "", "",
                                        "", fixed_fee, counted, reasons, (licensor_id, licensee_id, patent_id)))
    return result


def pending_items(scope: Scope, filters: Filters, today: date) -> Pending:
    """Everything in scope and period that the figures do not count (yet), newest first: the first ``SHOWN``
    listed, the count and the outstanding amount over all of them."""
    deals, licenses = _pending_deals(scope, filters), _pending_licenses(scope, filters, today)
    shown = sorted(deals.items + licenses.items, key=lambda item: (item.day, item.source, item.id),
                   reverse=True)[:SHOWN]
    names = _names(Organisation, Organisation.name, {i.refs[0] for i in shown} | {i.refs[1] for i in shown})
    titles = _names(Patent, Patent.title, {i.refs[2] for i in shown if i.refs[2] is not None})
    for item in shown:
        item.holder, item.acquirer = names[item.refs[0]], names[item.refs[1]]
        item.title = item.title or titles.get(item.refs[2], "")
    return Pending(shown, deals.total + licenses.total, deals.outstanding + licenses.outstanding)


def sheet(pending: Pending) -> tuple[list[str], list[list[object]]]:
    """The pending list as worksheet headers and rows (every row listed on the page), with the total."""
    headers = [_("日期"), _("方式"), _("编号"), _("名称"), _("转让方/许可方"), _("受让方/被许可方"), _("合同金额（元）"),
               _("已计入（元）"), _("未计入（元）"), _("原因")]
    rows: list[list[object]] = [[i.day.isoformat(), i.mode_label, i.id, i.title, i.holder, i.acquirer, i.amount,
                                 i.counted, i.outstanding, str(_("；")).join(i.reason_labels)] for i in pending.items]
    rows.append([_("合计"), pending.total, "", "", "", "", "", "", pending.outstanding, ""])
    return headers, rows
