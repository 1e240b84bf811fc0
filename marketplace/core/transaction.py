"""The unit-of-work boundary: one commit per request, CLI command or job.

Only after a successful commit are the outbox consumers' drain jobs started
and queued e-mail sent, so a job never runs before its rows exist or after a
rollback, and nobody is mailed about a change that did not happen.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marketplace.core import mail, outbox
from marketplace.core.jobs import job, jobs
from marketplace.extensions import db

_SESSION_KEY = "after_commit_jobs"


def enqueue_after_commit(func: Callable[..., Any], *args: Any) -> None:
    """Enqueue the job ``func(*args)`` once this unit of work has committed (dropped on rollback)."""
    db.session.info.setdefault(_SESSION_KEY, []).append((func, args))


def commit() -> None:
    """Commit the session, then run or enqueue what the committed work asked for."""
    touched = outbox.take_touched_consumers()
    messages = mail.take_queued_mail()
    later = db.session.info.pop(_SESSION_KEY, [])
    db.session.commit()
    runner = jobs()
    for consumer in sorted(touched):
        runner.enqueue(drain_outbox, consumer)
    for message in messages:
        runner.enqueue(mail.deliver_mail, *message)
    for func, args in later:
        runner.enqueue(func, *args)


def rollback() -> None:
    outbox.take_touched_consumers()
    mail.take_queued_mail()
    db.session.info.pop(_SESSION_KEY, None)
    db.session.rollback()


INLINE_BATCH = 100  # in-process drains write to embedded SQLite files: short batches, short locks


@job(queue="index", timeout=600)
def drain_outbox(consumer: str) -> int:
    """Job: deliver one consumer's pending outbox rows."""
    return outbox.drain(consumer, batch_size=INLINE_BATCH if jobs().inline else 500)


@job(queue="index", timeout=600)
def drain_pending() -> dict[str, int]:
    """Job: deliver every consumer's pending rows (the in-process worker runs it when idle)."""
    names = set(outbox.consumer_names())
    return {name: outbox.drain(name, batch_size=INLINE_BATCH) for name, pending in outbox.pending_counts().items()
            if pending and name in names}
