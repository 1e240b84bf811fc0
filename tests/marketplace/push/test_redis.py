"""End to end on a real Redis with real RQ worker processes.

The module starts one ``redis-server`` on a free port (emptied before each
test, killed at the end; a test may stop and restart it to simulate an outage)
and runs ``flask worker --burst`` subprocesses on the suite's database (a
SQLite file, or PostgreSQL with ``DATABASE_URL``), so publishing, the outbox,
the queues and the push jobs run exactly as in production. Redis tests commit
for real (the workers must see the rows): see tests/README.md.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

import marketplace
from marketplace.core import outbox, transaction
from marketplace.core.jobs import QUEUES, jobs
from marketplace.core.models import OutboxEvent
from marketplace.core.scheduler import enqueue_due, periodic_jobs
from marketplace.extensions import db
from marketplace.patents import services as patents
from marketplace.push import services
from marketplace.push.models import Notification, NotificationKind
from marketplace.search.models import Match
from tests import factories
from tests.conftest import require_service
from tests.marketplace.push.conftest import PLANTER_NEED
from tests.marketplace.push.worker_app import explode

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[3]
FLASK = [sys.executable, "-m", "flask", "--app", "tests.marketplace.push.worker_app"]
FITTING = (2, 3, 4)  # power devices of planters (lithium battery; diesel + wind/solar) and of a seedling thrower


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throw-away redis-server this test owns; ``stop``/``start`` simulate an outage on the same port."""

    def __init__(self, binary: str) -> None:
        self.binary, self.port, self.process = binary, _free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30  # a loaded CI machine can be slow to start it
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="module")
def _module_redis():
    """One redis-server for the module's tests (started once, stopped at the end)."""
    binary = shutil.which("redis-server")
    if binary is None:
        require_service("Redis", "redis-server is not installed")
    server = RedisServer(binary)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(_module_redis):
    """The module's redis-server, running and empty when the test starts (a test may stop and restart it)."""
    from redis import Redis
    if _module_redis.process is None:
        _module_redis.start()
    with Redis.from_url(_module_redis.url) as connection:
        connection.flushall()
    return _module_redis


@pytest.fixture
def rq_app(app, redis_server):
    """A second app on the suite's database whose jobs go to the test's Redis."""
    settings = app.config["SETTINGS"].replace(redis_url=redis_server.url)
    application = marketplace.create_app({"SETTINGS": settings, "TESTING": True, "WTF_CSRF_ENABLED": False,
                                          "SERVER_NAME": "localhost"})
    yield application
    backend = application.extensions.get("search")
    if backend is not None:
        backend.close()


