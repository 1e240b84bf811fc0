"""Payments of a binding transfer or license, confirmed by the payee: what the seller actually received.

Either party reports a payment (amount, date, reference); it counts — towards
the deal's received total and the inventors' rewards of a university or
institute (``rewards.services``: rewards are due on income received, in the year
it was received) — only once the seller, the payee, confirms it through its own
account (the ``deal_payment`` consent). A payment the seller records itself is
its own confirmation. What is reported and not rejected never exceeds the
deal's amount. An equity deal is paid in shares when it binds: it takes no
payments here.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.consents import services as consents
from marketplace.consents.models import ConsentAct, ConsentRole, Proposal
from marketplace.consents.services import ActRules, Party
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today
from marketplace.accounts.permissions import get_visible
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.locking import lock_row
from marketplace.core.models import utcnow
from marketplace.core.money import format_cny, parse_money
from marketplace.core.text import require_plain
from marketplace.deals.models import Deal, DealMode, DealPayment
from marketplace.deals.services import get_deal
from marketplace.extensions import db
from marketplace.openlicense.licensing import past_date
from marketplace.openlicense.models import PaymentStatus

SUBJECT = "deal_payment"
PAGE = ("deals.payment", "payment_id")


def payments_of(deal_id: int) -> list[DealPayment]:
    return list(db.session.scalars(select(DealPayment).where(DealPayment.deal_id == deal_id)
                                   .order_by(DealPayment.paid_on, DealPayment.id)))


def received(deal_id: int) -> Decimal:
    """What the seller confirmed it received."""
    return sum((p.amount for p in payments_of(deal_id) if p.is_confirmed), Decimal("0.00"))


def record_payment(user: User, deal_id: int, raw: Mapping[str, Any]) -> DealPayment:
    """Report (buyer) or record (seller) a payment of a binding transfer (auctions included) or license; the seller's
    confirmation makes it count. Refused beyond the amount still unclaimed, for an equity deal or an entrustment and
    before the deal binds."""
    deal = lock_row(Deal, get_deal(user, deal_id).id, _("交易不存在"))
    if user.organisation_id not in (deal.seller_id, deal.buyer_id):
        raise Forbidden(_("只有交易双方可以登记付款"))
    if deal.mode == DealMode.EQUITY:
        raise Conflict(_("作价入股以股权出资，不登记价款"), {"deal": "equity"})
    if deal.mode == DealMode.ENTRUSTED:  # its fee flows from the owner to the operator: not the seller's income
        raise Conflict(_("委托运营的服务费不作为转让、许可收款登记"), {"deal": "entrusted"})
    if not deal.status.binding:
        raise Conflict(_("交易签约后才能登记付款"), {"status": deal.status.value})
    amount = parse_money(raw.get("amount"), "amount", allow_zero=False)
    paid_on = past_date(raw.get("paid_on"), "paid_on", local_today())
    if deal.contract_date is not None and paid_on < deal.contract_date:
        raise ValidationFailed.field("paid_on", _("不能早于合同日期 %(date)s", date=deal.contract_date.isoformat()))
    reference = str(raw.get("reference") or "").strip()
    if len(reference) > 100:
        raise ValidationFailed.field("reference", _("最多 %(n)d 字", n=100))
    claimed = sum((p.amount for p in payments_of(deal.id) if p.status != PaymentStatus.REJECTED), Decimal("0.00"))
    if amount > deal.amount - claimed:
        raise ValidationFailed.field("amount", _("超过合同金额中尚未付清或待确认的余额 %(amount)s",
                                                 amount=format_cny(deal.amount - claimed)))
    payment = DealPayment(deal_id=deal.id, amount=amount, paid_on=paid_on,
                          reference=require_plain(reference, "reference") or None, recorded_by_id=user.id)
    db.session.add(payment)
    db.session.flush()
    record_audit("deal.payment_reported", "deal", deal.id,
                 {"payment_id": payment.id, "amount": amount, "paid_on": paid_on}, actor=user)
    consents.propose(user, ConsentAct.DEAL_PAYMENT, payment,
                     summary=f"{(deal.title or _('交易 #%(id)s', id=deal.id))[:80]} {format_cny(amount)} "
                             f"{reference}".strip())
    return payment


def get_payment(user: User, payment_id: int) -> DealPayment:
    """A payment, seen by the deal's parties, its agency and platform admins."""
    return get_visible(user, DealPayment, payment_id, lambda payment: payment.deal.party_ids(), _("付款记录不存在"))


def payee_parties(proposal: Proposal | None, payment: DealPayment) -> list[Party]:
    return [Party(payment.deal.seller_id, ConsentRole.PAYEE)]


def _lock(payment_id: int) -> DealPayment:
    return lock_row(DealPayment, payment_id, _("付款记录不存在"))


def _confirm(proposal: Proposal, payment: DealPayment, user: User) -> None:
    payment.status = PaymentStatus.CONFIRMED
    payment.confirmed_at = utcnow()
    db.session.flush()
    record_audit("deal.payment_confirmed", "deal", payment.deal_id,
                 {"payment_id": payment.id, "amount": payment.amount}, actor=user)


def _reject(proposal: Proposal, payment: DealPayment, user: User) -> None:
    payment.status = PaymentStatus.REJECTED
    record_audit("deal.payment_rejected", "deal", payment.deal_id, {"payment_id": payment.id}, actor=user)


def register() -> None:
    """Declare the payment confirmation's rules to the consents service (called from ``create_app``)."""
    consents.register(ConsentAct.DEAL_PAYMENT, ActRules(SUBJECT, _lock, payee_parties, _confirm, PAGE,
                                                        on_rejected=_reject))
