"""Periodic: keep the annual-fee ledger current, let legal statuses follow it, remind owners of fees due.

``annual-fees`` runs every six hours from the scheduler (on the RQ worker
with Redis, in the web process without): it writes the fee years coming due,
recomputes open fees (a reduction may have begun), moves patents to
``fee_overdue`` and ``terminated`` as the ledger says (which suspends or ends
their open licenses), and sends each owner one weekly notice of the fees due
within 30 days and those in their grace period. Idempotent.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.jobs import job, job_logger
from marketplace.core.scheduler import Periodic, register_periodic
from marketplace.extensions import db
from marketplace.fees.ledger import apply_fee_status, sync_patents
from marketplace.fees.models import AnnualFee, FeeState
from marketplace.push.messages import N_, message, money
from marketplace.push.models import NotificationKind
from marketplace.push.notify import notify_organisation

log = job_logger(__name__)
SOON = timedelta(days=30)


def remind_owners(day: date) -> int:
    """One notice per owner and week: fees due within 30 days, and fees in their grace period."""
    week = day.isocalendar()
    late = (AnnualFee.due_date < day).label("late")  # grouped by its name: PostgreSQL sees one expression
    rows = db.session.execute(
        select(AnnualFee.owner_id, late, func.count(), func.sum(AnnualFee.amount), func.min(AnnualFee.grace_end))
        .where(AnnualFee.state == FeeState.OPEN, AnnualFee.due_date <= day + SOON)
        .group_by(AnnualFee.owner_id, late)).all()
    summary: dict[int, dict[bool, tuple[int, Any, date]]] = {}
    for owner_id, overdue, count, amount, grace in rows:
        summary.setdefault(owner_id, {})[bool(overdue)] = (count, amount, grace)
    sent = 0
    for owner_id, parts in summary.items():
        lines = []
        if True in parts:
            count, amount, grace = parts[True]
            lines.append(message(N_("%(n)d 件专利的年费已过缴费日，处于滞纳期（最早于 %(date)s 届满，届时未缴专利权终止），合计 %(amount)s 另加滞纳金"),
                                 n=count, date=grace.isoformat(), amount=money(amount)))
        if False in parts:
            count, amount, _grace = parts[False]
            lines.append(message(N_("%(n)d 件专利的年费将在 30 日内到期，合计 %(amount)s"), n=count, amount=money(amount)))
        title = message(N_("年费提醒（%(year)d 年第 %(week)d 周）"), year=week[0], week=week[1])
        sent += int(notify_organisation(owner_id, NotificationKind.ANNUAL_FEE_DUE,
                                        f"annual-fees:{owner_id}:{week[0]}-{week[1]}", title, lines,
                                        data={"owner_id": owner_id}) is not None)
    return sent


@job(queue="default", timeout=3600)
def keep_fee_ledger(today: date | None = None) -> dict[str, int]:
    """Periodic: ledger rows, amounts, legal statuses, reminders (see the module docstring)."""
    day = today or local_today()
    synced = sync_patents(None, day)
    transaction.commit()
    statuses = apply_fee_status(day)
    transaction.commit()
    reminded = remind_owners(day)
    transaction.commit()
    if synced.gaps:
        log.warning("fee schedule gaps: %s", sorted({(kind, year) for _id, kind, year in synced.gaps}))
    result = {"created": synced.created, "updated": synced.updated, "closed": synced.closed,
              "gaps": len(synced.gaps), **statuses, "reminded": reminded}
    log.info("annual fees: %s", result)
    return result


def register() -> None:
    register_periodic(Periodic("annual-fees", timedelta(hours=6), keep_fee_ledger))
