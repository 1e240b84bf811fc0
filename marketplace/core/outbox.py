"""Transactional outbox: the one way side effects follow a change.

A service calls ``record_change`` in the same transaction as its write; each
consumer registered for that entity type gets its own row. Consumers are
registered once per app in ``create_app`` (``init_app`` then
``register_consumer``), in pipeline order: a consumer may name consumers it
runs ``after`` (push after search), and before handling a batch it first
brings those upstream consumers up to date for the same changes. Recording a
change nobody consumes is a programming error (``UnknownEntityType``), so a
change can never silently reach no one.

After commit the touched consumers' drain jobs run (in-process or on RQ). A
batch that fails is retried with exponential backoff (``Outbox.backoff``);
after ``max_attempts`` failures its rows go to the dead letter (``dead_at``),
listed on ``/admin/jobs`` where an administrator re-runs them (``revive``).
Processed rows are purged after ``KEEP_PROCESSED`` (``purge_processed``: the
daily ``outbox-purge`` job, ``flask outbox purge``).
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import ColumnElement, CursorResult, and_, delete, func, or_, select, update

from marketplace.core.bulk import insert_rows
from marketplace.core import mail
from marketplace.core.jobs import is_lock_conflict, job_logger
from marketplace.core.models import OutboxEvent, utcnow
from marketplace.core.sqlite import write_intent
from marketplace.extensions import db

log = job_logger(__name__)  # drains run as jobs: their lines carry the job id

BatchHandler = Callable[[list[OutboxEvent]], None]
_SESSION_KEY = "outbox_consumers"
TRANSIENT_RETRIES = 8
CLAIM_LEASE = timedelta(minutes=5)  # a drain that died (a restart) holding a claim: its rows come back after this
CATCH_UP_WAIT = 30.0  # seconds a downstream batch waits for upstream rows another drain is handling
KEEP_PROCESSED = timedelta(days=14)


class UnknownEntityType(LookupError):
    """``record_change`` for an entity type no registered consumer handles."""


@dataclass(frozen=True)
class Consumer:
    name: str
    entity_types: frozenset[str]
    handle: BatchHandler
    after: tuple[str, ...] = ()  # upstream consumers brought up to date before each batch


@dataclass
class Outbox:
    """One app's consumers, in pipeline order, and its retry policy."""

    consumers: dict[str, Consumer] = field(default_factory=dict)
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=1)

    def register(self, consumer: Consumer) -> None:
        missing = [name for name in consumer.after if name not in self.consumers or name == consumer.name]
        if missing:
            raise ValueError(f"consumer {consumer.name} runs after unregistered consumers {missing}")
        self.consumers[consumer.name] = consumer

    def consumers_of(self, entity_type: str) -> list[Consumer]:
        found = [c for c in self.consumers.values() if entity_type in c.entity_types]
        if not found:
            raise UnknownEntityType(f"no outbox consumer handles entity type {entity_type!r}")
        return found

    def backoff(self, attempts: int) -> timedelta:
        """How long a row that failed ``attempts`` times waits before the next try."""
        wait: timedelta = self.backoff_base * 2 ** max(0, attempts - 1)
        return min(self.backoff_cap, wait)

    def names(self) -> list[str]:
        """Consumer names in pipeline order (registration order; upstream first)."""
        return list(self.consumers)


def init_app(app: Flask) -> Outbox:
    """Give the app its own consumer registry (``create_app``, before any ``register_consumer``)."""
    registry = Outbox()
    app.extensions["outbox"] = registry
    return registry


def registry(app: Flask | None = None) -> Outbox:
    outbox: Outbox = (app or current_app).extensions["outbox"]
    return outbox


def register_consumer(name: str, entity_types: Iterable[str], handle: BatchHandler, *, after: Iterable[str] = (),
                      app: Flask | None = None) -> None:
    """Declare that ``handle`` must see every change of these entity types, after the ``after`` consumers."""
    registry(app).register(Consumer(name, frozenset(entity_types), handle, tuple(after)))


