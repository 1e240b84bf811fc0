"""Jobs without Redis run after the response in an in-process worker, each outbox row is handled once."""
from __future__ import annotations

import threading
import time

import pytest

from sqlalchemy import func, select

from marketplace.core import outbox, transaction
from marketplace.core.jobs import InProcessWorker, JobRunner, QueuedJob, job
from marketplace.core.models import OutboxEvent
from marketplace.extensions import db

ran: list[tuple[str, int]] = []


@job(queue="default")
def remember(label: str, number: int) -> None:
    ran.append((label, number))


@job(queue="default")
def explode(label: str) -> None:
    raise RuntimeError(label)


def test_a_request_does_not_wait_for_the_jobs_it_enqueued(app, client, token_for, university, deferred_jobs):
    """Issue 11: inline jobs ran inside the request (a one-field PATCH paid 71 s for someone's backlog)."""
    headers = token_for(university)
    created = client.post("/api/v1/patents", json={"application_number": "201710601862.3", "title": "一种钢筋混凝土轨枕"},
                          headers=headers)
    assert created.status_code == 201
    assert deferred_jobs.waiting >= 1  # the search drain is queued, not run
    with app.app_context():
        assert outbox.pending_counts().get("search") == 1
    assert deferred_jobs.drain() >= 1
    with app.app_context():
        assert outbox.pending_counts().get("search", 0) == 0


def test_identical_waiting_jobs_are_queued_once_and_failures_do_not_stop_the_queue(app, deferred_jobs):
    ran.clear()
    runner: JobRunner = app.extensions["jobs"]
    with app.app_context():
        assert runner.enqueue(remember, "a", 1) and runner.enqueue(remember, "a", 1) and runner.enqueue(remember, "b", 2)
        assert runner.enqueue(explode, "boom")
        assert runner.enqueue(remember, "c", 3)
    assert deferred_jobs.waiting == 4
    assert deferred_jobs.drain() == 4
    assert ran == [("a", 1), ("b", 2), ("c", 3)]


def test_the_thread_runs_jobs_in_order_inside_an_app_context(app):
    ran.clear()
    worker = InProcessWorker(app)
    worker.mode = "thread"
    for number in range(5):
        worker.submit(QueuedJob(remember, ("t", number), f"job-{number}"))
    worker.join()
    assert ran == [("t", n) for n in range(5)]
    assert worker._thread is not None and worker._thread.name == "inline-jobs"
    worker.stop()
    assert not worker._thread.is_alive()


@job(queue="default")
def remember_slowly(label: str, number: int) -> None:
    time.sleep(0.2)
    ran.append((label, number))


def test_a_cli_command_settles_its_jobs_before_it_exits(app, monkeypatch):
    """``flask seed-demo`` returned while its index and push jobs still ran in the daemon thread; at interpreter
    exit they failed (no new processes or threads) and waited for the next server's sweep."""
    from marketplace import cli
    from marketplace.core import jobs

    ran.clear()
    worker: InProcessWorker = app.extensions["jobs"].local
    monkeypatch.setattr(worker, "mode", "thread")
    with app.app_context():
        for number in range(3):
            worker.submit(QueuedJob(remember_slowly, ("cli", number), f"slow-{number}"))
        assert len(ran) < 3  # running in the background
        jobs.settle()
        assert ran == [("cli", n) for n in range(3)]
    worker.stop()
    settled: list[bool] = []
    monkeypatch.setattr(jobs, "settle", lambda: settled.append(True))
    monkeypatch.setattr("marketplace.demo.seed", lambda force: {})
    with app.app_context():
        assert app.test_cli_runner().invoke(cli.seed_demo).exit_code == 0
    assert settled == [True]


@pytest.mark.committed  # the drains run in threads of their own: the rows must really be committed
def test_concurrent_drains_handle_each_row_once(app):
    """Issue 11: on SQLite FOR UPDATE SKIP LOCKED is ignored, so parallel drains took the same rows (a push ran 11×)."""
    handled: list[int] = []
    lock = threading.Lock()

    def slow_handler(events):
        time.sleep(0.05)
        with lock:
            handled.extend(event.entity_id for event in events)

    outbox.register_consumer("test-once", {"test-once-entity"}, slow_handler, app=app)
    try:
        with app.app_context():
            outbox.record_changes("test-once-entity", range(1, 41))
            outbox.take_touched_consumers()
            db.session.commit()

        def drain() -> None:
            with app.app_context():
                outbox.drain("test-once", batch_size=5)
                db.session.remove()

        threads = [threading.Thread(target=drain) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(handled) == list(range(1, 41))  # every row once, none twice
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(OutboxEvent).where(
                OutboxEvent.consumer == "test-once", OutboxEvent.processed_at.is_(None))) == 0
    finally:
        outbox.unregister_consumer("test-once", app=app)


def test_a_claim_is_released_when_the_batch_fails(ctx):
    outbox.register_consumer("test-release", {"test-release-entity"}, lambda events: (_ for _ in ()).throw(OSError("down")))
    try:
        outbox.record_change("test-release-entity", 1)
        transaction.commit()  # the sync drain fails
        event = db.session.scalar(select(OutboxEvent).where(OutboxEvent.consumer == "test-release"))
        assert event.claimed_at is None and event.processed_at is None and event.attempts == 1
        assert outbox.claim("test-release", 10) == []  # backing off: jobs leave it
        assert outbox.claim("test-release", 10, due_only=False) == [event.id]  # a drain by hand takes it
        assert outbox.claim("test-release", 10, due_only=False) == []  # claimed rows are not handed out twice
    finally:
        outbox.unregister_consumer("test-release")


def test_a_job_meeting_a_write_conflict_is_run_again(app, monkeypatch):
    """Jobs write optimistically on SQLite (requests take the lock first); a conflict means: try again."""
    from sqlalchemy.exc import OperationalError

    from marketplace.core import jobs as jobs_module
    monkeypatch.setattr(jobs_module.time, "sleep", lambda seconds: None)
    tries: list[int] = []

    def conflicted() -> None:
        tries.append(1)
        if len(tries) < 3:
            raise OperationalError("UPDATE …", {}, Exception("database is locked"))

    def broken() -> None:
        tries.append(1)
        raise ValueError("a bug, not a conflict")

    with app.app_context():
        assert jobs_module.run_job(conflicted, (), "conflicted") is True and len(tries) == 3
        tries.clear()
        assert jobs_module.run_job(broken, (), "broken") is False and len(tries) == 1


def test_an_idle_thread_sweeps_what_was_left_behind(app, monkeypatch):
    """Without Redis nothing runs on a timer: the idle worker picks up rows a restart left pending."""
    swept = threading.Event()

    def sweep() -> None:
        swept.set()

    monkeypatch.setattr(InProcessWorker, "IDLE_SECONDS", 0.01)
    worker = InProcessWorker(app, idle_job=sweep)
    worker.mode = "thread"
    worker.submit(QueuedJob(remember, ("idle", 0), "idle-0"))
    try:
        assert swept.wait(30)
    finally:
        worker.stop()


def test_jobs_enqueued_by_a_background_job_run_inside_it(app):
    """A drain's push jobs run before its outbox rows are marked done: a restart cannot lose them."""
    ran.clear()
    worker = InProcessWorker(app)
    worker.mode = "thread"
    runner = JobRunner(None, worker)

    @job(queue="default")
    def parent() -> None:
        runner.enqueue(remember, "child", 1)
        ran.append(("parent done", worker.waiting))

    worker.submit(QueuedJob(parent, (), "parent"))
    worker.join()
    worker.stop()
    assert ran == [("child", 1), ("parent done", 0)]
