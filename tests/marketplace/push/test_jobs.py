"""The push consumer and jobs: ordering with search, nothing lost when jobs cannot be queued, the CLI."""
from __future__ import annotations

import dataclasses

from sqlalchemy import select

from marketplace.core import outbox, transaction
from marketplace.core.jobs import JobRunner
from marketplace.core.models import OutboxEvent
from marketplace.extensions import db
from marketplace.push import jobs
from marketplace.push.models import Notification
from tests import factories
from tests.marketplace.push.conftest import PLANTER_NEED


def test_push_indexes_what_the_search_consumer_has_not(ctx, company, subscribe, publish, monkeypatch):
    """The search drain never runs (another worker is slow): the push drain brings the index up to date first."""
    skipped: list[str] = []
    enqueue = JobRunner.enqueue

    def search_drain_never_runs(self, func, *args, job_id=None):
        if func is transaction.drain_outbox and args == ("search",):
            skipped.append("search")
            return True
        return enqueue(self, func, *args, job_id=job_id)

    monkeypatch.setattr(JobRunner, "enqueue", search_drain_never_runs)
    subscribe(company)
    factories.make_need(company, **PLANTER_NEED)
    publish(2)
    assert db.session.scalar(select(Notification.title)) == "新专利匹配您的需求：锂离子电池新能源应用在插秧机上的动力装置"
    assert skipped  # the push consumer ran without a search drain and indexed the search rows itself
    assert outbox.pending_counts() == {}


def test_a_push_never_runs_ahead_of_a_failing_index(ctx, company, subscribe, publish, monkeypatch):
    def search_down(events):
        raise ConnectionError("search consumer down")

    consumers = outbox.registry().consumers
    monkeypatch.setitem(consumers, "search", dataclasses.replace(consumers["search"], handle=search_down))
    subscribe(company)
    factories.make_need(company, **PLANTER_NEED)
    publish(2)
    assert db.session.scalar(select(Notification.id)) is None  # no push against a stale index
    pending = outbox.pending_counts()
    assert pending["search"] >= 1 and pending["push"] >= 1
    monkeypatch.undo()
    assert outbox.drain("push") >= 1  # the index is back: the push drain catches search up, then pushes
    assert db.session.scalar(select(Notification.title)) == "新专利匹配您的需求：锂离子电池新能源应用在插秧机上的动力装置"
    assert outbox.pending_counts() == {}


def test_jobs_that_cannot_be_queued_leave_the_outbox_pending(ctx, company, planter_need, subscribe, publish,
                                                               monkeypatch):
    subscribe(company)
    enqueue = JobRunner.enqueue

    def redis_down_for_pushes(self, func, *args, job_id=None):
        return func.__name__ not in {"push_patent", "push_patents"} and enqueue(self, func, *args, job_id=job_id)

    monkeypatch.setattr(JobRunner, "enqueue", redis_down_for_pushes)
    patent = publish(2)
    row = db.session.scalar(select(OutboxEvent).where(OutboxEvent.consumer == "push",
                                                      OutboxEvent.entity_id == patent.id))
    assert row.processed_at is None and "PushNotEnqueued" in row.last_error
    assert db.session.scalar(select(Notification.id)) is None
    monkeypatch.undo()
    assert transaction.sweep_outbox().get("push", 0) == 0  # the row waits out its backoff
    assert outbox.drain("push") >= 1  # a drain by hand (or the relay, once the backoff passed) delivers it
    assert db.session.scalar(select(Notification.match_id)) is not None


def test_run_periodic_command(app, company):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["push", "run-periodic", "outbox-sweep"])
    assert result.exit_code == 0 and result.output.startswith("outbox-sweep: ")
    assert runner.invoke(args=["push", "run-periodic", "nope"]).exit_code == 2