def run_flask(app, redis_server, *args: str) -> subprocess.CompletedProcess:
    """A ``flask`` command in a subprocess on this test's database, index and Redis."""
    settings = app.config["SETTINGS"]
    env = {**os.environ, "PUSH_TEST_INSTANCE": str(settings.instance_path), "REDIS_URL": redis_server.url,
           "PUSH_TEST_INDEX_PREFIX": settings.es_index_prefix}
    result = subprocess.run([*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def work(app, redis_server) -> str:
    """Run a burst worker until every queue is empty; returns its log."""
    return run_flask(app, redis_server, "worker", "--burst").stderr


def pushes(app, organisation_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        rows = db.session.execute(select(Notification.match_id, Notification.title).where(
            Notification.organisation_id == organisation_id, Notification.kind == NotificationKind.MATCH_PUSHED))
        return sorted((match_id, title) for match_id, title in rows)


def publish(rq_app, university, record, **overrides) -> int:
    with rq_app.test_request_context():
        ref = factories.make_patent(university, record, segments=["TM-F1"], grade="A", legal_status="granted",
                                    publish=True, **overrides)
        return ref.id


def test_university_publishes_worker_pushes_company_sees_it(app, rq_app, redis_server, client, company, university,
                                                             battery, token_for):
    with rq_app.test_request_context():
        services.subscribe(company.load(), {"segments": ["TM-F1"]})
        transaction.commit()
        factories.make_need(company, **PLANTER_NEED)
        assert not jobs().inline and jobs().queue("index").count > 0  # the commit enqueued, nothing ran here
    publish(rq_app, university, battery[2])
    assert pushes(app, company.organisation_id) == []
    log = work(app, redis_server)
    assert "[job push-patent-" in log and "pushed 1 matches" in log
    [(match_id, title)] = pushes(app, company.organisation_id)
    assert title == "新专利匹配您的需求：锂离子电池新能源应用在插秧机上的动力装置"
    inbox = client.get("/api/v1/notifications", headers=token_for(company)).json
    assert inbox["unread"] == 1 and inbox["items"][0]["match_id"] == match_id
    assert "TM-F1" in inbox["items"][0]["data"]["explanation"]["shared_segments"]


def test_redis_down_at_commit_loses_nothing_and_delivers_once(app, rq_app, redis_server, company, university,
                                                               battery, subscribe, planter_need):
    subscribe(company)
    redis_server.stop()
    published = [publish(rq_app, university, battery[i]) for i in FITTING]  # writes succeed without Redis
    with app.app_context():
        assert outbox.pending_counts().get("push", 0) >= len(FITTING)
    redis_server.start()
    relay = run_flask(app, redis_server, "outbox", "drain")  # what the outbox-sweep job does every minute
    assert "push: " in relay.stdout
    work(app, redis_server)
    delivered = pushes(app, company.organisation_id)
    assert len(delivered) == len(FITTING) == len({m for m, _t in delivered})
    with app.app_context():
        assert outbox.pending_counts() == {}
        db.session.execute(update(OutboxEvent).values(processed_at=None))  # replay everything
        db.session.commit()
    run_flask(app, redis_server, "outbox", "drain")
    work(app, redis_server)
    assert pushes(app, company.organisation_id) == delivered  # exactly once, even replayed
    with app.app_context():
        assert set(db.session.scalars(select(Match.patent_id).where(Match.pushed_at.is_not(None)))) == set(published)


def _waiting_drains(rq_app) -> list[str]:
    """The consumers of the drain jobs waiting on the queues, one entry per job."""
    with rq_app.app_context():
        return sorted(job.args[0] for name in QUEUES for job in jobs().queue(name).get_jobs()
                      if job.func_name == "marketplace.core.transaction.drain_outbox")


def test_commits_while_a_drain_waits_queue_no_other_and_each_row_is_consumed_once(app, rq_app, redis_server, company,
                                                                                   university, battery, subscribe,
                                                                                   planter_need):
    subscribe(company)
    published = [publish(rq_app, university, battery[i]) for i in FITTING]  # three commits
    assert _waiting_drains(rq_app) == ["push", "search"]  # one waiting drain per consumer, not one per commit
    work(app, redis_server)
    delivered = pushes(app, company.organisation_id)
    assert len(delivered) == len(FITTING) == len({m for m, _t in delivered})
    with app.app_context():
        assert outbox.pending_counts() == {}
        rows = db.session.execute(select(OutboxEvent.entity_id, OutboxEvent.processed_at, OutboxEvent.attempts).where(
            OutboxEvent.consumer == "push", OutboxEvent.entity_type == "patent")).all()
        assert {patent for patent, _at, _tries in rows} == set(published)
        assert all(at is not None and tries == 0 for _patent, at, tries in rows)
        assert set(db.session.scalars(select(Match.patent_id).where(Match.pushed_at.is_not(None)))) == set(published)
    with rq_app.test_request_context():  # the drains started: the next commit queues them again
        patents.set_published(university.load(), [published[0]], False)
        transaction.commit()
    assert _waiting_drains(rq_app) == ["push", "search"]


def test_unpublish_republish_while_redis_flaps(app, rq_app, redis_server, company, university, battery, subscribe,
                                               planter_need):
    subscribe(company)
    patent_id = publish(rq_app, university, battery[2])
    redis_server.stop()
    with rq_app.test_request_context():
        patents.set_published(university.load(), [patent_id], False)
        transaction.commit()
        patents.set_published(university.load(), [patent_id], True)
        transaction.commit()
    redis_server.start()
    run_flask(app, redis_server, "outbox", "drain")
    work(app, redis_server)
    assert len(pushes(app, company.organisation_id)) == 1


def test_a_new_subscription_gets_its_welcome_digest_from_the_worker(app, rq_app, redis_server, company, university,
                                                                    battery):
    for index in FITTING:
        publish(rq_app, university, battery[index])
    work(app, redis_server)  # the publications' own drains and pushes (nobody subscribed yet)
    with rq_app.test_request_context():
        services.subscribe(company.load(), {"segments": ["TM-F1"]})
        transaction.commit()  # enqueues the drain; nothing runs in this process
    with app.app_context():
        assert db.session.scalars(select(Notification).where(
            Notification.organisation_id == company.organisation_id)).all() == []
    log = work(app, redis_server)
    assert "welcome digest with 3 items" in log
    with app.app_context():
        [digest] = db.session.scalars(select(Notification).where(
            Notification.organisation_id == company.organisation_id)).all()
        assert digest.kind == NotificationKind.DIGEST and digest.data["total"] == len(FITTING)


def test_scheduler_enqueues_each_periodic_job_once_per_interval(rq_app, redis_server):
    with rq_app.app_context():
        runner = jobs()
        assert sorted(enqueue_due(runner)) == [p.name for p in periodic_jobs()]
        assert enqueue_due(runner) == []  # a second worker, or the next tick: nothing due
        # digests, need expiry, saved-search alerts, royalty reminders
        assert runner.queue("index").count == 1 and runner.queue("digest").count == 4


def test_failed_jobs_page_lists_and_requeues(app, rq_app, redis_server, platform_admin):
    with rq_app.app_context():
        assert jobs().enqueue(explode, "boom", job_id="explode-test")
    work(app, redis_server)
    client = rq_app.test_client()
    response = client.post("/login", data={"email": platform_admin.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "explode-test" in page and "RuntimeError: boom" in page
    assert client.post("/admin/jobs/explode-test/requeue").status_code == 302
    with rq_app.app_context():
        assert jobs().queue("default").job_ids == ["explode-test"] and jobs().failed_jobs() == []
    assert client.post("/admin/jobs/unknown/requeue").status_code == 404


def test_health_of_the_queue_follows_redis(rq_app, redis_server):
    with rq_app.app_context():
        assert jobs().ping()["status"] == "ok"
        redis_server.stop()
        assert jobs().ping()["status"] == "unavailable"
        assert jobs().enqueue(explode, "never queued") is False



def test_an_idle_worker_keeps_waiting_for_jobs(rq_app, redis_server):
    """The worker waits for jobs longer than the 5-s socket timeout of the app's Redis connection: it quit
    with "Redis connection timeout" when its blocking pop ran on a socket of that connection's pool."""
    from marketplace.core.worker import make_worker
    with rq_app.app_context():
        jobs().connection.ping()  # the app's pool now holds an idle socket with the 5-s timeout
        worker = make_worker(rq_app, ["default"])
        assert worker.dequeue_job_and_maintain_ttl(7, max_idle_time=7) is None  # 7 s idle, no TimeoutError
        assert jobs().enqueue(explode, "after a wait", job_id="explode-after-idle")
        job, queue = worker.dequeue_job_and_maintain_ttl(7, max_idle_time=7)
        assert job.id == "explode-after-idle" and queue.name == "default"
