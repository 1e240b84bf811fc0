"""The consent service itself: to-do lists, notifications, decisions, versions, and the pages that show them."""
from __future__ import annotations

import pytest

from marketplace.consents import services
from marketplace.consents.models import Decision, ProposalStatus
from marketplace.core import mail, transaction
from marketplace.core.errors import Conflict, NotFound
from marketplace.deals import services as deals
from marketplace.deals.models import DealStatus
from marketplace.extensions import db
from marketplace.push.models import Notification, NotificationKind
from tests import factories


@pytest.fixture
def deal(ctx, university, company, agency):
    """A transfer the agency prepared: the university and the company are asked to sign it."""
    patent = factories.make_granted_patent(university)
    recorded = deals.record_deal(agency.load(), {
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [patent.id], "amount": "800000.00", "title": "无人机专利转让"})
    transaction.commit()
    return recorded


def inbox(organisation_id: int) -> list[Notification]:
    return list(db.session.scalars(db.select(Notification).where(Notification.organisation_id == organisation_id)
                                   .order_by(Notification.id)))


def test_each_party_is_asked_in_its_inbox_and_by_mail(deal, university, company, agency):
    assert services.awaiting_count(university.load()) == 1
    assert services.awaiting_count(company.load()) == 1
    assert services.awaiting_count(agency.load()) == 0
    [asked] = inbox(university.organisation_id)
    assert asked.kind == NotificationKind.CONSENT_REQUESTED and "无人机专利转让" in asked.title
    assert asked.data["proposal_id"] == deal.proposals[0].id
    assert inbox(agency.organisation_id) == []


def test_mail_goes_to_each_partys_contact(ctx, university, company, agency):
    patent = factories.make_granted_patent(university)
    deals.record_deal(agency.load(), {
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [patent.id], "amount": "1.00"})
    recipients = [to for to, _subject, _body in mail.take_queued_mail()]
    assert sorted(recipients) == sorted([university.email, company.email])


def test_the_act_takes_effect_and_everyone_hears_of_it(deal, university, company, agency):
    factories.approve("deal", deal.id, university)
    [proposal] = deal.proposals
    assert proposal.status == ProposalStatus.PENDING and deal.status == DealStatus.NEGOTIATING
    factories.approve("deal", deal.id, company)
    assert proposal.status == ProposalStatus.EFFECTIVE and deal.status == DealStatus.SIGNED
    for party in (university, company, agency):
        assert NotificationKind.ACT_EFFECTIVE in {n.kind for n in inbox(party.organisation_id)}
    decided = services.decided(company.load())[0]
    assert [(c.decision, c.decided_by_id) for c in decided] == [(Decision.APPROVED, company.id)]


def test_a_refusal_ends_the_proposal_and_is_told(deal, university, company, agency):
    [consent] = services.awaiting(company.load())[0]
    services.decide(company.load(), consent.id, False, "价格过高")
    transaction.commit()
    assert deal.proposals[0].status == ProposalStatus.REJECTED and deal.status == DealStatus.NEGOTIATING
    assert services.awaiting_count(university.load()) == 0
    [told] = [n for n in inbox(agency.organisation_id) if n.kind == NotificationKind.ACT_REJECTED]
    assert "价格过高" in told.body
    with pytest.raises(Conflict):
        services.decide(company.load(), consent.id, True)


def test_a_decision_is_given_once_and_only_by_its_organisation(deal, university, company, other_university):
    [consent] = services.awaiting(university.load())[0]
    with pytest.raises(NotFound):
        services.decide(other_university.load(), consent.id, True)
    with pytest.raises(NotFound):
        services.decide(company.load(), consent.id, True)
    services.decide(university.load(), consent.id, True)
    transaction.commit()
    with pytest.raises(Conflict):
        services.decide(university.load(), consent.id, False)


def test_the_todo_page_and_the_navigation_badge(app, client, login, deal, university):
    login(university)
    page = client.get("/consents").get_data(as_text=True)
    assert 'data-consents-awaiting="1"' in page and 'data-act="deal_signing"' in page and "无人机专利转让" in page
    with app.app_context():
        [consent] = services.awaiting(university.load())[0]
        proposal_id, consent_id = consent.proposal_id, consent.id
    assert client.get(f"/consents/proposals/{proposal_id}").headers["Location"].endswith(f"/deals/{deal.id}")
    client.post(f"/consents/{consent_id}/approve", data={"comment": "同意"})
    page = client.get("/consents").get_data(as_text=True)
    assert 'data-consents-awaiting="0"' in page and "近期意见" in page


def test_the_inbox_entry_leads_to_the_act(app, client, login, deal, university):
    login(university)
    with app.app_context():
        [notification] = inbox(university.organisation_id)
        notification_id = notification.id
    response = client.post(f"/notifications/{notification_id}/open")
    assert response.headers["Location"].endswith(f"/consents/proposals/{deal.proposals[0].id}")


def test_a_stranger_cannot_follow_a_proposal(app, client, login, deal, other_university):
    login(other_university)
    assert client.get(f"/consents/proposals/{deal.proposals[0].id}").status_code == 404


def test_the_api_lists_pending_then_decided(client, token_for, deal, company):
    headers = token_for(company)
    pending = client.get("/api/v1/consents", headers=headers).json
    assert pending["meta"]["total"] == 1 and pending["items"][0]["role"] == "buyer"
    assert client.get("/api/v1/consents?state=bogus", headers=headers).status_code == 422
    consent_id = pending["items"][0]["id"]
    decided = client.post(f"/api/v1/consents/{consent_id}/approve", headers=headers, json={"comment": "同意签约"})
    assert decided.status_code == 200 and decided.json["decision"] == "approved"
    assert decided.json["comment"] == "同意签约" and decided.json["decided_by"]["id"] == company.id
    assert client.get("/api/v1/consents", headers=headers).json["meta"]["total"] == 0
    assert client.get("/api/v1/consents?state=decided", headers=headers).json["items"][0]["id"] == consent_id
    assert client.get("/api/v1/consents").status_code == 401
