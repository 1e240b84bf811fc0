"""Push jobs, the "push" outbox consumer and the periodic job table.

Order with search: a push ranks the other side against the index, so every
change committed before it must be indexed first. The push consumer is
registered ``after`` the "search" consumer: before each push batch the
outbox indexes whatever the search consumer has not yet processed up to it
(``outbox._catch_up``), and only then does the handler enqueue the push
jobs. A push never depends on whether the search drain ran before it, inline
or on another worker.

Work is shared in batches: the handler splits a batch's changed patents and
needs into jobs of at most ``PUSH_BATCH`` ids each (``push_patents`` /
``push_needs``), which any number of workers take from the "push" queue. A
steady trickle of publications gives jobs of one or a few ids (the latency of
a publication is one drain and one job); a bulk publication gives full jobs,
decided a batch at a time (see ``decide``), spread over every worker. Each
outbox row is claimed by one drain (``FOR UPDATE SKIP LOCKED``) and enqueued
once per delivery of its batch.

Nothing is lost: if a push job cannot be enqueued (Redis down) the handler
raises, the outbox rows back off, and the ``outbox-sweep`` periodic job
(or ``flask outbox drain``) delivers them later. Push jobs take ids, re-read
the rows and are idempotent (see ``decide``), so running one twice, or two
overlapping ones at once, pushes each pair exactly once.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from sqlalchemy import select

from marketplace.core import outbox, transaction
from marketplace.core.dates import local_today
from marketplace.core.jobs import job, job_logger, jobs
from marketplace.core.models import OutboxEvent
from marketplace.core.scheduler import Periodic, register_periodic
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedStatus
from marketplace.push import decide
from marketplace.push.messages import N_, message
from marketplace.push.models import NotificationKind
from marketplace.push.notify import notify, roll_up_digests, send_email_digests
from marketplace.search.indexing import CONSUMER as SEARCH_CONSUMER

log = job_logger(__name__)
CONSUMER = "push"
EXPIRY_NOTICE_DAYS = 7
PUSH_BATCH = 50  # publications per push job: large enough to amortise, small enough to share among workers


class PushNotEnqueued(RuntimeError):
    """Some push jobs could not be queued; the outbox keeps the batch for the relay."""


def _run(work, *args):
    try:
        result = work(*args)
        transaction.commit()
    except Exception:
        transaction.rollback()
        raise
    return result


def _report(kind: str, ids: list[int], outcome: decide.PushOutcome) -> dict[str, list[int]]:
    log.info("%s %s: pushed %d matches, %d digest entries, %d held by the daily cap", kind,
             ",".join(map(str, ids)) if len(ids) <= 5 else f"{ids[0]}…{ids[-1]} ({len(ids)})",
             len(outcome.pushed), len(outcome.digested), len(outcome.capped))
    return {"pushed": outcome.pushed, "digested": outcome.digested, "capped": outcome.capped}


@job(queue="push", timeout=600)
def push_patents(patent_ids: list[int]) -> dict[str, list[int]]:
    """Job: push published patents to their segments' subscribers, decided as one batch."""
    return _report("patents", patent_ids, _run(decide.push_patents, patent_ids))


@job(queue="push", timeout=600)
def push_needs(need_ids: list[int]) -> dict[str, list[int]]:
    """Job: push posted or reopened needs to their segments' subscribed universities, as one batch."""
    return _report("needs", need_ids, _run(decide.push_needs, need_ids))


@job(queue="push", timeout=120)
def push_patent(patent_id: int) -> dict[str, list[int]]:
    """Job: push one patent (jobs queued before batching took single ids)."""
    return push_patents([patent_id])


@job(queue="push", timeout=120)
def push_need(need_id: int) -> dict[str, list[int]]:
    """Job: push one need (jobs queued before batching took single ids)."""
    return push_needs([need_id])


def handle_events(events: list[OutboxEvent]) -> None:
    """The "push" consumer (the outbox has brought search up to date first): jobs of ``PUSH_BATCH`` ids."""
    changed: dict[str, dict[int, OutboxEvent]] = {"patent": {}, "need": {}}
    for event in events:
        if event.action != "deleted":
            changed[event.entity_type].setdefault(event.entity_id, event)
    runner = jobs()
    failed: list[str] = []
    for entity_type, work in (("patent", push_patents), ("need", push_needs)):
        firsts = list(changed[entity_type].values())
        for start in range(0, len(firsts), PUSH_BATCH):
            chunk = firsts[start:start + PUSH_BATCH]
            ids = [event.entity_id for event in chunk]
            if not runner.enqueue(work, ids, job_id=f"push-{entity_type}-{ids[0]}-{chunk[0].id}-{len(ids)}"):
                failed.append(f"{entity_type} {', '.join(map(str, ids))}")
    if failed:
        raise PushNotEnqueued("push jobs not run: " + "; ".join(failed))


@job(queue="digest", timeout=600)
def send_daily_digests() -> dict[str, int]:
    """Periodic: segment digests into inboxes, then the daily e-mail digests (from 08:00 China time)."""
    rolled = roll_up_digests()
    transaction.commit()
    mailed = send_email_digests()
    transaction.commit()
    log.info("digests: %d inbox digests, %d e-mails", rolled, mailed)
    return {"inbox": rolled, "mailed": mailed}


@job(queue="digest", timeout=600)
def remind_expiring_needs(today: date | None = None) -> int:
    """Periodic: tell companies a week ahead that a need stops being matched and pushed."""
    day = today or local_today()
    needs = db.session.scalars(select(Need).where(
        Need.status == NeedStatus.OPEN, Need.valid_until.is_not(None),
        Need.valid_until >= day, Need.valid_until <= day + timedelta(days=EXPIRY_NOTICE_DAYS)))
    sent = sum(1 for need in needs if notify(
        need.organisation_id, NotificationKind.NEED_EXPIRING, f"expiring:{need.id}:{need.valid_until.isoformat()}",
        message(N_("需求将于 %(date)s 到期：%(title)s"), date=need.valid_until.isoformat(), title=need.title),
        [message(N_("到期后不再匹配和推送；如仍需要，请延长有效期。"))], data={"need_id": need.id}) is not None)
    transaction.commit()
    log.info("expiring needs: %d reminders", sent)
    return sent


PERIODIC = (
    Periodic("daily-digest", timedelta(hours=1), send_daily_digests),
    Periodic("expiring-needs", timedelta(hours=6), remind_expiring_needs),
)


def register(app: Flask) -> None:
    """Called by ``create_app`` after ``search.indexing.register``: pushes run after the index (module doc)."""
    from marketplace.push import backlog
    outbox.register_consumer(CONSUMER, {"patent", "need"}, handle_events, after=(SEARCH_CONSUMER,), app=app)
    backlog.register(app)
    register_periodic(*PERIODIC)