def unregister_consumer(name: str, app: Flask | None = None) -> None:
    registry(app).consumers.pop(name, None)


def record_change(entity_type: str, entity_id: int, action: str = "changed") -> None:
    """Write one outbox row per interested consumer, inside the caller's transaction."""
    for consumer in registry().consumers_of(entity_type):
        db.session.add(OutboxEvent(consumer=consumer.name, entity_type=entity_type,
                                   entity_id=entity_id, action=action))
        db.session.info.setdefault(_SESSION_KEY, set()).add(consumer.name)


def record_changes(entity_type: str, entity_ids: Iterable[int], action: str = "changed") -> None:
    """``record_change`` for many rows through ``insert_rows`` (imports write thousands at once)."""
    consumers = registry().consumers_of(entity_type)
    ids = list(entity_ids)
    now = utcnow()
    for consumer in consumers:
        if ids:
            insert_rows(OutboxEvent.__table__, [
                {"consumer": consumer.name, "entity_type": entity_type, "entity_id": entity_id, "action": action,
                 "created_at": now, "attempts": 0} for entity_id in ids])
            db.session.info.setdefault(_SESSION_KEY, set()).add(consumer.name)


def take_touched_consumers() -> list[str]:
    """The consumers this unit of work wrote rows for, in pipeline order (cleared on read)."""
    touched: set[str] = db.session.info.pop(_SESSION_KEY, set())
    return [name for name in registry().names() if name in touched]


def _waiting(consumer_name: str) -> ColumnElement[bool]:
    """Rows of a consumer not yet processed and not in the dead letter."""
    return and_(OutboxEvent.consumer == consumer_name, OutboxEvent.processed_at.is_(None),
                OutboxEvent.dead_at.is_(None))


def claim(consumer_name: str, batch_size: int | None, *, due_only: bool = True,
          among: ColumnElement[bool] | None = None) -> list[int]:
    """Atomically claim the next pending rows of a consumer and commit the claim; returns their ids in order.

    One ``UPDATE … WHERE id IN (pending, unclaimed) RETURNING id`` marks the
    rows, so two drains — threads, gunicorn workers, RQ workers, on SQLite as
    on PostgreSQL — never take the same row and no push job runs twice. The
    claim is committed before the batch is handled; a drain that dies holding
    it loses it after ``CLAIM_LEASE``. ``due_only`` leaves out rows still
    waiting out their backoff (an administrator's or the CLI's drain takes them);
    ``among`` restricts the claim to rows meeting it, ``batch_size`` None takes them all.
    """
    now = utcnow()
    db.session.commit()  # a transaction begun before the claim may be a reader: the claim starts a writer
    pending = (select(OutboxEvent.id)
               .where(_waiting(consumer_name),
                      or_(OutboxEvent.claimed_at.is_(None), OutboxEvent.claimed_at < now - CLAIM_LEASE)))
    if due_only:
        pending = pending.where(or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now))
    if among is not None:
        pending = pending.where(among)
    pending = (pending.order_by(OutboxEvent.id).limit(batch_size)
               .with_for_update(skip_locked=True))  # PostgreSQL: concurrent claims skip each other's rows
    with write_intent(True):
        ids = list(db.session.scalars(
            update(OutboxEvent).where(OutboxEvent.id.in_(pending.scalar_subquery())).values(claimed_at=now)
            .returning(OutboxEvent.id).execution_options(synchronize_session=False)))
        db.session.commit()
    return sorted(ids)


def _mark_processed(ids: list[int]) -> None:
    with write_intent(True):
        db.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(processed_at=utcnow(),
                                                                                      claimed_at=None))
        db.session.commit()


