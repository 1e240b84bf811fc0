"""The open-license API route by route: who may call it, what it answers, every money refusal."""
from __future__ import annotations

import io

import pytest

from tests import factories


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


@pytest.fixture
def declaration_id(app, university, patent):
    with app.app_context():
        return factories.make_open_license(university, patent)


def test_declare_draft_then_publish(client, token_for, university, patent):
    headers = token_for(university)
    draft = client.post(f"/api/v1/patents/{patent.id}/open-license", headers=headers,
                        json=factories.open_license_terms(commitment=False, fixed_fee="12345.60"))
    assert draft.status_code == 201, draft.json
    assert draft.json["status"] == "draft" and draft.json["fixed_fee"] == "12345.60"
    published = client.post(f"/api/v1/patents/{patent.id}/open-license", headers=headers,
                            json={**factories.open_license_terms(), "action": "publish"})
    assert published.status_code == 201 and published.json["status"] == "published"
    assert published.json["id"] == draft.json["id"] and published.json["fee_type"] == "fixed"
    listed = client.get("/api/v1/open-licenses")
    assert listed.status_code == 200 and [d["id"] for d in listed.json["items"]] == [draft.json["id"]]


def test_ineligible_publication_names_every_reason(app, client, token_for, university):
    with app.app_context():
        patent = factories.make_granted_patent(university, "utility_model", legal_status="fee_overdue",
                                               evaluation_report="negative")
    response = client.post(f"/api/v1/patents/{patent.id}/open-license", headers=token_for(university),
                           json={**factories.open_license_terms(), "action": "publish"})
    assert response.status_code == 409 and response.json["error"] == "ineligible"
    assert set(response.json["fields"]) == {"fees_unpaid", "no_positive_evaluation"}
    eligibility = client.get(f"/api/v1/patents/{patent.id}/open-license/eligibility", headers=token_for(university))
    assert eligibility.status_code == 200 and eligibility.json["eligible"] is False
    assert {r["code"] for r in eligibility.json["reasons"]} == {"fees_unpaid", "no_positive_evaluation"}


@pytest.mark.parametrize("terms, field", [
    ({"fixed_fee": "-1.00"}, "fixed_fee"),
    ({"fixed_fee": "1.001"}, "fixed_fee"),
    ({"fixed_fee": "1000000000000.01"}, "fixed_fee"),
    ({"fixed_fee": "20000000.01"}, "fixed_fee"),
    ({"payment_method": "royalty_sales", "royalty_rate": "20.01"}, "royalty_rate"),
    ({"payment_method": "royalty_profit", "royalty_rate": "40.01"}, "royalty_rate"),
    ({"payment_method": "royalty_sales", "royalty_rate": "1.234"}, "royalty_rate"),
    ({"term_end": "2099-12-31"}, "term_end"),
    ({"fee_explanation": "费" * 2001}, "fee_explanation"),
])
def test_bad_terms_answer_422_naming_the_field(client, token_for, university, patent, terms, field):
    response = client.post(f"/api/v1/patents/{patent.id}/open-license", headers=token_for(university),
                           json=factories.open_license_terms(**terms))
    assert response.status_code == 422, response.json
    assert field in response.json["fields"]


def test_foreign_patent_answers_404(client, token_for, other_university, patent):
    headers = token_for(other_university)
    assert client.post(f"/api/v1/patents/{patent.id}/open-license", headers=headers,
                       json=factories.open_license_terms()).status_code == 404
    assert client.get(f"/api/v1/patents/{patent.id}/open-license/eligibility", headers=headers).status_code == 404


def test_writes_need_a_token(client, login, university, patent, declaration_id):
    login(university)
    assert client.post(f"/api/v1/patents/{patent.id}/open-license",
                       json=factories.open_license_terms()).status_code == 401
    assert client.post(f"/api/v1/open-licenses/{declaration_id}/withdraw", json={}).status_code == 401


