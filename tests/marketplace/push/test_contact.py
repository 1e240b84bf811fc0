"""Contact the owner from any published patent: a thread per patent and organisation, both sides answer,
nobody else reads it, and each user's contact messages are rate-limited."""
from __future__ import annotations

import pytest

from marketplace.push import contact
from tests import factories


@pytest.fixture
def listed(app, university):
    with app.app_context():
        return factories.make_patent(university, publish=True)


def test_a_company_contacts_the_owner_without_a_match_and_the_owner_answers(app, client, login, listed, company,
                                                                           university):
    login(company)
    page = client.get(f"/patents/{listed.id}").get_data(as_text=True)
    assert f"/patents/{listed.id}/contact" in page
    assert client.get(f"/patents/{listed.id}/contact").status_code == 200
    response = client.post(f"/patents/{listed.id}/contact", data={"body": "贵校这项专利可以许可吗？"})
    assert response.status_code == 302 and "/threads/" in response.location
    thread_url = response.location.split("#")[0]
    assert client.get(f"/patents/{listed.id}/contact").location.endswith(thread_url.split("localhost")[-1])
    client.post("/logout")
    login(university)
    inbox = client.get("/api/v1/notifications").get_json()["items"]
    assert any("贵校这项专利可以许可吗" in n["body"] for n in inbox)
    notification = next(n for n in inbox if "贵校这项专利" in n["body"])
    assert client.post(f"/notifications/{notification['id']}/open").location.endswith(thread_url.split("localhost")[-1])
    assert "贵校这项专利可以许可吗" in client.get(thread_url).get_data(as_text=True)
    assert client.post(thread_url, data={"body": "可以，欢迎来访。"}).status_code == 302
    assert client.get(f"/patents/{listed.id}/contact").status_code == 403  # its own patent
    client.post("/logout")
    login(company)
    assert "可以，欢迎来访。" in client.get(thread_url).get_data(as_text=True)


def test_nobody_else_reads_or_writes_the_thread(app, client, login, listed, company, other_university, token_for):
    response = client.post(f"/api/v1/patents/{listed.id}/contact", headers=token_for(company),
                           json={"body": "询价"})
    assert response.status_code == 201
    thread_id = response.get_json()["thread_id"]
    assert client.get(f"/api/v1/threads/{thread_id}", headers=token_for(company)).get_json()["messages"][0]["body"] == "询价"
    headers = token_for(other_university)
    assert client.get(f"/api/v1/threads/{thread_id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/threads/{thread_id}/messages", headers=headers, json={"body": "x"}).status_code == 404
    login(other_university)
    assert client.get(f"/threads/{thread_id}").status_code == 404


def test_only_published_patents_can_be_contacted(app, client, university, company, token_for):
    with app.app_context():
        draft = factories.make_patent(university)
    response = client.post(f"/api/v1/patents/{draft.id}/contact", headers=token_for(company), json={"body": "x"})
    assert response.status_code == 404
    response = client.post("/api/v1/patents/999999/contact", headers=token_for(company), json={"body": "x"})
    assert response.status_code == 404


def test_each_user_writes_a_bounded_number_of_contact_messages_an_hour(app, client, listed, company, token_for):
    headers = token_for(company)
    for n in range(contact.HOURLY_LIMIT):
        assert client.post(f"/api/v1/patents/{listed.id}/contact", headers=headers,
                           json={"body": f"第 {n} 条"}).status_code == 201
    refused = client.post(f"/api/v1/patents/{listed.id}/contact", headers=headers, json={"body": "再一条"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    with app.app_context():
        colleague = factories.add_member(company)
    assert client.post(f"/api/v1/patents/{listed.id}/contact", headers=token_for(colleague),
                       json={"body": "同事的消息"}).status_code == 201  # the limit is per user


def test_an_empty_message_is_refused_under_its_field(client, login, listed, company):
    login(company)
    response = client.post(f"/patents/{listed.id}/contact", data={"body": "  "})
    assert response.status_code == 422

