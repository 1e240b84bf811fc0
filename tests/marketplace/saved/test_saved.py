"""Saved searches: save from the search page, list, rename, delete; new results on the list and the home;
daily alerts by e-mail to the owner only; nobody else ever sees them."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core import transaction
from marketplace.extensions import db
from marketplace.core.models import utcnow
from tests import factories


@pytest.fixture
def publish(app, university):
    """``publish(index, **overrides)``: a real battery patent of the university, granted, in TM-F1, published."""
    battery = factories.load_fixture("battery_patents.jsonl")

    def make(index: int, **overrides) -> factories.PatentRef:
        with app.test_request_context():
            values = {"segments": ["TM-F1"], "grade": "A", "legal_status": "granted", "publish": True, **overrides}
            return factories.make_patent(university, battery[index], **values)
    return make


def saved_ids(client, headers) -> list[int]:
    return [s["id"] for s in client.get("/api/v1/saved-searches", headers=headers).get_json()]


def test_a_saved_search_shows_results_published_since_on_its_list_and_the_home(app, client, login, company,
                                                                               publish):
    before = publish(0)
    login(company)
    response = client.post("/saved-searches", data={"name": "电池", "q": "", "segment": ["TM-F1"],
                                                    "alerts": "y", "page": "3"})
    assert response.status_code == 302 and response.location.endswith("/saved-searches")
    assert "电池" in client.get("/saved-searches").get_data(as_text=True)
    publish(1)  # in the search: new
    publish(2, segments=["TM-H1"])  # another segment: not in the search
    page = client.get("/saved-searches").get_data(as_text=True)
    assert 'data-new="1"' in page
    home = client.get("/api/v1/home").get_json()
    news = next(s for s in home["sections"] if s["key"] == "saved_searches")
    assert news["count"] == 1 and news["items"][0]["label"] == "电池"
    listed = client.get("/api/v1/saved-searches").get_json()
    assert listed[0]["filters"] == {"segment": ["TM-F1"]} and len(listed[0]["new_results"]) == 1
    assert before.id not in listed[0]["new_results"]
    opened = client.post(f"/saved-searches/{listed[0]['id']}/open")
    assert opened.status_code == 302 and "segment=TM-F1" in opened.location and "page" not in opened.location
    assert 'data-new="' not in client.get("/saved-searches").get_data(as_text=True)
    assert client.get("/api/v1/saved-searches").get_json()[0]["new_results"] == []


def test_rename_switch_alerts_and_delete(client, login, company, token_for):
    headers = token_for(company)
    created = client.post("/api/v1/saved-searches", headers=headers,
                          json={"q": "锂电池", "filters": {"grade": ["A"], "unknown": ["x"]}})
    assert created.status_code == 201
    body = created.get_json()
    assert body["name"] == "锂电池" and body["filters"] == {"grade": ["A"]} and body["alerts"] is True
    assert "q=%E9%94%82" in body["search_url"] and "grade=A" in body["search_url"]
    changed = client.patch(f"/api/v1/saved-searches/{body['id']}", headers=headers,
                           json={"name": "正极材料", "alerts": False}).get_json()
    assert changed["name"] == "正极材料" and changed["alerts"] is False
    login(company)
    client.post(f"/saved-searches/{body['id']}/edit", data={f"s{body['id']}-name": "电池回收",
                                                          f"s{body['id']}-alerts": "y"})
    assert client.get(f"/api/v1/saved-searches/{body['id']}", headers=headers).get_json()["name"] == "电池回收"
    assert client.post(f"/saved-searches/{body['id']}/delete").status_code == 302
    assert saved_ids(client, headers) == []


def test_only_the_owner_sees_or_changes_its_saved_searches(app, client, login, company, token_for):
    with app.app_context():
        colleague = factories.add_member(company)
        stranger = factories.make_user("company")
    created = client.post("/api/v1/saved-searches", headers=token_for(company), json={"name": "我的检索", "q": "电池"})
    saved_id = created.get_json()["id"]
    for other in (colleague, stranger):
        headers = token_for(other)
        assert saved_ids(client, headers) == []
        assert client.get(f"/api/v1/saved-searches/{saved_id}", headers=headers).status_code == 404
        assert client.patch(f"/api/v1/saved-searches/{saved_id}", headers=headers, json={"name": "x"}).status_code == 404
        assert client.delete(f"/api/v1/saved-searches/{saved_id}", headers=headers).status_code == 404
        login(other)
        assert "我的检索" not in client.get("/saved-searches").get_data(as_text=True)
        assert "我的检索" not in client.get("/home").get_data(as_text=True)
        for action in ("open", "delete", "edit"):
            assert client.post(f"/saved-searches/{saved_id}/{action}", data={f"s{saved_id}-name": "x"}).status_code == 404
        client.post("/logout")
    assert saved_ids(client, token_for(company)) == [saved_id]
    assert client.get("/api/v1/saved-searches").status_code == 401


def test_a_search_the_search_page_refuses_is_not_saved(client, company, token_for):
    headers = token_for(company)
    response = client.post("/api/v1/saved-searches", headers=headers, json={"filters": {"sort": ["bogus"]}})
    assert response.status_code == 422 and "sort" in response.get_json()["fields"]
    response = client.post("/api/v1/saved-searches", headers=headers, json={"name": "名" * 101})
    assert response.status_code == 422 and "name" in response.get_json()["fields"]
    assert saved_ids(client, headers) == []


def test_alerts_mail_the_owner_once_a_day_and_run_without_redis(app, client, company, token_for, publish,
                                                               monkeypatch):
    from marketplace.core.scheduler import EmbeddedScheduler
    from marketplace.saved import services

    sent: list[tuple[str, str, str]] = []
    monkeypatch.setattr(services, "queue_mail", lambda to, subject, body: sent.append((to, subject, body)))
    headers = token_for(company)
    client.post("/api/v1/saved-searches", headers=headers, json={"name": "电池", "filters": {"segment": ["TM-F1"]}})
    quiet = client.post("/api/v1/saved-searches", headers=headers,
                        json={"name": "不提醒", "filters": {"segment": ["TM-F1"]}, "alerts": False})
    assert quiet.status_code == 201
    patent = publish(1)
    scheduler = EmbeddedScheduler(app, clock=lambda: 0.0)
    assert "saved-search-alerts" in scheduler.run_due()
    assert len(sent) == 1
    to, subject, body = sent[0]
    with app.app_context():
        title = patent.load().title
    assert to == company.email and "电池" in subject and title in body
    with app.test_request_context():
        assert services.send_alerts() == 0  # once a day
        assert services.send_alerts(utcnow() + timedelta(days=1, minutes=1)) == 0  # nothing new since
        transaction.rollback()
    publish(3)
    with app.test_request_context():
        assert services.send_alerts(utcnow() + timedelta(days=1, minutes=1)) == 1
        transaction.rollback()
    with app.app_context():  # a reader of English gets the alert in English, although the job runs without a request
        from marketplace.accounts.models import User
        db.session.get(User, company.id).locale = "en"
        db.session.commit()
    publish(4)
    with app.app_context():
        assert services.send_alerts(utcnow() + timedelta(days=1, minutes=1)) == 1
        assert sent[-1][1].startswith("[Patent Matchmaking Platform]") and "电池" in sent[-1][1]
