"""The outbox keeps every change until its consumer succeeds."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from marketplace import create_app
from marketplace.core import outbox, transaction
from marketplace.core.models import OutboxEvent, utcnow
from marketplace.extensions import db


@pytest.fixture
def consumer(app):
    """A test consumer whose handler fails while ``state["fail"]``; yields (seen ids, state)."""
    seen: list[int] = []
    state = {"fail": True}

    def handle(events):
        if state["fail"]:
            raise ConnectionError("server down")
        seen.extend(e.entity_id for e in events)

    outbox.register_consumer("test-flaky", {"test-flaky-entity"}, handle, app=app)
    yield seen, state
    outbox.unregister_consumer("test-flaky", app=app)


def _row(entity_id: int) -> OutboxEvent:
    db.session.expire_all()
    return db.session.scalar(select(OutboxEvent).where(OutboxEvent.consumer == "test-flaky",
                                                       OutboxEvent.entity_id == entity_id))


def test_failed_batch_stays_pending_and_is_retried(ctx, consumer):
    seen, state = consumer
    for entity_id in (1, 2, 3):
        outbox.record_change("test-flaky-entity", entity_id)
    transaction.commit()  # inline drain runs and fails: nothing is lost
    pending = db.session.scalar(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.consumer == "test-flaky", OutboxEvent.processed_at.is_(None)))
    assert pending == 3
    event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.consumer == "test-flaky"))
    assert event.attempts == 1 and "server down" in event.last_error

    state["fail"] = False
    assert outbox.drain("test-flaky") == 3
    assert seen == [1, 2, 3]
    assert outbox.pending_counts().get("test-flaky", 0) == 0


def test_rollback_discards_recorded_changes(ctx):
    outbox.register_consumer("test-consumer", {"test-entity"}, lambda events: None)
    try:
        outbox.record_change("test-entity", 7)
        transaction.rollback()
        assert db.session.scalar(select(func.count()).select_from(OutboxEvent)) == 0
        assert outbox.take_touched_consumers() == []
    finally:
        outbox.unregister_consumer("test-consumer")


def test_a_failing_row_backs_off_and_is_dead_lettered_after_the_cap(ctx, consumer):
    seen, state = consumer
    registry = outbox.registry()
    outbox.record_change("test-flaky-entity", 1)
    transaction.commit()  # the drain job fails once
    row = _row(1)
    assert row.attempts == 1 and row.dead_at is None and row.next_attempt_at > utcnow()
    assert transaction.drain_outbox("test-flaky") == 0 and _row(1).attempts == 1  # jobs wait out the backoff
    for attempt in range(2, registry.max_attempts + 1):
        assert outbox.drain("test-flaky") == 0  # a drain by hand does not wait
        row = _row(1)
        assert row.attempts == attempt
    assert row.dead_at is not None and row.next_attempt_at is None and "server down" in row.last_error
    assert outbox.pending_counts().get("test-flaky", 0) == 0
    assert [e.id for e in outbox.dead_letters()] == [row.id]
    state["fail"] = False
    assert outbox.drain("test-flaky") == 0 and seen == []  # dead rows are not retried by themselves
    assert outbox.revive("test-flaky") == 1
    assert outbox.drain("test-flaky") == 1 and seen == [1]
    assert _row(1).processed_at is not None and outbox.dead_letters() == []


def test_backoff_grows_to_its_cap(app):
    registry = outbox.registry(app)
    waits = [registry.backoff(n) for n in range(1, 12)]
    assert waits[0] == registry.backoff_base and waits[1] == 2 * registry.backoff_base
    assert waits == sorted(waits) and waits[-1] == registry.backoff_cap


def test_a_failing_row_does_not_block_the_rows_after_it(ctx, consumer):
    seen, state = consumer
    outbox.record_change("test-flaky-entity", 1)
    transaction.commit()  # fails, backs off
    state["fail"] = False
    outbox.record_change("test-flaky-entity", 2)
    transaction.commit()  # the drain job takes the new row; the failed one waits for its backoff
    assert seen == [2] and _row(1).processed_at is None and _row(2).processed_at is not None


def test_recording_a_change_nobody_consumes_is_an_error(ctx):
    with pytest.raises(outbox.UnknownEntityType):
        outbox.record_change("nobody-consumes-this", 1)
    with pytest.raises(outbox.UnknownEntityType):
        outbox.record_changes("nobody-consumes-this", [1, 2])


def test_every_entity_type_the_services_record_has_a_consumer(app):
    """Issue 11: ``record_change("open_license", …)`` rows reached no consumer at all."""
    registry = outbox.registry(app)
    for entity_type in ("patent", "need", "open_license", "subscription"):
        assert registry.consumers_of(entity_type)
    assert [c.name for c in registry.consumers_of("open_license")] == ["search"]


def test_consumers_belong_to_their_app(app):
    other = create_app({"SETTINGS": app.config["SETTINGS"]})
    outbox.register_consumer("test-only-here", {"test-here"}, lambda events: None, app=other)
    assert "test-only-here" in outbox.registry(other).consumers
    assert "test-only-here" not in outbox.registry(app).consumers
    assert outbox.registry(app).names() == outbox.registry(other).names()[:-1]


def test_the_pipeline_runs_search_before_push(app):
    registry = outbox.registry(app)
    names = registry.names()
    assert names.index("search") < names.index("push") and registry.consumers["push"].after == ("search",)
    with pytest.raises(ValueError):
        outbox.register_consumer("test-orphan", {"patent"}, lambda events: None, after=("nope",), app=app)


def test_a_downstream_batch_first_catches_its_upstream_up(ctx):
    order: list[tuple[str, int]] = []
    outbox.register_consumer("test-up", {"test-pipe"}, lambda events: order.extend(("up", e.entity_id) for e in events))
    outbox.register_consumer("test-down", {"test-pipe"},
                             lambda events: order.extend(("down", e.entity_id) for e in events), after=("test-up",))
    try:
        for entity_id in (1, 2):
            outbox.record_change("test-pipe", entity_id)
        outbox.take_touched_consumers()
        db.session.commit()
        assert outbox.drain("test-down") == 2  # the downstream drain runs first, as on another worker it may
        assert order == [("up", 1), ("up", 2), ("down", 1), ("down", 2)]
        assert outbox.pending_counts().get("test-up", 0) == 0 and outbox.drain("test-up") == 0
    finally:
        outbox.unregister_consumer("test-down")
        outbox.unregister_consumer("test-up")


def test_a_downstream_batch_waits_for_upstream_rows_another_drain_holds(ctx, monkeypatch):
    order: list[tuple[str, int]] = []
    outbox.register_consumer("test-up", {"test-pipe"}, lambda events: order.extend(("up", e.entity_id) for e in events))
    outbox.register_consumer("test-down", {"test-pipe"},
                             lambda events: order.extend(("down", e.entity_id) for e in events), after=("test-up",))
    try:
        for entity_id in (1, 2):
            outbox.record_change("test-pipe", entity_id)
        outbox.take_touched_consumers()
        db.session.commit()
        held = outbox.claim("test-up", 10)  # the upstream drain on another worker holds both rows

        def other_drain_finishes(_seconds):
            order.extend(("up elsewhere", entity_id) for entity_id in (1, 2))
            outbox._mark_processed(held)
        monkeypatch.setattr(outbox.time, "sleep", other_drain_finishes)
        assert outbox.drain("test-down") == 2
        assert order == [("up elsewhere", 1), ("up elsewhere", 2), ("down", 1), ("down", 2)]  # not handled twice

        order.clear()
        outbox.record_change("test-pipe", 3)
        outbox.take_touched_consumers()
        db.session.commit()
        outbox.claim("test-up", 10)  # held by a drain that does not finish within the wait
        monkeypatch.setattr(outbox, "CATCH_UP_WAIT", 0.0)
        assert outbox.drain("test-down") == 1
        assert order == [("up", 3), ("down", 3)]  # nothing downstream runs ahead of its upstream
        assert outbox.pending_counts().get("test-up", 0) == 0
    finally:
        outbox.unregister_consumer("test-down")
        outbox.unregister_consumer("test-up")


def test_purge_deletes_only_old_processed_rows(ctx, consumer):
    _seen, state = consumer
    state["fail"] = False
    for entity_id in (1, 2):
        outbox.record_change("test-flaky-entity", entity_id)
    transaction.commit()
    state["fail"] = True
    outbox.record_change("test-flaky-entity", 3)
    transaction.commit()  # fails: pending
    assert outbox.purge_processed(timedelta(days=1)) == 0  # processed just now: kept
    assert outbox.purge_processed(timedelta(days=1), now=utcnow() + timedelta(days=2)) == 2
    assert [e.entity_id for e in db.session.scalars(select(OutboxEvent).where(OutboxEvent.consumer == "test-flaky"))] == [3]


def test_outbox_cli_purges_and_revives(app, consumer):
    _seen, state = consumer
    with app.app_context():
        outbox.record_change("test-flaky-entity", 1)
        outbox.record_change("test-flaky-entity", 2)
        transaction.commit()
        db.session.execute(update(OutboxEvent).where(OutboxEvent.consumer == "test-flaky", OutboxEvent.entity_id == 2).values(
            dead_at=utcnow(), next_attempt_at=None))
        db.session.execute(update(OutboxEvent).where(OutboxEvent.consumer == "test-flaky", OutboxEvent.entity_id == 1).values(
            processed_at=utcnow() - timedelta(days=30)))
        db.session.commit()
    runner = app.test_cli_runner()
    status = runner.invoke(args=["outbox", "status"])
    assert "test-flaky: 0 pending, 1 dead" in status.output
    assert runner.invoke(args=["outbox", "purge", "--days", "7"]).output.startswith("1 purged")
    state["fail"] = False
    revived = runner.invoke(args=["outbox", "revive", "--consumer", "test-flaky"])
    assert revived.exit_code == 0 and "1 revived" in revived.output and "test-flaky: 1 delivered" in revived.output
    assert runner.invoke(args=["outbox", "revive", "--consumer", "nope"]).exit_code == 2


def test_the_purge_and_sweep_are_periodic_jobs(app):
    from marketplace.core.scheduler import periodic_jobs
    names = {p.name: p.job for p in periodic_jobs()}
    assert names["outbox-purge"] is transaction.purge_outbox and names["outbox-sweep"] is transaction.sweep_outbox
