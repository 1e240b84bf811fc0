"""Transactional outbox: changes recorded with the data, acted on after commit.

A service calls ``record_change`` in the same transaction as its write; each
registered consumer (search index, push) gets its own row. After commit the
consumers' drain jobs run (inline or on RQ). A consumer that cannot reach its
server leaves the rows pending and a later drain (next write, sweep job,
``flask outbox drain``) catches up, so nothing is lost.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update

from marketplace.core.jobs import job_logger
from marketplace.core.models import OutboxEvent, utcnow
from marketplace.extensions import db

log = job_logger(__name__)  # drains run as jobs: their lines carry the job id

BatchHandler = Callable[[list[OutboxEvent]], None]
_SESSION_KEY = "outbox_consumers"


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


def drain(consumer_name: str, batch_size: int = 500, max_batches: int | None = None) -> int:
    """Process pending rows of one consumer in id order; returns how many were processed.

    Stops at the first failing batch, recording the error and attempt on its
    rows, so order is preserved and the next drain retries from there.
    """
    consumer = _consumers[consumer_name]
    processed = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        events = list(db.session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.consumer == consumer_name, OutboxEvent.processed_at.is_(None))
            .order_by(OutboxEvent.id).limit(batch_size)
            .with_for_update(skip_locked=True)))  # concurrent drains (two workers) take disjoint batches
        if not events:
            break
        batches += 1
        ids = [event.id for event in events]
        try:
            consumer.handle(events)
        except Exception as exc:
            db.session.rollback()
            db.session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(
                attempts=OutboxEvent.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]))
            db.session.commit()
            log.warning("outbox consumer %s failed on %d events: %s", consumer_name, len(ids), exc)
            break
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
