"""The deals API: only parties and their agency see a deal; money and lifecycle refusals."""
from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


def body(university, company, patent, **overrides) -> dict:
    return {"mode": "license", "license_kind": "ordinary", "seller_id": university.organisation_id,
            "buyer_id": company.organisation_id, "patent_ids": [patent.id], "amount": "880000.00",
            "contract_date": "2026-03-01", "match_id": 42, **overrides}


def approve_all(client, token_for, deal_id: int, *parties) -> None:
    """Each party approves its pending consent on the deal through its own token."""
    for party in parties:
        headers = token_for(party)
        for item in client.get("/api/v1/consents", headers=headers).json["items"]:
            if item["proposal"]["subject_id"] == deal_id and item["proposal"]["subject_type"] == "deal":
                assert client.post(f"/api/v1/consents/{item['id']}/approve", headers=headers,
                                   json={}).status_code == 200


def test_agency_records_and_moves_a_deal(client, token_for, university, company, agency, patent):
    headers = token_for(agency)
    created = client.post("/api/v1/deals", headers=headers, json=body(university, company, patent))
    assert created.status_code == 201, created.json
    deal = created.json
    assert deal["agency"]["id"] == agency.organisation_id and deal["amount"] == "880000.00"
    assert deal["status"] == "negotiating" and deal["match_id"] == 42 and deal["terms_version"] == 1
    [signing] = deal["proposals"]
    assert signing["act"] == "deal_signing" and {c["decision"] for c in signing["consents"]} == {"pending"}
    assert client.patch(f"/api/v1/deals/{deal['id']}", headers=headers, json={"status": "signed"}).status_code == 409
    approve_all(client, token_for, deal["id"], university, company)
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=headers).json["status"] == "signed"
    proposed = client.patch(f"/api/v1/deals/{deal['id']}", headers=headers,
                            json={"status": "recorded", "recordal_number": "X2026000123"})
    assert proposed.status_code == 200 and proposed.json["status"] == "signed"
    approve_all(client, token_for, deal["id"], university)
    recorded = client.get(f"/api/v1/deals/{deal['id']}", headers=headers).json
    assert recorded["status"] == "recorded" and recorded["recordal_number"] == "X2026000123"
    frozen = client.patch(f"/api/v1/deals/{deal['id']}", headers=headers, json={"amount": "1.00"})
    assert frozen.status_code == 409
    amended = client.post(f"/api/v1/deals/{deal['id']}/amendments", headers=headers,
                          json={"changes": {"amount": "900000.00"}, "reason": "补充协议"})
    assert amended.status_code == 201 and amended.json["act"] == "deal_amendment"
    assert amended.json["details"]["changes"] == {"amount": "900000.00"}
    approve_all(client, token_for, deal["id"], university, company)
    final = client.get(f"/api/v1/deals/{deal['id']}", headers=headers).json
    assert final["amount"] == "900000.00" and final["amendments"][0]["changes"] == {
        "amount": ["880000.00", "900000.00"]}


def test_editing_the_terms_invalidates_the_consents_given(client, token_for, university, company, patent):
    headers = token_for(university)
    deal = client.post("/api/v1/deals", headers=headers, json=body(university, company, patent)).json
    company_headers = token_for(company)
    [consent] = client.get("/api/v1/consents", headers=company_headers).json["items"]
    edited = client.patch(f"/api/v1/deals/{deal['id']}", headers=headers, json={"amount": "990000.00"})
    assert edited.json["terms_version"] == 2
    stale = client.post(f"/api/v1/consents/{consent['id']}/approve", headers=company_headers, json={})
    assert stale.status_code == 409
    [fresh] = client.get("/api/v1/consents", headers=company_headers).json["items"]
    assert fresh["terms_version"] == 2 and fresh["id"] != consent["id"]
    assert client.post(f"/api/v1/consents/{fresh['id']}/approve", headers=company_headers, json={}).status_code == 200
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=headers).json["status"] == "signed"


@pytest.mark.parametrize("amount", ["-1.00", "1.005", "1000000000000.01", "abc"])
def test_money_refusals(client, token_for, university, company, patent, amount):
    response = client.post("/api/v1/deals", headers=token_for(university),
                           json=body(university, company, patent, amount=amount))
    assert response.status_code == 422 and "amount" in response.json["fields"]


def test_free_license_is_allowed_but_not_a_free_transfer(client, token_for, university, company, patent):
    headers = token_for(university)
    assert client.post("/api/v1/deals", headers=headers,
                       json=body(university, company, patent, amount="0")).status_code == 201
    transfer = client.post("/api/v1/deals", headers=headers,
                           json=body(university, company, patent, mode="transfer", amount="0"))
    assert transfer.status_code == 422


def test_exclusive_license_refused_while_declared(app, client, token_for, university, company, patent):
    with app.app_context():
        factories.make_open_license(university, patent)
    response = client.post("/api/v1/deals", headers=token_for(university),
                           json=body(university, company, patent, license_kind="exclusive"))
    assert response.status_code == 409 and list(response.json["fields"]) == ["open_license_declared"]


def test_only_parties_and_their_agency_see_a_deal(client, app, token_for, university, company, agency,
                                                  other_university, platform_admin, patent):
    deal_id = client.post("/api/v1/deals", headers=token_for(agency),
                          json=body(university, company, patent)).json["id"]
    with app.app_context():
        other_agency = factories.make_user("agency", org_name="另一运营机构")
    for user in (university, company, agency, platform_admin):
        headers = token_for(user)
        assert client.get(f"/api/v1/deals/{deal_id}", headers=headers).status_code == 200
        assert client.get("/api/v1/deals", headers=headers).json["meta"]["total"] == 1
    for user in (other_university, other_agency):
        headers = token_for(user)
        assert client.get(f"/api/v1/deals/{deal_id}", headers=headers).status_code == 404
        assert client.patch(f"/api/v1/deals/{deal_id}", headers=headers, json={"status": "signed"}).status_code == 404
        assert client.post(f"/api/v1/deals/{deal_id}/amendments", headers=headers,
                           json={"changes": {"amount": "1"}, "reason": "x"}).status_code == 404
        assert client.get("/api/v1/deals", headers=headers).json["meta"]["total"] == 0
    assert client.get(f"/api/v1/deals/{deal_id}").status_code == 401


def test_bad_filters_and_transitions(client, token_for, university, company, patent):
    headers = token_for(university)
    assert client.get("/api/v1/deals?mode=lease", headers=headers).status_code == 422
    deal_id = client.post("/api/v1/deals", headers=headers, json=body(university, company, patent)).json["id"]
    assert client.patch(f"/api/v1/deals/{deal_id}", headers=headers, json={"status": "completed"}).status_code == 409
    cancelled = client.patch(f"/api/v1/deals/{deal_id}", headers=headers, json={"status": "cancelled"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.json["proposals"][0]["status"] == "lapsed"
