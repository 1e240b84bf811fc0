"""A new subscription hears once of its segments' existing stock; digests run on a timer without Redis."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

import marketplace

from marketplace.core import outbox, transaction
from marketplace.core.models import OutboxEvent
from marketplace.core.scheduler import EmbeddedScheduler, start_embedded_scheduler
from marketplace.extensions import db
from marketplace.push import backlog
from marketplace.push.models import DigestEntry, Notification, NotificationKind
from tests import factories


def inbox(organisation_id: int) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.organisation_id == organisation_id)
                                   .order_by(Notification.id)))


def test_existing_stock_arrives_as_one_digest_not_a_flood(ctx, company, university, subscribe, publish):
    published = [publish(i) for i in (2, 4, 7)]
    publish(3, grade="B")  # below the subscription's grade filter
    factories.make_patent(university, factories.load_fixture("battery_patents.jsonl")[5], segments=["TM-F1"])  # draft
    subscribe(company, min_grade="A")
    [digest] = inbox(company.organisation_id)
    assert digest.kind == NotificationKind.DIGEST and digest.match_id is None
    assert digest.data["total"] == 3
    assert sorted(e["id"] for e in digest.data["entries"]) == sorted(p.id for p in published)
    assert digest.title == "订阅已生效：能源与节能/新能源 领域现有专利 3 件"
    assert "锂离子电池新能源应用在插秧机上的动力装置" in digest.body


def test_the_welcome_digest_is_sent_once_even_when_replayed(ctx, company, subscribe, publish):
    publish(2)
    subscribe(company)
    db.session.execute(update(OutboxEvent).where(OutboxEvent.consumer == backlog.CONSUMER).values(processed_at=None))
    transaction.commit()
    outbox.drain(backlog.CONSUMER)
    assert len(inbox(company.organisation_id)) == 1


def test_parent_segment_and_own_patents(ctx, company, university, subscribe, publish):
    publish(2, owner=company)  # the company's own listing is not news to it
    publish(4)
    subscribe(company, segments=["TM-F"])  # the parent of TM-F1
    [digest] = inbox(company.organisation_id)
    assert digest.data["total"] == 1


def test_nothing_in_the_segment_sends_nothing(ctx, company, subscribe, publish):
    publish(2)
    subscribe(company, segments=["TM-E1"])
    assert inbox(company.organisation_id) == []


def test_a_university_hears_of_the_needs_already_listed(ctx, company, university, subscribe, planter_need):
    subscribe(university)
    [digest] = inbox(university.organisation_id)
    assert digest.data["entries"] == [{"type": "need", "id": planter_need, "title": "插秧机锂离子电池动力装置"}]


# --- the embedded scheduler (``make run`` without Redis) ------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_digests_run_on_a_timer_without_redis(app, company, university, subscribe, publish, monkeypatch):
    with app.test_request_context():
        subscribe(company)
        publish(2, grade="A")  # published after the subscription with no fitting need: a digest entry
        assert db.session.scalar(select(DigestEntry.id).where(DigestEntry.sent_at.is_(None))) is not None
    monkeypatch.setattr("marketplace.push.notify.utcnow",
                        lambda: datetime(2026, 12, 2, 2, 0))  # 10:00 in China: digests are due
    clock = Clock()
    scheduler = EmbeddedScheduler(app, clock)
    assert "daily-digest" in scheduler.run_due()
    with app.app_context():
        digests = [n for n in inbox(company.organisation_id) if n.dedupe_key.startswith("digest:")]
        assert len(digests) == 1 and digests[0].title.startswith("领域订阅日报 2026-12-02")
        assert db.session.scalar(select(DigestEntry.id).where(DigestEntry.sent_at.is_(None))) is None
    assert scheduler.run_due() == []  # nothing is due again before its interval
    clock.now += timedelta(hours=1).total_seconds()
    assert scheduler.run_due() == ["console-rollup", "daily-digest", "outbox-sweep"]


def test_the_embedded_scheduler_stays_off_in_tests_and_with_redis(app):
    assert start_embedded_scheduler(app) is None  # TESTING
    with_redis = marketplace.create_app({"SETTINGS": app.config["SETTINGS"].replace(redis_url="redis://127.0.0.1:1/0")})
    inline = marketplace.create_app({"SETTINGS": app.config["SETTINGS"]})
    try:
        assert start_embedded_scheduler(with_redis) is None  # ``flask worker`` schedules there
        assert isinstance(start_embedded_scheduler(inline), EmbeddedScheduler)  # ``make run``
    finally:
        for other in (with_redis, inline):
            if other.extensions.get("search") is not None:
                other.extensions["search"].close()
