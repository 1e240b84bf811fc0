"""Pages: inbox with header badge, subscriptions, the match page, the owner's roll-up, /admin/jobs."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.core import outbox
from marketplace.core.models import OutboxEvent, utcnow
from marketplace.extensions import db
from marketplace.push.models import Message, Subscription
from marketplace.search.models import Match, MatchStatus


@pytest.fixture
def pushed_match(app, company, planter_need, subscribe, publish):
    subscribe(company)
    patent = publish(2)
    with app.app_context():
        return db.session.scalar(select(Match.id).where(Match.patent_id == patent.id))


def test_pages_need_sign_in(client):
    for path in ("/notifications", "/subscriptions", "/feedback", "/matches/1", "/admin/jobs"):
        assert client.get(path).status_code == 302


def test_inbox_badge_and_link_to_the_match(client, login, pushed_match, company):
    login(company)
    page = client.get("/notifications").get_data(as_text=True)
    assert 'data-unread="1"' in page and "新专利匹配您的需求" in page
    notification_id = page.split('data-notification-id="')[1].split('"')[0]
    assert f'action="/notifications/{notification_id}/open"' in page  # the entry is a button that posts
    landing = client.get(f"/notifications/{notification_id}")  # the e-mail's link: shown, still unread
    assert landing.status_code == 200 and 'data-read="0"' in landing.get_data(as_text=True)
    assert 'data-unread="1"' in client.get("/notifications").get_data(as_text=True)
    followed = client.post(f"/notifications/{notification_id}/open")
    assert followed.status_code == 302 and followed.location.endswith(f"/matches/{pushed_match}")
    match_page = client.get(f"/matches/{pushed_match}").get_data(as_text=True)
    assert "推送理由" in match_page and "锂离子电池" in match_page
    assert 'data-unread="0"' in match_page


def test_the_match_page_posts_viewed_once_shown(client, app, login, pushed_match, company, university):
    """GET shows the match unchanged; the page's background form moves it to 'viewed' (only for the company)."""
    login(university)
    assert "data-post-on-load" not in client.get(f"/matches/{pushed_match}").get_data(as_text=True)
    assert client.post(f"/matches/{pushed_match}/viewed").status_code == 302
    client.post("/logout")
    login(company)
    page = client.get(f"/matches/{pushed_match}").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Match, pushed_match).status == MatchStatus.PUSHED
    assert f'action="/matches/{pushed_match}/viewed" class="float-end" data-post-on-load' in page
    assert client.post(f"/matches/{pushed_match}/viewed").location.endswith(f"/matches/{pushed_match}")
    with app.app_context():
        assert db.session.get(Match, pushed_match).status == MatchStatus.VIEWED
    assert "data-post-on-load" not in client.get(f"/matches/{pushed_match}").get_data(as_text=True)


