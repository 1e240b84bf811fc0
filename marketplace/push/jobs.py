"""Push jobs, the "push" outbox consumer and the periodic job table.

Order with search: a push ranks the other side against the index, so every
change committed before it must be indexed first. The push consumer's batch
handler therefore indexes (``search.indexing.index_changes``, an idempotent
upsert from the database) whatever the "search" consumer has not yet
processed up to this batch (and marks those rows done), and only then
enqueues the push jobs. A push never depends on whether the search drain ran
before it, inline or on another worker.

Work is shared in batches: the handler splits a batch's changed patents and
needs into jobs of at most ``PUSH_BATCH`` ids each (``push_patents`` /
``push_needs``), which any number of workers take from the "push" queue. A
steady trickle of publications gives jobs of one or a few ids (the latency of
a publication is one drain and one job); a bulk publication gives full jobs,
decided a batch at a time (see ``decide``), spread over every worker. Each
outbox row is claimed by one drain (``FOR UPDATE SKIP LOCKED``) and enqueued
once per delivery of its batch.

Nothing is lost: if a push job cannot be enqueued (Redis down) the handler
raises, the outbox rows stay pending, and the ``outbox-sweep`` periodic job
(or ``flask outbox drain``) delivers them later. Push jobs take ids, re-read
the rows and are idempotent (see ``decide``), so running one twice, or two
overlapping ones at once, pushes each pair exactly once.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select, update

from marketplace.core import outbox, transaction
from marketplace.core.jobs import job, job_logger, jobs
from marketplace.core.models import OutboxEvent, utcnow
from marketplace.core.scheduler import Periodic, register_periodic
from marketplace.core.sqlite import write_intent
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedStatus
from marketplace.push import decide
from marketplace.push.models import NotificationKind
from marketplace.push.notify import notify, roll_up_digests, send_email_digests
from marketplace.search.indexing import CONSUMER as SEARCH_CONSUMER
from marketplace.search.indexing import index_changes

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


def _index_what_search_has_not(events: list[OutboxEvent]) -> None:
    """Index every change committed up to this batch that the search consumer has not processed yet.

    A push ranks the *other* side (a new patent against the needs already
    posted), so everything committed before it must be in the index. The
    pending "search" rows up to this batch are indexed here with the search
    consumer's own handler and marked processed right after, in a short write
    of its own (on SQLite the indexing must not hold the write lock), so the
    search drain finds nothing left to do. A search drain handling some of
    them right now indexes them twice: a harmless upsert.
    """
    entity_ids = {e.entity_id for e in events}
    behind = list(db.session.scalars(select(OutboxEvent).where(
        OutboxEvent.consumer == SEARCH_CONSUMER, OutboxEvent.processed_at.is_(None),
        or_(OutboxEvent.id <= max(e.id for e in events), OutboxEvent.entity_id.in_(entity_ids)))))
    if behind:
        ids = [e.id for e in behind]
        index_changes(behind)
        db.session.commit()
        with write_intent(True):
            db.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(processed_at=utcnow()))
            db.session.commit()


def handle_events(events: list[OutboxEvent]) -> None:
    """The "push" consumer: make sure the index is current, then push jobs of ``PUSH_BATCH`` ids (see module doc)."""
    _index_what_search_has_not(events)
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


@job(queue="index", timeout=600, retries=0)
def sweep_outbox() -> dict[str, int]:
    """Periodic relay: deliver whatever outbox rows are still pending (Redis was down, a drain failed …)."""
    delivered = {name: outbox.drain(name) for name, pending in outbox.pending_counts().items()
                 if pending and name in outbox.consumer_names()}
    if any(delivered.values()):
        log.info("outbox sweep delivered %s", delivered)
    return delivered


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
    day = today or date.today()
    needs = db.session.scalars(select(Need).where(
        Need.status == NeedStatus.OPEN, Need.valid_until.is_not(None),
        Need.valid_until >= day, Need.valid_until <= day + timedelta(days=EXPIRY_NOTICE_DAYS)))
    sent = sum(1 for need in needs if notify(
        need.organisation_id, NotificationKind.NEED_EXPIRING, f"expiring:{need.id}:{need.valid_until.isoformat()}",
        f"需求将于 {need.valid_until.isoformat()} 到期：{need.title}",
        "到期后不再匹配和推送；如仍需要，请延长有效期。", data={"need_id": need.id}) is not None)
    transaction.commit()
    log.info("expiring needs: %d reminders", sent)
    return sent


PERIODIC = (
    Periodic("outbox-sweep", timedelta(minutes=1), sweep_outbox),
    Periodic("daily-digest", timedelta(hours=1), send_daily_digests),
    Periodic("expiring-needs", timedelta(hours=6), remind_expiring_needs),
)


def register() -> None:
    """Called by ``create_app`` after ``search.indexing.register()``."""
    from marketplace.push import backlog
    outbox.register_consumer(CONSUMER, {"patent", "need"}, handle_events)
    backlog.register()
    register_periodic(*PERIODIC)
