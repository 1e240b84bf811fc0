"""Periodic: tell both parties of a royalty period nobody reported and of any installment left unpaid.

Runs from the scheduler (RQ worker with Redis, the embedded scheduler in the
web process without). Every notice has a fixed key, so running the job twice
— or every six hours — tells each party once per period or installment.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.jobs import job, job_logger
from marketplace.core.scheduler import Periodic, register_periodic
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, LicensePayment, PaymentInstallment, PaymentStatus
from marketplace.openlicense.terms import RoyaltyBase
from marketplace.push.messages import N_, Message, message, money
from marketplace.push.models import NotificationKind
from marketplace.push.notify import notify_organisation

log = job_logger(__name__)
LOOK_BACK = timedelta(days=3 * 365)  # older periods were told about long ago


def _tell(org_id: int, kind: NotificationKind, key: str, title: Message, body: Message, grant: LicenseGrant) -> int:
    return int(notify_organisation(org_id, kind, key, title, [body], data={"license_id": grant.id}) is not None)


def remind_reports(day: date) -> int:
    """Ended royalty periods without a report: the licensee is asked; once overdue, both parties are told."""
    sent = 0
    rows = db.session.execute(
        select(PaymentInstallment, LicenseGrant).join(LicenseGrant, LicenseGrant.id == PaymentInstallment.license_id)
        .where(PaymentInstallment.kind == "royalty", PaymentInstallment.amount.is_(None),
               func.coalesce(PaymentInstallment.period_end, PaymentInstallment.due_date) < day,
               PaymentInstallment.due_date >= day - LOOK_BACK)).all()
    for installment, grant in rows:
        end = (installment.period_end or installment.due_date).isoformat()
        if day <= installment.due_date:
            title = message(N_("请申报提成：%(title)s（截至 %(end)s 的期间）"), title=grant.patent.title[:60], end=end)
            body = message(N_("请于 %(due)s 前申报该期%(base)s并支付提成。"), due=installment.due_date.isoformat(),
                           base=grant.declaration.royalty_base or RoyaltyBase.SALES)
            sent += _tell(grant.licensee_id, NotificationKind.ROYALTY_REPORT_DUE,
                          f"royalty-due:{installment.id}", title, body, grant)
            continue
        title = message(N_("提成逾期未申报：%(title)s（截至 %(end)s 的期间）"), title=grant.patent.title[:60], end=end)
        body = message(N_("%(licensee)s 应于 %(due)s 前申报并支付的提成尚未申报。"), licensee=grant.licensee.name,
                       due=installment.due_date.isoformat())
        for org_id in (grant.licensee_id, grant.licensor_id):
            sent += _tell(org_id, NotificationKind.ROYALTY_REPORT_DUE, f"royalty-missing:{installment.id}:{org_id}",
                          title, body, grant)
    return sent


def remind_overdue(day: date) -> int:
    """Installments with an amount, past due, not paid in full as the payee confirmed: both parties are told."""
    confirmed = (select(LicensePayment.installment_id, func.sum(LicensePayment.amount).label("paid"))
                 .where(LicensePayment.status == PaymentStatus.CONFIRMED)
                 .group_by(LicensePayment.installment_id).subquery())
    rows = db.session.execute(
        select(PaymentInstallment, LicenseGrant, func.coalesce(confirmed.c.paid, 0))
        .join(LicenseGrant, LicenseGrant.id == PaymentInstallment.license_id)
        .outerjoin(confirmed, confirmed.c.installment_id == PaymentInstallment.id)
        .where(PaymentInstallment.amount.is_not(None), PaymentInstallment.due_date < day,
               PaymentInstallment.due_date >= day - LOOK_BACK,
               func.coalesce(confirmed.c.paid, 0) < PaymentInstallment.amount)).all()
    sent = 0
    for installment, grant, _paid in rows:
        title = message(N_("许可费逾期未付：%(title)s 第 %(n)d 期"), title=grant.patent.title[:60], n=installment.sequence)
        body = message(N_("应于 %(due)s 支付的 %(amount)s 尚未付清（以许可人确认收款为准）。"),
                       due=installment.due_date.isoformat(), amount=money(installment.amount))
        for org_id in (grant.licensee_id, grant.licensor_id):
            sent += _tell(org_id, NotificationKind.PAYMENT_OVERDUE, f"overdue:{installment.id}:{org_id}", title, body,
                          grant)
    return sent


@job(queue="digest", timeout=900)
def remind_royalties(today: date | None = None) -> dict[str, int]:
    """Periodic: missing royalty reports and overdue installments, told to both parties (inbox and mail)."""
    day = today or local_today()
    result = {"reports": remind_reports(day), "overdue": remind_overdue(day)}
    transaction.commit()
    log.info("royalty reminders: %s", result)
    return result


def register() -> None:
    register_periodic(Periodic("royalty-reminders", timedelta(hours=6), remind_royalties))