def test_mark_viewed_and_follow_need_the_csrf_token(client, app, login, pushed_match, company, request):
    login(company)
    notification_id = client.get("/notifications").get_data(as_text=True).split('data-notification-id="')[1] \
        .split('"')[0]
    request.getfixturevalue("csrf_app")
    assert client.post(f"/matches/{pushed_match}/viewed").status_code == 400
    assert client.post(f"/notifications/{notification_id}/open").status_code == 400
    page = client.get(f"/matches/{pushed_match}").get_data(as_text=True)
    token = page.split('data-post-on-load>')[1].split('value="')[1].split('"')[0]
    assert client.post(f"/matches/{pushed_match}/viewed", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(Match, pushed_match).status == MatchStatus.VIEWED


def test_feedback_and_message_forms(client, app, login, pushed_match, company, university):
    login(company)
    response = client.post(f"/matches/{pushed_match}/feedback", data={"status": "not_relevant", "reason": ""})
    assert response.status_code == 422 and "请选择不相关的原因" in response.get_data(as_text=True)
    assert client.post(f"/matches/{pushed_match}/feedback", data={"status": "interested"}).status_code == 302
    assert client.post(f"/matches/{pushed_match}/messages", data={"body": "锂" * 5001}).status_code == 422
    assert client.post(f"/matches/{pushed_match}/messages", data={"body": "我们想了解许可条件"}).status_code == 302
    with app.app_context():
        assert db.session.get(Match, pushed_match).status == MatchStatus.INTERESTED
        assert [m.body for m in db.session.scalars(select(Message))] == ["我们想了解许可条件"]
    client.post("/logout")
    login(university)
    owner_page = client.get(f"/matches/{pushed_match}").get_data(as_text=True)
    assert "我们想了解许可条件" in owner_page and "提交反馈" not in owner_page
    rollup = client.get("/feedback").get_data(as_text=True)
    assert "锂离子电池新能源应用在插秧机上的动力装置" in rollup and 'data-patent-id="' in rollup


def test_other_organisations_get_404(client, login, pushed_match, other_university):
    login(other_university)
    assert client.get(f"/matches/{pushed_match}").status_code == 404
    assert client.post(f"/matches/{pushed_match}/messages", data={"body": "hi"}).status_code == 404
    assert client.get("/notifications/1").status_code == 404


def test_subscription_page_creates_and_deletes(client, app, login, company):
    login(company)
    assert "新增订阅" in client.get("/subscriptions").get_data(as_text=True)
    bad = client.post("/subscriptions", data={"segments": ["TM-NOPE"]})
    assert bad.status_code == 200 and "未知的产业领域" in bad.get_data(as_text=True)
    assert client.post("/subscriptions", data={"segments": ["TM-F1"], "min_grade": "B"}).status_code == 302
    with app.app_context():
        subscription_id = db.session.scalar(select(Subscription.id))
    assert client.post("/subscriptions/email", data={"email_mode": "immediate"}).status_code == 302
    assert 'selected value="immediate"' in client.get("/subscriptions").get_data(as_text=True)
    assert client.post(f"/subscriptions/{subscription_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Subscription.id)) is None


def test_admin_jobs_page_is_for_platform_admins(client, app, login, company, platform_admin):
    login(company)
    assert client.get("/admin/jobs").status_code == 404
    client.post("/logout")
    with app.app_context():
        db.session.add(OutboxEvent(consumer="push", entity_type="patent", entity_id=999999, attempts=2,
                                   last_error="SearchUnavailable: down"))
        db.session.commit()
    login(platform_admin)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "SearchUnavailable: down" in page and "outbox-sweep" in page
    assert client.post("/admin/jobs/outbox/push/drain").status_code == 302
    with app.app_context():
        assert outbox.pending_counts().get("push", 0) == 0  # a deleted patent: nothing to push, row processed
    assert client.post("/admin/jobs/outbox/nope/drain").status_code == 404


def test_admin_jobs_page_lists_the_dead_letter_and_re_runs_it(client, app, login, company, platform_admin):
    with app.app_context():
        db.session.add(OutboxEvent(consumer="push", entity_type="patent", entity_id=999998, attempts=8,
                                   last_error="PushNotEnqueued: redis down", dead_at=utcnow()))
        db.session.commit()
    login(company)
    assert client.post("/admin/jobs/outbox/push/revive").status_code == 404
    client.post("/logout")
    login(platform_admin)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert 'data-dead-consumer="push"' in page and "PushNotEnqueued: redis down" in page
    assert client.post("/admin/jobs/outbox/push/revive").status_code == 302
    with app.app_context():
        row = db.session.scalar(select(OutboxEvent).where(OutboxEvent.entity_id == 999998))
        assert row.dead_at is None and row.processed_at is not None  # re-run: a deleted patent, nothing to push
        assert outbox.dead_letters() == []
    assert "data-dead-consumer" not in client.get("/admin/jobs").get_data(as_text=True)
    assert client.post("/admin/jobs/outbox/nope/revive").status_code == 404