def _catch_up(outbox: Outbox, consumer: Consumer, events: list[OutboxEvent]) -> None:
    """Bring the upstream consumers up to date for everything recorded up to this batch (the pipeline order).

    Each upstream consumer's pending rows up to the batch's last id, or about
    the same entities, are claimed, handled with its own handler and marked
    processed (short writes of their own: on SQLite the handling must not
    hold the write lock). Rows an upstream drain holds right now are awaited
    (``CATCH_UP_WAIT``) rather than handled a second time: with two workers
    the search drain and the push drain of the same commits run side by
    side, and each published patent was indexed twice. Rows still held after
    the wait are handled anyway (consumers are idempotent). A failure here
    fails the batch, so nothing downstream runs ahead of its upstream.
    """
    last = max(e.id for e in events)
    entities = {e.entity_id for e in events}
    concerned = or_(OutboxEvent.id <= last, OutboxEvent.entity_id.in_(entities))
    for name in consumer.after:
        upstream = outbox.consumers[name]
        _handle_upstream(upstream, claim(name, None, due_only=False, among=concerned))
        deadline = time.monotonic() + CATCH_UP_WAIT
        while time.monotonic() < deadline and db.session.scalar(
                select(func.count()).select_from(OutboxEvent)
                .where(_waiting(name), concerned, OutboxEvent.claimed_at >= utcnow() - CLAIM_LEASE)):
            db.session.commit()  # the next count reads a fresh snapshot (SQLite's read transaction would not)
            time.sleep(0.05)
        _handle_upstream(upstream, list(db.session.scalars(select(OutboxEvent.id).where(_waiting(name), concerned))))


def _handle_upstream(upstream: Consumer, ids: list[int]) -> None:
    """Handle these upstream rows and mark them processed; on failure release them for their own drains."""
    if not ids:
        return
    try:
        upstream.handle(list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids))
                                                .order_by(OutboxEvent.id))))
        db.session.commit()
    except Exception:
        db.session.rollback()
        with write_intent(True):
            db.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(claimed_at=None))
            db.session.commit()
        raise
    _mark_processed(ids)