def test_accept_pay_and_record(client, token_for, company, university, declaration_id):
    headers = token_for(company)
    accepted = client.post(f"/api/v1/open-licenses/{declaration_id}/accept", headers=headers)
    assert accepted.status_code == 201, accepted.json
    license_id = accepted.json["id"]
    assert accepted.json["effective"] is False and accepted.json["installments"][0]["amount"] == "50000.00"
    for amount in ("-5.00", "0.001", "1000000000000.01"):
        bad = client.post(f"/api/v1/licenses/{license_id}/payments", headers=headers, json={"amount": amount})
        assert bad.status_code == 422 and "amount" in bad.json["fields"], amount
    paid = client.post(f"/api/v1/licenses/{license_id}/payments", headers=headers,
                       json={"amount": "50000.00", "reference": "银行回单 001"})
    assert paid.status_code == 201, paid.json
    assert paid.json["status"] == "reported" and paid.json["license"]["effective"] is False
    twice = client.post(f"/api/v1/licenses/{license_id}/payments", headers=headers, json={"amount": "1.00"})
    assert twice.status_code == 409, "a payment awaiting confirmation already covers the installment"
    evidence = client.post(f"/api/v1/licenses/{license_id}/payments/{paid.json['id']}/evidence", headers=headers,
                           data={"evidence": (io.BytesIO(b"\x89PNG slip"), "slip.png", "image/png")},
                           content_type="multipart/form-data")
    assert evidence.status_code == 200 and evidence.json["evidence"]["name"] == "slip.png"
    licensor = token_for(university)
    [consent] = client.get("/api/v1/consents", headers=licensor).json["items"]
    assert consent["role"] == "payee" and consent["proposal"]["act"] == "license_payment"
    assert client.get(f"/api/v1/payments/{paid.json['id']}/evidence", headers=licensor).data == b"\x89PNG slip"
    assert client.post(f"/api/v1/consents/{consent['id']}/approve", headers=licensor, json={}).status_code == 200
    confirmed = client.get(f"/api/v1/licenses/{license_id}", headers=headers).json
    assert confirmed["effective"] is True and confirmed["paid_total"] == "50000.00"
    recorded = client.post(f"/api/v1/licenses/{license_id}/recordal", headers=headers,
                           json={"recordal_number": "X2026520000001"})
    assert recorded.status_code == 200 and recorded.json["recordal_number"] == "X2026520000001"
    again = client.post(f"/api/v1/open-licenses/{declaration_id}/accept", headers=headers)
    assert again.status_code == 409
    assert client.get(f"/api/v1/open-licenses/{declaration_id}").json["licensees"] == 1


def test_license_visible_to_parties_only(client, token_for, company, university, other_university, declaration_id):
    license_id = client.post(f"/api/v1/open-licenses/{declaration_id}/accept", headers=token_for(company)).json["id"]
    assert client.get(f"/api/v1/licenses/{license_id}", headers=token_for(university)).status_code == 200
    assert client.get(f"/api/v1/licenses/{license_id}", headers=token_for(other_university)).status_code == 404
    assert client.post(f"/api/v1/licenses/{license_id}/payments", headers=token_for(other_university),
                       json={"amount": "1.00"}).status_code == 404
    assert [g["id"] for g in client.get("/api/v1/licenses", headers=token_for(company)).json] == [license_id]


@pytest.mark.parametrize("upload, reason", [
    ((b"MZ\x90 not a pdf", "receipt.pdf", "application/pdf"), "文件内容与类型不符"),
    ((b"<html>", "receipt.html", "text/html"), "PDF、PNG 或 JPEG"),
    ((b"%PDF" + b"0" * (5 * 1024 * 1024), "huge.pdf", "application/pdf"), "5 MB"),
])
def test_evidence_is_checked(client, token_for, company, declaration_id, upload, reason):
    headers = token_for(company)
    license_id = client.post(f"/api/v1/open-licenses/{declaration_id}/accept", headers=headers).json["id"]
    payment_id = client.post(f"/api/v1/licenses/{license_id}/payments", headers=headers,
                             json={"amount": "100.00"}).json["id"]
    content, name, content_type = upload
    refused = client.post(f"/api/v1/licenses/{license_id}/payments/{payment_id}/evidence", headers=headers,
                          data={"evidence": (io.BytesIO(content), name, content_type)},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and reason in refused.json["fields"]["evidence"]


def test_withdraw_keeps_the_licenses(client, token_for, university, company, other_university, declaration_id):
    client.post(f"/api/v1/open-licenses/{declaration_id}/accept", headers=token_for(company))
    assert client.post(f"/api/v1/open-licenses/{declaration_id}/withdraw", headers=token_for(other_university),
                       json={}).status_code == 404
    withdrawn = client.post(f"/api/v1/open-licenses/{declaration_id}/withdraw", headers=token_for(university),
                            json={"reason": "专利转让"})
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    assert withdrawn.json["licensees"] == 1
    assert client.get("/api/v1/open-licenses").json["meta"]["total"] == 0
    assert len(client.get("/api/v1/licenses", headers=token_for(company)).json) == 1


def test_catalogue_filters_are_validated(client):
    assert client.get("/api/v1/open-licenses?fee_type=barter").status_code == 422
    assert client.get("/api/v1/open-licenses?fee_type=free&patent_type=invention").status_code == 200


def test_drafts_are_private(client, app, token_for, university, company, patent):
    with app.app_context():
        draft = factories.make_open_license(university, patent, publish=False)
    assert client.get(f"/api/v1/open-licenses/{draft}").status_code == 404
    assert client.get(f"/api/v1/open-licenses/{draft}", headers=token_for(company)).status_code == 404
    assert client.get(f"/api/v1/open-licenses/{draft}", headers=token_for(university)).status_code == 200
    assert client.post(f"/api/v1/open-licenses/{draft}/accept", headers=token_for(company)).status_code == 409
