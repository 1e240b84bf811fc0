"""The attacks of issue 9, through the API: no single party, agency or platform admin completes a two-sided act.

Each test plays the attacker first and checks that nothing changed, then lets
the parties consent through their own accounts and checks the act takes effect.
"""
from __future__ import annotations

import pytest

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.legal.term import add_months
from marketplace.patents.models import Patent
from tests import factories


def waiting(client, headers, subject_type: str, subject_id: int) -> list[dict]:
    """The caller's organisation's to-do items about one object."""
    items = client.get("/api/v1/consents", headers=headers).json["items"]
    return [c for c in items if (c["proposal"]["subject_type"], c["proposal"]["subject_id"]) == (subject_type,
                                                                                                 subject_id)]


def approve(client, headers, subject_type: str, subject_id: int, expected: int = 200):
    [consent] = waiting(client, headers, subject_type, subject_id)
    response = client.post(f"/api/v1/consents/{consent['id']}/approve", headers=headers, json={})
    assert response.status_code == expected, response.json
    return response


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


@pytest.fixture
def newcomer(app):
    """A company registered a minute ago."""
    with app.app_context():
        return factories.make_user("company", org_name="刚注册的公司")


def owner_of(app, patent) -> int:
    with app.app_context():
        return db.session.get(Patent, patent.id).owner_id


def test_a_newcomer_cannot_record_a_transfer_as_completed_and_take_the_patent(app, client, token_for, university,
                                                                              newcomer, patent):
    headers = token_for(newcomer)
    created = client.post("/api/v1/deals", headers=headers, json={
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": newcomer.organisation_id,
        "patent_ids": [patent.id], "amount": "1.00", "status": "completed", "recordal_number": "ZR-FAKE-1"})
    assert created.status_code == 201
    deal = created.json
    assert deal["status"] == "negotiating" and owner_of(app, patent) == university.organisation_id
    for status in ("signed", "recorded", "completed"):
        assert client.patch(f"/api/v1/deals/{deal['id']}", headers=headers, json={"status": status}).status_code == 409
    [signing] = deal["proposals"]
    university_consent = next(c for c in signing["consents"] if c["organisation"]["id"] == university.organisation_id)
    assert university_consent["decision"] == "pending"
    assert client.post(f"/api/v1/consents/{university_consent['id']}/approve", headers=headers,
                       json={}).status_code == 404
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=headers).json["status"] == "negotiating"
    assert owner_of(app, patent) == university.organisation_id
    # The university refuses: the proposal ends, nothing moved.
    [mine] = waiting(client, token_for(university), "deal", deal["id"])
    assert client.post(f"/api/v1/consents/{mine['id']}/reject", headers=token_for(university),
                       json={"comment": "未授权的转让"}).status_code == 200
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=headers).json["proposals"][0]["status"] == "rejected"
    assert owner_of(app, patent) == university.organisation_id


def test_a_real_transfer_goes_through_only_with_seller_buyer_and_co_owner(app, client, token_for, university, company,
                                                                          agency, patent):
    with app.app_context():
        co_owner = factories.make_user("institute", org_name="贵州某某研究院")
        db.session.get(Patent, patent.id).co_owners = ["贵州某某研究院"]
        transaction.commit()
        factories.link_co_owner(university, patent, "贵州某某研究院", co_owner)
    agency_headers = token_for(agency)
    deal = client.post("/api/v1/deals", headers=agency_headers, json={
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [patent.id], "amount": "1200000.00"}).json
    assert {(c["organisation"]["id"], c["role"]) for c in deal["proposals"][0]["consents"]} == {
        (university.organisation_id, "seller"), (company.organisation_id, "buyer"),
        (co_owner.organisation_id, "co_owner")}
    approve(client, token_for(university), "deal", deal["id"])
    approve(client, token_for(company), "deal", deal["id"])
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=agency_headers).json["status"] == "negotiating"
    co_owner_headers = token_for(co_owner)  # the co-owner sees what it is asked to consent to, and decides
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=co_owner_headers).status_code == 200
    assert client.get("/api/v1/deals", headers=co_owner_headers).json["meta"]["total"] == 1
    assert client.patch(f"/api/v1/deals/{deal['id']}", headers=co_owner_headers,
                        json={"amount": "1.00"}).status_code == 404
    approve(client, token_for(co_owner), "deal", deal["id"])
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=agency_headers).json["status"] == "signed"
    # Recordal and completion: the agency proposes, the seller side confirms; the buyer cannot.
    recordal = client.patch(f"/api/v1/deals/{deal['id']}", headers=agency_headers,
                            json={"status": "recorded", "recordal_number": "ZR2026000123"})
    assert recordal.status_code == 200 and recordal.json["status"] == "signed"
    assert waiting(client, token_for(company), "deal", deal["id"]) == []
    approve(client, token_for(university), "deal", deal["id"])
    approve(client, token_for(co_owner), "deal", deal["id"])
    client.patch(f"/api/v1/deals/{deal['id']}", headers=token_for(company), json={"status": "completed"})
    assert owner_of(app, patent) == university.organisation_id
    approve(client, token_for(university), "deal", deal["id"])
    assert owner_of(app, patent) == university.organisation_id  # the co-owner has not confirmed yet
    approve(client, token_for(co_owner), "deal", deal["id"])
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=agency_headers).json["status"] == "completed"
    assert owner_of(app, patent) == company.organisation_id