def _record_failure(outbox: Outbox, ids: list[int], exc: Exception, counts: bool) -> None:
    """Release the claim; a real failure (``counts``) adds an attempt, backs off, and at the cap dead-letters."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with write_intent(True):
        if not counts:
            db.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(claimed_at=None))
        else:
            now = utcnow()
            attempts = dict(db.session.execute(select(OutboxEvent.id, OutboxEvent.attempts)
                                               .where(OutboxEvent.id.in_(ids))).all())
            by_attempts: dict[int, list[int]] = {}
            for row_id, done in attempts.items():
                by_attempts.setdefault(done + 1, []).append(row_id)
            for tried, group in by_attempts.items():
                dead = tried >= outbox.max_attempts
                db.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(group)).values(
                    attempts=tried, last_error=error, claimed_at=None,
                    next_attempt_at=None if dead else now + outbox.backoff(tried), dead_at=now if dead else None))
        db.session.commit()


def drain(consumer_name: str, batch_size: int = 500, max_batches: int | None = None, *, due_only: bool = False) -> int:
    """Process pending rows of one consumer in id order; returns how many were processed.

    Each batch is claimed first (``claim``), its upstream consumers caught up
    (``_catch_up``), handled, then marked processed. On SQLite the handling
    runs in a read transaction (indexing a batch takes seconds and must not
    hold the database's single write lock); claims and marks are short writes
    that take the lock at BEGIN. A write conflict on the embedded database is
    retried at once (``TRANSIENT_RETRIES``, no attempt counted); any other
    failure counts an attempt, backs the rows off (dead letter at the cap) and
    stops the drain. Jobs drain with ``due_only``; a drain by hand (CLI,
    administrator) also takes rows waiting out their backoff.
    """
    outbox = registry()
    consumer = outbox.consumers[consumer_name]
    processed = 0
    batches = 0
    conflicts = 0
    while max_batches is None or batches < max_batches:
        ids = claim(consumer_name, batch_size, due_only=due_only)
        if not ids:
            break
        batches += 1
        try:
            with write_intent(False):
                events = list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids))
                                                 .order_by(OutboxEvent.id)))
                _catch_up(outbox, consumer, events)
                consumer.handle(events)
                db.session.commit()  # what the handler wrote, before the mark (a separate, short write)
            mail.send_queued_mail()  # what it mailed (inbox entries) leaves once they exist
        except Exception as exc:
            mail.discard_queued_mail()  # nobody hears of what was rolled back
            db.session.rollback()
            transient = is_lock_conflict(exc) and conflicts < TRANSIENT_RETRIES
            _record_failure(outbox, ids, exc, counts=not transient)
            if transient:
                conflicts += 1
                time.sleep(min(4.0, 0.1 * 2 ** conflicts) * random.uniform(0.5, 1.5))
                continue
            log.warning("outbox consumer %s failed on %d events: %s", consumer_name, len(ids), exc)
            break
        _mark_processed(ids)
        processed += len(ids)
    return processed


def sweep(batch_size: int = 500) -> dict[str, int]:
    """Drain every consumer's due rows, in pipeline order (the periodic relay and the idle worker)."""
    counts = pending_counts()
    return {name: drain(name, batch_size, due_only=True) for name in registry().names() if counts.get(name)}


def revive(consumer_name: str | None = None, ids: Iterable[int] | None = None) -> int:
    """Take dead-lettered rows (of one consumer, or these ids) back into the queue with a fresh attempt budget."""
    stmt = update(OutboxEvent).where(OutboxEvent.dead_at.is_not(None), OutboxEvent.processed_at.is_(None))
    if consumer_name is not None:
        stmt = stmt.where(OutboxEvent.consumer == consumer_name)
    if ids is not None:
        stmt = stmt.where(OutboxEvent.id.in_(list(ids)))
    with write_intent(True):
        result = db.session.execute(stmt.values(dead_at=None, attempts=0, next_attempt_at=None, claimed_at=None)
                                    .execution_options(synchronize_session=False))
        revived = cast(CursorResult[Any], result).rowcount
        db.session.commit()
    log.info("outbox: %d dead-lettered rows of %s re-queued", revived, consumer_name or "every consumer")
    return int(revived or 0)


def purge_processed(older_than: timedelta = KEEP_PROCESSED, now: datetime | None = None) -> int:
    """Delete rows processed before ``older_than`` ago; returns how many (pending and dead rows stay)."""
    cutoff = (now or utcnow()) - older_than
    with write_intent(True):
        result = db.session.execute(delete(OutboxEvent).where(OutboxEvent.processed_at < cutoff)
                                    .execution_options(synchronize_session=False))
        purged = cast(CursorResult[Any], result).rowcount
        db.session.commit()
    return int(purged or 0)


def pending_counts() -> dict[str, int]:
    """Rows waiting per consumer (due or backing off; not the dead letter)."""
    rows = db.session.execute(
        select(OutboxEvent.consumer, func.count()).where(OutboxEvent.processed_at.is_(None),
                                                         OutboxEvent.dead_at.is_(None))
        .group_by(OutboxEvent.consumer)).all()
    return {name: count for name, count in rows}


def pending_events(limit: int = 200) -> list[OutboxEvent]:
    """Rows still waiting (due or backing off; not the dead letter), oldest first."""
    return list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.processed_at.is_(None),
                                                             OutboxEvent.dead_at.is_(None))
                                   .order_by(OutboxEvent.id).limit(limit)))


def dead_letters(limit: int = 200) -> list[OutboxEvent]:
    """Rows that failed ``max_attempts`` times, newest first."""
    return list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.dead_at.is_not(None),
                                                             OutboxEvent.processed_at.is_(None))
                                   .order_by(OutboxEvent.id.desc()).limit(limit)))


def consumer_names() -> list[str]:
    return registry().names()
