"""The outbox keeps every change until its consumer succeeds."""
from sqlalchemy import func, select

from marketplace.core import outbox, transaction
from marketplace.core.models import OutboxEvent
from marketplace.extensions import db


def test_failed_batch_stays_pending_and_is_retried(ctx):
    seen: list[int] = []
    state = {"fail": True}

    def handle(events):
        if state["fail"]:
            raise ConnectionError("server down")
        seen.extend(e.entity_id for e in events)

    outbox.register_consumer("test-consumer", {"test-entity"}, handle)
    try:
        for entity_id in (1, 2, 3):
            outbox.record_change("test-entity", entity_id)
        transaction.commit()  # inline drain runs and fails: nothing is lost
        pending = db.session.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.consumer == "test-consumer", OutboxEvent.processed_at.is_(None)))
        assert pending == 3
        event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.consumer == "test-consumer"))
        assert event.attempts == 1 and "server down" in event.last_error

        state["fail"] = False
        assert outbox.drain("test-consumer") == 3
        assert seen == [1, 2, 3]
        assert outbox.pending_counts().get("test-consumer", 0) == 0
    finally:
        outbox._consumers.pop("test-consumer", None)


def test_rollback_discards_recorded_changes(ctx):
    outbox.register_consumer("test-consumer", {"test-entity"}, lambda events: None)
    try:
        outbox.record_change("test-entity", 7)
        transaction.rollback()
        assert db.session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
        assert outbox.take_touched_consumers() == set()
    finally:
        outbox._consumers.pop("test-consumer", None)