def test_a_co_owner_without_an_account_blocks_the_transfer_and_is_named(app, client, token_for, university, company,
                                                                        patent):
    with app.app_context():
        db.session.get(Patent, patent.id).co_owners = ["无账户的共有人公司"]
        transaction.commit()
    deal = client.post("/api/v1/deals", headers=token_for(university), json={
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [patent.id], "amount": "500000.00"}).json
    refused = approve(client, token_for(company), "deal", deal["id"], expected=409)
    assert "co_owner_not_on_platform" in refused.json["fields"]
    assert "无账户的共有人公司" in refused.json["fields"]["co_owner_not_on_platform"]
    assert client.get(f"/api/v1/deals/{deal['id']}", headers=token_for(company)).json["status"] == "negotiating"
    assert waiting(client, token_for(company), "deal", deal["id"]), "the refused approval changed nothing"


def pledge_body(university, bank, patent, **overrides) -> dict:
    return {"pledgor_id": university.organisation_id, "pledgee_id": bank.organisation_id, "patent_ids": [patent.id],
            "amount": "5000000.00", "term_end": add_months(local_today(), 24).isoformat(),
            "registration_number": "Y2026520000001", **overrides}


def test_a_bank_cannot_pledge_a_university_patent_alone(client, token_for, university, bank, patent):
    bank_headers = token_for(bank)
    pledge = client.post("/api/v1/pledges", headers=bank_headers, json=pledge_body(university, bank, patent)).json
    assert pledge["status"] == "proposed"
    eligibility = client.get(f"/api/v1/patents/{patent.id}/open-license/eligibility", headers=token_for(university))
    assert eligibility.json["eligible"] is True, "a proposed pledge does not encumber the patent"
    assert waiting(client, bank_headers, "pledge", pledge["id"]) == []  # the bank consented by proposing
    approve(client, token_for(university), "pledge", pledge["id"])
    assert client.get(f"/api/v1/pledges/{pledge['id']}", headers=bank_headers).json["status"] == "registered"


def test_a_pledgor_cannot_release_the_banks_pledge_alone(app, client, token_for, university, bank, patent):
    pledge = client.post("/api/v1/pledges", headers=token_for(bank), json=pledge_body(university, bank, patent)).json
    approve(client, token_for(university), "pledge", pledge["id"])
    released = client.post(f"/api/v1/pledges/{pledge['id']}/release", headers=token_for(university), json={})
    assert released.status_code == 200 and released.json["status"] == "registered"
    approve(client, token_for(bank), "pledge", pledge["id"])
    assert client.get(f"/api/v1/pledges/{pledge['id']}", headers=token_for(bank)).json["status"] == "released"


def license_body(university, buyer, patent, kind: str, **overrides) -> dict:
    return {"mode": "license", "license_kind": kind, "seller_id": university.organisation_id,
            "buyer_id": buyer.organisation_id, "patent_ids": [patent.id], "amount": "300000.00",
            "term_start": local_today().isoformat(), "term_end": add_months(local_today(), 24).isoformat(),
            "title": "独占许可", **overrides}


def test_no_second_exclusive_nor_ordinary_license_while_an_exclusive_one_is_in_force(app, client, token_for,
                                                                                      university, company, patent):
    headers = token_for(university)
    exclusive = client.post("/api/v1/deals", headers=headers,
                            json=license_body(university, company, patent, "exclusive")).json
    approve(client, token_for(company), "deal", exclusive["id"])
    assert client.get(f"/api/v1/deals/{exclusive['id']}", headers=headers).json["status"] == "signed"
    with app.app_context():
        other = factories.make_user("company", org_name="第二家公司")
    for kind in ("exclusive", "ordinary", "sole"):
        refused = client.post("/api/v1/deals", headers=headers, json=license_body(university, other, patent, kind))
        assert refused.status_code == 409, refused.json
        assert f"交易 #{exclusive['id']}" in refused.json["fields"]["exclusive_license_in_force"]
    after = client.post("/api/v1/deals", headers=headers, json=license_body(
        university, other, patent, "ordinary", term_start=add_months(local_today(), 25).isoformat(),
        term_end=add_months(local_today(), 30).isoformat()))
    assert after.status_code == 201, "a license after the exclusive term does not overlap it"
    assert client.get("/api/v1/deals", headers=headers).json["meta"]["total"] == 2


