"""Deal pages: entry by an agency, status and amendments, and only parties and their agency see them."""
from __future__ import annotations

import pytest

from marketplace.core import transaction
from marketplace.deals import services
from marketplace.deals.models import Deal
from marketplace.extensions import db
from tests import factories


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


def test_agency_enters_a_deal_through_the_form(app, client, login, agency, university, company, patent):
    login(agency)
    assert client.get("/deals/new").status_code == 200
    response = client.post("/deals/new", data={
        "mode": "transfer", "license_kind": "", "seller_id": university.organisation_id,
        "buyer_id": company.organisation_id, "patent_numbers": f"CN{patent.application_number}",
        "status": "signed", "amount": "¥1,200,000.00", "contract_date": "2026-02-01"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        deal = db.session.query(Deal).one()
        assert deal.agency_id == agency.organisation_id and str(deal.amount) == "1200000.00"
        deal_id = deal.id
    detail = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert "¥1,200,000.00" in detail and "洽谈中" in detail and 'data-act="deal_signing"' in detail
    assert 'formaction="/consents/' not in detail, "the agency has nothing to approve"
    client.post("/logout")
    for party in (university, company):  # each party signs in its own account, from the deal's page
        login(party)
        page = client.get(f"/deals/{deal_id}").get_data(as_text=True)
        with app.app_context():
            [consent] = [c for p in db.session.get(Deal, deal_id).proposals for c in p.consents
                         if c.organisation_id == party.organisation_id]
            consent_id = consent.id
        assert f'formaction="/consents/{consent_id}/approve"' in page
        response = client.post(f"/consents/{consent_id}/approve", data={"next": f"/deals/{deal_id}"})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/deals/{deal_id}")
        client.post("/logout")
    login(agency)
    assert "已签约" in client.get(f"/deals/{deal_id}").get_data(as_text=True)
    client.post(f"/deals/{deal_id}/status", data={"status": "recorded", "recordal_number": "ZR2026001"})
    client.post(f"/deals/{deal_id}/amendments", data={"amount": "1100000", "reason": "补充协议"})
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert deal.status == "signed" and str(deal.amount) == "1200000.00"
        factories.approve("deal", deal_id, university, company)
        deal = db.session.get(Deal, deal_id)
        assert deal.status == "recorded" and str(deal.amount) == "1100000.00" and len(deal.amendments) == 1
    assert "补充协议" in client.get(f"/deals/{deal_id}").get_data(as_text=True)


def test_unknown_patent_number_is_named(client, login, agency, university, company):
    login(agency)
    page = client.post("/deals/new", data={
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_numbers": "201710601862.3", "status": "signed", "amount": "10"})
    assert page.status_code == 200 and "201710601862.3" in page.get_data(as_text=True)


def test_deal_pages_only_for_parties_and_their_agency(app, client, login, agency, university, company,
                                                      other_university, patent):
    with app.app_context():
        deal = services.record_deal(agency.load(), {
            "mode": "license", "license_kind": "ordinary", "seller_id": university.organisation_id,
            "buyer_id": company.organisation_id, "patent_ids": [patent.id], "amount": "300000"})
        transaction.commit()
        deal_id = deal.id
    for user, visible in ((university, True), (company, True), (agency, True), (other_university, False)):
        login(user)
        assert client.get(f"/deals/{deal_id}").status_code == (200 if visible else 404)
        assert (f'data-deal-id="{deal_id}"' in client.get("/deals").get_data(as_text=True)) is visible
        client.post("/logout")
