"""The brokering agency in a thread: it asks to join, reads nothing until both parties consented through their own
accounts, then reads and writes; either party removes it. Agencies that broker nothing never learn of the thread."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.consents.models import Consent, Proposal
from marketplace.extensions import db
from marketplace.push.models import Notification, ThreadMember
from tests import factories


@pytest.fixture
def thread_id(app, client, university, company, agency, token_for):
    """The company wrote to the university about its published patent; the company accepted the agency."""
    with app.test_request_context():
        patent = factories.make_patent(university, publish=True)
        factories.authorise_agency(agency, company)
    response = client.post(f"/api/v1/patents/{patent.id}/contact", headers=token_for(company),
                           json={"body": "贵校这项专利可以许可吗？"})
    assert response.status_code == 201
    return response.get_json()["thread_id"]


def _consent_of(app, organisation_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(Consent.id).join(Proposal).where(
            Proposal.act == "thread_agency", Consent.organisation_id == organisation_id, Consent.decision == "pending"))


def _reads(client, headers, thread_id: int) -> bool:
    response = client.get(f"/api/v1/threads/{thread_id}", headers=headers)
    assert response.status_code in (200, 404)
    return response.status_code == 200


def test_the_agency_reads_the_thread_only_once_both_parties_consented(app, client, login, thread_id, university,
                                                                       company, agency, token_for):
    agency_headers = token_for(agency)
    assert not _reads(client, agency_headers, thread_id)
    login(agency)
    page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert "请求加入对话" in page and "贵校这项专利可以许可吗" not in page  # who talks, never what is said
    assert client.post(f"/threads/{thread_id}/agencies").status_code == 302
    assert client.post(f"/api/v1/threads/{thread_id}/agencies", headers=agency_headers).status_code == 409

    assert client.post(f"/api/v1/consents/{_consent_of(app, university.organisation_id)}/approve",
                       headers=token_for(university), json={}).status_code == 200
    assert not _reads(client, agency_headers, thread_id)  # one party is not both
    assert "贵校这项专利可以许可吗" not in client.get(f"/threads/{thread_id}").get_data(as_text=True)
    company_consent = _consent_of(app, company.organisation_id)
    assert client.post(f"/api/v1/consents/{company_consent}/approve", headers=agency_headers,
                       json={}).status_code in (403, 404)  # the agency never consents for a party

    assert client.post(f"/api/v1/consents/{company_consent}/approve", headers=token_for(company),
                       json={}).status_code == 200
    thread = client.get(f"/api/v1/threads/{thread_id}", headers=agency_headers).get_json()
    assert thread["messages"][0]["body"] == "贵校这项专利可以许可吗？"
    assert client.post(f"/api/v1/threads/{thread_id}/messages", headers=agency_headers,
                       json={"body": "我们可以协助评估许可费。"}).status_code == 201
    with app.app_context():
        told = set(db.session.scalars(select(Notification.organisation_id).where(
            Notification.body == "我们可以协助评估许可费。")))
    assert told == {university.organisation_id, company.organisation_id}
    agencies = client.get(f"/api/v1/threads/{thread_id}/agencies", headers=token_for(university)).get_json()
    assert [(a["organisation_id"], a["status"]) for a in agencies] == [(agency.organisation_id, "active")]


@pytest.mark.parametrize("remover", ["university", "company"])
def test_either_party_removes_the_agency(app, client, login, thread_id, university, company, agency, token_for,
                                         remover):
    client.post(f"/api/v1/threads/{thread_id}/agencies", headers=token_for(agency))
    for party in (university, company):
        client.post(f"/api/v1/consents/{_consent_of(app, party.organisation_id)}/approve", headers=token_for(party),
                    json={})
    assert _reads(client, token_for(agency), thread_id)
    login({"university": university, "company": company}[remover])
    assert "运营机构" in client.get(f"/threads/{thread_id}").get_data(as_text=True)
    response = client.post(f"/threads/{thread_id}/agencies/{agency.organisation_id}/remove")
    assert response.status_code == 302
    assert not _reads(client, token_for(agency), thread_id)
    assert client.post(f"/api/v1/threads/{thread_id}/messages", headers=token_for(agency),
                       json={"body": "x"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(ThreadMember.status)).value == "removed"


def test_a_refusal_keeps_the_agency_out_and_it_may_ask_again(app, client, thread_id, university, company, agency,
                                                            token_for):
    headers = token_for(agency)
    client.post(f"/api/v1/threads/{thread_id}/agencies", headers=headers)
    assert client.post(f"/api/v1/consents/{_consent_of(app, company.organisation_id)}/reject",
                       headers=token_for(company), json={}).status_code == 200
    assert not _reads(client, headers, thread_id)
    member = client.post(f"/api/v1/threads/{thread_id}/agencies", headers=headers)
    assert member.status_code == 201 and member.get_json()["status"] == "requested"


def test_an_agency_that_brokers_nothing_never_learns_of_the_thread(app, client, login, thread_id, company,
                                                                   token_for):
    with app.app_context():
        stranger = factories.make_user("agency", org_name="另一运营机构")
    headers = token_for(stranger)
    assert client.post(f"/api/v1/threads/{thread_id}/agencies", headers=headers).status_code == 404
    assert client.get("/api/v1/brokered-threads", headers=headers).get_json() == []
    login(stranger)
    assert client.get(f"/threads/{thread_id}").status_code == 404
    assert client.post(f"/api/v1/threads/{thread_id}/agencies", headers=token_for(company)).status_code == 403


def test_the_agency_lists_its_clients_threads_without_their_messages(client, login, thread_id, agency, token_for):
    listed = client.get("/api/v1/brokered-threads", headers=token_for(agency)).get_json()
    assert [(t["id"], t["enquirer"], t["membership"]) for t in listed] == [(thread_id, "测试科技有限公司", None)]
    login(agency)
    page = client.get("/brokered-threads").get_data(as_text=True)
    assert f"/threads/{thread_id}" in page and "贵校这项专利可以许可吗" not in page


def test_a_deal_brokered_from_the_match_lets_the_agency_ask(app, client, university, company, agency, token_for):
    """Without serving either party: the agency recorded the deal of the thread's match."""
    from marketplace.deals.models import Deal, DealMode, DealPatent, DealStatus
    from marketplace.push.feedback import ensure_thread
    from marketplace.search.models import Match
    with app.app_context():
        patent = factories.make_patent(university, publish=True)
        need_id = factories.make_need(company, title="电池需求", segments=["TM-F1"])
        match = Match(need_id=need_id, patent_id=patent.id, score=1.0)
        db.session.add(match)
        db.session.flush()
        thread = ensure_thread(match)
        deal = Deal(mode=DealMode.TRANSFER, seller_id=university.organisation_id, buyer_id=company.organisation_id,
                    agency_id=agency.organisation_id, amount=0, status=DealStatus.NEGOTIATING, match_id=match.id)
        db.session.add(deal)
        db.session.flush()
        db.session.add(DealPatent(deal_id=deal.id, patent_id=patent.id))
        db.session.commit()
        thread_id = thread.id
    assert client.post(f"/api/v1/threads/{thread_id}/agencies", headers=token_for(agency)).status_code == 201
