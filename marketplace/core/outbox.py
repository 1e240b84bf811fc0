"""Transactional outbox: changes recorded with the data, acted on after commit.

A service calls ``record_change`` in the same transaction as its write; each
registered consumer (search index, push) gets its own row. After commit the
consumers' drain jobs run (inline or on RQ). A consumer that cannot reach its
server leaves the rows pending and a later drain (next write, sweep job,
``flask outbox drain``) catches up, so nothing is lost.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update

from marketplace.core.jobs import is_lock_conflict, job_logger
from marketplace.core.models import OutboxEvent, utcnow
from marketplace.core.sqlite import write_intent
from marketplace.extensions import db

log = job_logger(__name__)  # drains run as jobs: their lines carry the job id

BatchHandler = Callable[[list[OutboxEvent]], None]
_SESSION_KEY = "outbox_consumers"
TRANSIENT_RETRIES = 8
CLAIM_LEASE = timedelta(minutes=5)  # a drain that died (a restart) holding a claim: its rows come back after this


@dataclass(frozen=True)
class Consumer:
    name: str
    entity_types: frozenset[str]
    handle: BatchHandler


_consumers: dict[str, Consumer] = {}


def register_consumer(name: str, entity_types: set[str], handle: BatchHandler) -> None:
    """Declare that ``handle`` must see every change of these entity types (idempotent)."""
    _consumers[name] = Consumer(name, frozenset(entity_types), handle)


def record_change(entity_type: str, entity_id: int, action: str = "changed") -> None:
    """Write one outbox row per interested consumer, inside the caller's transaction."""
    for consumer in _consumers.values():
        if entity_type in consumer.entity_types:
            db.session.add(OutboxEvent(consumer=consumer.name, entity_type=entity_type,
                                       entity_id=entity_id, action=action))
            db.session.info.setdefault(_SESSION_KEY, set()).add(consumer.name)


def record_changes(entity_type: str, entity_ids: Iterable[int], action: str = "changed") -> None:
    """``record_change`` for many rows in one multi-row INSERT (imports write thousands at once)."""
    ids = list(entity_ids)
    now = utcnow()
    for consumer in _consumers.values():
        if ids and entity_type in consumer.entity_types:
            db.session.execute(OutboxEvent.__table__.insert(), [
                {"consumer": consumer.name, "entity_type": entity_type, "entity_id": entity_id, "action": action,
                 "created_at": now, "attempts": 0} for entity_id in ids])
            db.session.info.setdefault(_SESSION_KEY, set()).add(consumer.name)


def take_touched_consumers() -> set[str]:
    """The consumers this unit of work wrote rows for (cleared on read)."""
    touched: set[str] = db.session.info.pop(_SESSION_KEY, set())
    return touched


def claim(consumer_name: str, batch_size: int) -> list[int]:
    """Atomically claim the next pending rows of a consumer and commit the claim; returns their ids in order.

    One ``UPDATE … WHERE id IN (pending, unclaimed) RETURNING id`` marks the
    rows, so two drains — threads, gunicorn workers, RQ workers, on SQLite as
    on PostgreSQL — never take the same row and no push job runs twice. The
    claim is committed before the batch is handled; a drain that dies holding
    it loses it after ``CLAIM_LEASE``.
    """
    now = utcnow()
    db.session.commit()  # a transaction begun before the claim may be a reader: the claim starts a writer
    pending = (select(OutboxEvent.id)
               .where(OutboxEvent.consumer == consumer_name, OutboxEvent.processed_at.is_(None),
                      or_(OutboxEvent.claimed_at.is_(None), OutboxEvent.claimed_at < now - CLAIM_LEASE))
               .order_by(OutboxEvent.id).limit(batch_size)
               .with_for_update(skip_locked=True))  # PostgreSQL: concurrent claims skip each other's rows
    with write_intent(True):
        ids = list(db.session.scalars(
            update(OutboxEvent).where(OutboxEvent.id.in_(pending.scalar_subquery())).values(claimed_at=now)
            .returning(OutboxEvent.id).execution_options(synchronize_session=False)))
        db.session.commit()
    return sorted(ids)


def drain(consumer_name: str, batch_size: int = 500, max_batches: int | None = None) -> int:
    """Process pending rows of one consumer in id order; returns how many were processed.

    Each batch is claimed first (``claim``), handled, then marked processed.
    On SQLite the handling runs in a read transaction (indexing a batch takes
    seconds and must not hold the database's single write lock); claims and
    marks are short writes that take the lock at BEGIN. A failing batch
    records the error and attempt on its rows and releases them; a write
    conflict on the embedded database is retried at once (``TRANSIENT_RETRIES``),
    any other failure stops the drain so the next one retries from there.
    """
    consumer = _consumers[consumer_name]
    processed = 0
    batches = 0
    conflicts = 0
    while max_batches is None or batches < max_batches:
        ids = claim(consumer_name, batch_size)
        if not ids:
            break
        batches += 1
        try:
            with write_intent(False):
                events = list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids))
                                                 .order_by(OutboxEvent.id)))
                consumer.handle(events)
                db.session.commit()  # what the handler wrote, before the mark (a separate, short write)
        except Exception as exc:
            db.session.rollback()
            with write_intent(True):
                db.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(
                    attempts=OutboxEvent.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    claimed_at=None))
                db.session.commit()
            if is_lock_conflict(exc) and conflicts < TRANSIENT_RETRIES:
                conflicts += 1
                time.sleep(min(4.0, 0.1 * 2 ** conflicts) * random.uniform(0.5, 1.5))
                continue
            log.warning("outbox consumer %s failed on %d events: %s", consumer_name, len(ids), exc)
            break
        with write_intent(True):
            db.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(processed_at=utcnow()))
            db.session.commit()
        processed += len(ids)
    return processed


def pending_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxEvent.consumer, func.count()).where(OutboxEvent.processed_at.is_(None))
        .group_by(OutboxEvent.consumer)).all()
    return {name: count for name, count in rows}


def consumer_names() -> list[str]:
    return sorted(_consumers)
