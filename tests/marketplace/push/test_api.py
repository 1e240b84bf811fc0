"""API: subscriptions, notifications, feedback and messages — access rules and bad input."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.push.models import MatchFeedback, Message, Subscription
from marketplace.search.models import Match, MatchStatus


@pytest.fixture
def pushed_match(app, company, planter_need, subscribe, publish):
    subscribe(company)
    patent = publish(2)
    with app.app_context():
        match_id = db.session.scalar(select(Match.id).where(Match.patent_id == patent.id))
    return match_id, patent


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_subscriptions_create_list_delete(client, app, company, university, token_for):
    headers = token_for(company)
    created = client.post("/api/v1/subscriptions", json={"segments": ["TM-F1"], "keywords": ["锂电池"],
                                                          "modes": ["license"]}, headers=headers)
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["target"], body["segments"], body["keywords"]) == ("patents", ["TM-F1"], ["锂电池"])
    assert [s["id"] for s in client.get("/api/v1/subscriptions", headers=headers).json] == [body["id"]]
    assert client.get("/api/v1/subscriptions", headers=token_for(university)).json == []
    assert client.delete(f"/api/v1/subscriptions/{body['id']}", headers=token_for(university)).status_code == 404
    assert client.delete(f"/api/v1/subscriptions/{body['id']}", headers=headers).status_code == 204
    assert count(app, Subscription) == 0


def test_unknown_segment_is_refused_by_name(client, app, company, token_for):
    response = client.post("/api/v1/subscriptions", json={"segments": ["TM-NOPE"]}, headers=token_for(company))
    assert response.status_code == 422 and "segments" in response.json["fields"]
    assert count(app, Subscription) == 0


def test_writes_need_a_token(client, company, login):
    login(company)
    assert client.post("/api/v1/subscriptions", json={"segments": ["TM-F1"]}).status_code == 401
    assert client.get("/api/v1/subscriptions").status_code == 200  # reading with the session is fine


def test_notifications_show_the_push_with_its_explanation(client, pushed_match, company, other_university, token_for):
    match_id, _patent = pushed_match
    headers = token_for(company)
    page = client.get("/api/v1/notifications", headers=headers).json
    assert page["unread"] == 1 and page["meta"]["total"] == 1
    [item] = page["items"]
    assert item["kind"] == "match_pushed" and item["match_id"] == match_id and item["read"] is False
    assert "TM-F1" in item["data"]["explanation"]["shared_segments"]
    assert client.get("/api/v1/notifications", headers=token_for(other_university)).json["items"] == []
    assert client.post(f"/api/v1/notifications/{item['id']}/read",
                       headers=token_for(other_university)).status_code == 404
    assert client.post(f"/api/v1/notifications/{item['id']}/read", headers=headers).json["read"] is True
    assert client.post("/api/v1/notifications/read-all", headers=headers).json == {"marked": 0}
    assert client.get("/api/v1/notifications?unread=true", headers=headers).json["items"] == []


def test_feedback_and_messages(client, app, pushed_match, company, university, token_for):
    match_id, patent = pushed_match
    company_headers, owner_headers = token_for(company), token_for(university)
    assert client.post(f"/api/v1/matches/{match_id}/viewed", headers=owner_headers).json["status"] == "pushed"
    assert client.post(f"/api/v1/matches/{match_id}/viewed", headers=company_headers).json == \
        {"id": match_id, "status": "viewed"}
    response = client.post(f"/api/v1/matches/{match_id}/feedback", json={"status": "interested"},
                           headers=company_headers)
    assert response.status_code == 201 and response.json["status"] == "interested"
    owner_inbox = client.get("/api/v1/notifications", headers=owner_headers).json["items"]
    assert [n["kind"] for n in owner_inbox] == ["interest"]
    sent = client.post(f"/api/v1/matches/{match_id}/messages", json={"body": "欢迎来校洽谈"}, headers=owner_headers)
    assert sent.status_code == 201
    thread = client.get(f"/api/v1/matches/{match_id}/messages", headers=company_headers).json
    assert [m["body"] for m in thread] == ["欢迎来校洽谈"] and thread[0]["organisation_id"] == university.organisation_id
    rollup = client.get(f"/api/v1/patents/{patent.id}/feedback", headers=owner_headers).json
    assert rollup["pushed"] == 1 and rollup["statuses"] == {"interested": 1}
    assert client.get(f"/api/v1/patents/{patent.id}/feedback", headers=company_headers).status_code == 404


def test_bad_feedback_and_messages_change_nothing(client, app, pushed_match, company, other_university, token_for):
    match_id, _patent = pushed_match
    headers = token_for(company)
    stranger = client.post(f"/api/v1/matches/{match_id}/feedback", json={"status": "interested"},
                           headers=token_for(other_university))
    assert stranger.status_code == 404
    bad_reason = client.post(f"/api/v1/matches/{match_id}/feedback", json={"status": "not_relevant", "reason": "ugly"},
                             headers=headers)
    assert bad_reason.status_code == 422 and "reason" in bad_reason.json["fields"]
    long = client.post(f"/api/v1/matches/{match_id}/messages", json={"body": "锂" * 5001}, headers=headers)
    assert long.status_code == 422 and "body" in long.json["fields"]
    assert "最多 5000 字（现 5001 字）" in long.json["message"] and "characters" not in long.json["message"]
    english = client.post(f"/api/v1/matches/{match_id}/messages", json={"body": "x" * 5001},
                          headers={**headers, "Accept-Language": "en"})
    assert "At most 5000 characters (now 5001)" in english.json["message"] and "字" not in english.json["message"]
    assert client.get(f"/api/v1/matches/{match_id}/messages", headers=token_for(other_university)).status_code == 404
    assert count(app, MatchFeedback) == 0 and count(app, Message) == 0
    with app.app_context():
        assert db.session.get(Match, match_id).status == MatchStatus.PUSHED


def test_openapi_documents_the_push_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/subscriptions", "/api/v1/notifications", "/api/v1/matches/{match_id}/feedback",
                 "/api/v1/matches/{match_id}/messages", "/api/v1/notifications/read-all"):
        assert path in paths