def test_a_co_owner_cannot_withdraw_a_co_owned_declaration_alone(app, client, token_for, university, patent):
    with app.app_context():
        co_owner = factories.make_user("university", org_name="黔南某某大学")
        db.session.get(Patent, patent.id).co_owners = ["黔南某某大学"]
        transaction.commit()
        factories.link_co_owner(university, patent, "黔南某某大学", co_owner)
    declared = client.post(f"/api/v1/patents/{patent.id}/open-license", headers=token_for(university),
                           json={**factories.open_license_terms(), "action": "publish"})
    assert declared.status_code == 201 and declared.json["status"] == "draft"
    approve(client, token_for(co_owner), "open_license", declared.json["id"])
    declaration_id = declared.json["id"]
    assert client.get(f"/api/v1/open-licenses/{declaration_id}").json["status"] == "published"
    for proposer, other in ((co_owner, university), (university, co_owner)):
        withdrawn = client.post(f"/api/v1/open-licenses/{declaration_id}/withdraw", headers=token_for(proposer),
                                json={"reason": "单方撤回"})
        assert withdrawn.status_code == 200 and withdrawn.json["status"] == "published"
    approve(client, token_for(co_owner), "open_license", declaration_id)
    assert client.get(f"/api/v1/open-licenses/{declaration_id}").json["status"] == "withdrawn"


def test_a_utility_model_number_is_not_stored_as_an_invention(app, client, token_for, university):
    headers = token_for(university)
    body = {"application_number": "202223220665.2", "title": "一种电池包散热结构", "application_date": "2022-12-01"}
    refused = client.post("/api/v1/patents", headers=headers, json={**body, "patent_type": "invention"})
    assert refused.status_code == 422
    reason = refused.json["fields"]["patent_type"]
    assert "实用新型" in reason and "发明" in reason
    created = client.post("/api/v1/patents", headers=headers, json=body)
    assert created.status_code == 201
    assert created.json["patent_type"] == "utility_model" and created.json["expiry"] == "2032-12-01"
    patched = client.patch(f"/api/v1/patents/{created.json['id']}", headers=headers, json={"patent_type": "invention"})
    assert patched.status_code == 422 and "patent_type" in patched.json["fields"]


def test_a_terminated_patents_declaration_ends_and_leaves_the_catalogue(app, client, token_for, university, company,
                                                                        patent):
    with app.app_context():
        declaration_id = factories.make_open_license(university, patent, payment_method="free")
    licensed = client.post(f"/api/v1/open-licenses/{declaration_id}/accept", headers=token_for(company))
    assert licensed.status_code == 201 and licensed.json["effective"] is True
    client.patch(f"/api/v1/patents/{patent.id}", headers=token_for(university),
                 json={"legal_status": "terminated", "legal_status_on": local_today().isoformat()})
    declaration = client.get(f"/api/v1/open-licenses/{declaration_id}").json
    assert declaration["status"] == "ended" and declaration["end_reason"] == "terminated"
    assert declaration["ended_on"] == local_today().isoformat()
    assert client.get("/api/v1/open-licenses").json["meta"]["total"] == 0
    kept = client.get(f"/api/v1/licenses/{licensed.json['id']}", headers=token_for(company)).json
    assert kept["effective"] is True, "licenses already obtained stay valid"


def test_a_licensee_cannot_confirm_its_own_payment(app, client, token_for, university, company, patent):
    with app.app_context():
        declaration_id = factories.make_open_license(university, patent, fixed_fee="50000.00")
    licensee = token_for(company)
    grant = client.post(f"/api/v1/open-licenses/{declaration_id}/accept", headers=licensee).json
    paid = client.post(f"/api/v1/licenses/{grant['id']}/payments", headers=licensee,
                       json={"amount": "50000.00", "reference": "HK-2026-001"})
    assert paid.status_code == 201 and paid.json["status"] == "reported"
    assert paid.json["license"]["effective"] is False and paid.json["license"]["paid_total"] == "0.00"
    assert waiting(client, licensee, "license_payment", paid.json["id"]) == []
    payee = next(c for c in paid.json["proposals"][0]["consents"] if c["organisation"]["id"] == university.organisation_id)
    assert client.post(f"/api/v1/consents/{payee['id']}/approve", headers=licensee, json={}).status_code == 404
    assert client.get(f"/api/v1/licenses/{grant['id']}", headers=licensee).json["effective"] is False
    approve(client, token_for(university), "license_payment", paid.json["id"])
    confirmed = client.get(f"/api/v1/licenses/{grant['id']}", headers=licensee).json
    assert confirmed["effective"] is True and confirmed["paid_total"] == "50000.00"
    assert confirmed["payments"][0]["status"] == "confirmed"
