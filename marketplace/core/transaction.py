"""The unit-of-work boundary: one commit per request, CLI command or job.

Only after a successful commit are the outbox consumers' drain jobs started
and queued e-mail sent, so a job never runs before its rows exist or after a
rollback, and nobody is mailed about a change that did not happen.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from marketplace.core import mail, outbox
from marketplace.core.jobs import job, job_logger, jobs
from marketplace.core.scheduler import Periodic, register_periodic
from marketplace.extensions import db

log = job_logger(__name__)

_SESSION_KEY = "after_commit_jobs"


def enqueue_after_commit(func: Callable[..., Any], *args: Any) -> None:
    """Enqueue the job ``func(*args)`` once this unit of work has committed (dropped on rollback)."""
    later = db.session.info.setdefault(_SESSION_KEY, [])
    if (func, args) not in later:
        later.append((func, args))


def commit() -> None:
    """Commit the session, then run or enqueue what the committed work asked for."""
    try:
        db.session.commit()  # before_commit hooks may still record changes or ask for jobs: taken after it
    except Exception:
        rollback()  # nothing the failed unit of work asked for runs
        raise
    touched = outbox.take_touched_consumers()
    later = db.session.info.pop(_SESSION_KEY, [])
    mail.send_queued_mail()  # before the drains: one run in this thread (sync jobs) is a unit of work of its own
    runner = jobs()
    for consumer in touched:  # pipeline order: search before push
        runner.enqueue(drain_outbox, consumer)
    for func, args in later:
        runner.enqueue(func, *args)


def rollback() -> None:
    outbox.take_touched_consumers()
    mail.discard_queued_mail()
    db.session.info.pop(_SESSION_KEY, None)
    db.session.rollback()


INLINE_BATCH = 100  # in-process drains write to embedded SQLite files: short batches, short locks


@job(queue="index", timeout=600, coalesce=True)
def drain_outbox(consumer: str) -> int:
    """Job: deliver one consumer's due outbox rows (rows backing off after a failure wait for the sweep).

    Every commit asks for it, but a drain already waiting absorbs later
    commits (``coalesce``): 10 publications a second make one waiting drain
    per consumer, not 20 jobs a second of one row each.
    """
    return outbox.drain(consumer, batch_size=INLINE_BATCH if jobs().inline else 500, due_only=True)


@job(queue="index", timeout=600, retries=0)
def sweep_outbox() -> dict[str, int]:
    """Periodic relay (and the in-process worker's idle job): deliver every consumer's due rows in pipeline
    order (Redis was down, a drain failed and backed off, a restart left rows behind …)."""
    delivered = outbox.sweep(batch_size=INLINE_BATCH if jobs().inline else 500)
    if any(delivered.values()):
        log.info("outbox sweep delivered %s", delivered)
    return delivered


@job(queue="default", timeout=600, retries=0)
def purge_outbox() -> int:
    """Periodic: delete outbox rows processed more than ``outbox.KEEP_PROCESSED`` ago."""
    purged = outbox.purge_processed()
    log.info("outbox purge: %d processed rows deleted", purged)
    return purged


PERIODIC = (
    Periodic("outbox-sweep", timedelta(minutes=1), sweep_outbox),
    Periodic("outbox-purge", timedelta(days=1), purge_outbox),
)


def register_jobs() -> None:
    """Declare the outbox's periodic jobs (``create_app``)."""
    register_periodic(*PERIODIC)
