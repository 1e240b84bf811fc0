"""The pledges API: registration refusals as 409 with reasons, money as 422, access, release."""
from __future__ import annotations

import pytest

from marketplace.legal.term import add_months
from marketplace.core.dates import local_today
from tests import factories


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


def body(university, bank, patent, **overrides) -> dict:
    return {"pledgor_id": university.organisation_id, "pledgee_id": bank.organisation_id,
            "patent_ids": [patent.id], "amount": "5000000.00",
            "term_end": add_months(local_today(), 24).isoformat(), "registration_number": "Y2026520000001",
            **overrides}


def consent_all(client, token_for, pledge_id: int, *parties) -> None:
    for party in parties:
        headers = token_for(party)
        for item in client.get("/api/v1/consents", headers=headers).json["items"]:
            if (item["proposal"]["subject_type"], item["proposal"]["subject_id"]) == ("pledge", pledge_id):
                assert client.post(f"/api/v1/consents/{item['id']}/approve", headers=headers,
                                   json={}).status_code == 200


def test_register_list_and_release(client, token_for, university, bank, agency, patent):
    created = client.post("/api/v1/pledges", headers=token_for(agency), json=body(university, bank, patent))
    assert created.status_code == 201, created.json
    pledge = created.json
    assert pledge["amount"] == "5000000.00" and pledge["status"] == "proposed"
    assert pledge["agency"]["id"] == agency.organisation_id
    assert {(c["role"], c["decision"]) for c in pledge["proposals"][0]["consents"]} == {
        ("pledgor", "pending"), ("pledgee", "pending")}
    consent_all(client, token_for, pledge["id"], university, bank)
    bank_headers = token_for(bank)
    assert client.get(f"/api/v1/pledges/{pledge['id']}", headers=bank_headers).json["status"] == "registered"
    assert client.get("/api/v1/pledges", headers=bank_headers).json["meta"]["total"] == 1
    again = client.post("/api/v1/pledges", headers=bank_headers,
                        json=body(university, bank, patent, registration_number="Y2"))
    assert again.status_code == 409 and list(again.json["fields"]) == ["already_pledged"]
    released = client.post(f"/api/v1/pledges/{pledge['id']}/release", headers=bank_headers, json={})
    assert released.status_code == 200 and released.json["status"] == "released"
    assert client.get("/api/v1/pledges?status=registered", headers=bank_headers).json["meta"]["total"] == 0


@pytest.mark.parametrize("amount", ["-1", "1.001", "1000000000000.01"])
def test_money_refusals(client, token_for, university, bank, patent, amount):
    response = client.post("/api/v1/pledges", headers=token_for(university),
                           json=body(university, bank, patent, amount=amount))
    assert response.status_code == 422 and "amount" in response.json["fields"]


def test_term_past_expiry_is_refused(client, token_for, university, bank, patent):
    response = client.post("/api/v1/pledges", headers=token_for(university),
                           json=body(university, bank, patent, term_end="2099-01-01"))
    assert response.status_code == 409 and "term_past_expiry" in response.json["fields"]


def test_pledges_are_private_to_their_parties(client, token_for, university, bank, other_university, company,
                                              patent):
    pledge_id = client.post("/api/v1/pledges", headers=token_for(university),
                            json=body(university, bank, patent)).json["id"]
    for user in (other_university, company):
        headers = token_for(user)
        assert client.get(f"/api/v1/pledges/{pledge_id}", headers=headers).status_code == 404
        assert client.post(f"/api/v1/pledges/{pledge_id}/release", headers=headers, json={}).status_code == 404


def test_consent_endpoint(client, token_for, university, bank, agency, patent):
    pledge_id = client.post("/api/v1/pledges", headers=token_for(agency),
                            json=body(university, bank, patent)).json["id"]
    consent_all(client, token_for, pledge_id, university, bank)
    assert client.post(f"/api/v1/pledges/{pledge_id}/open-license-consent", headers=token_for(agency),
                       json={}).status_code == 403, "an agency never states the bank's consent"
    assert client.post(f"/api/v1/pledges/{pledge_id}/open-license-consent", headers=token_for(university),
                       json={}).status_code == 403
    consent = client.post(f"/api/v1/pledges/{pledge_id}/open-license-consent", headers=token_for(bank),
                          json={"reference": "同意书 2026-01"})
    assert consent.status_code == 200 and consent.json["open_license_consent"] is True
    eligibility = client.get(f"/api/v1/patents/{patent.id}/open-license/eligibility", headers=token_for(university))
    assert eligibility.json["eligible"] is True
