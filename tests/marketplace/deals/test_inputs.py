"""One schema per input: the deal pages and the deals API load a deal, an amendment and a payment through the
same schemas (``deals.api``), so the same wrong value is refused with the same reason, named by the same label."""
from __future__ import annotations

import html
import re

import pytest

from marketplace.core import transaction
from marketplace.deals import services
from tests import factories
from tests.marketplace.inputs import page_errors


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


def _form(university, company, patent, **overrides) -> dict:
    return {"mode": "transfer", "license_kind": "", "seller_id": university.organisation_id,
            "buyer_id": company.organisation_id, "patent_numbers": f"CN{patent.application_number}",
            "status": "signed", "amount": "1200000.00", **overrides}


def _body(university, company, patent, **overrides) -> dict:
    return {"mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
            "patent_ids": [patent.id], "amount": "1200000.00", "status": "signed", **overrides}


@pytest.mark.parametrize(("field", "bad"), [("amount", "10000000000000"), ("mode", "bogus"), ("amount", ""),
                                            ("status", "bogus"), ("title", "题" * 301)])
def test_deal_entry_refused_alike_by_page_and_api(client, login, token_for, agency, university, company, patent,
                                                  field, bad):
    body = _body(university, company, patent, **{field: bad})
    if bad == "":
        del body[field]  # an empty form field is a missing JSON one
    api = client.post("/api/v1/deals", json=body, headers=token_for(agency))
    assert api.status_code == 422 and list(api.json["fields"]) == [field], api.json
    login(agency)
    page = client.post("/deals/new", data=_form(university, company, patent, **{field: bad}))
    assert page.status_code == 200
    assert page_errors(page) == api.json["fields"]
    assert api.json["message"] in html.unescape(page.get_data(as_text=True))  # the flash: same label, same words


def _deal(app, agency, university, company, patent) -> int:
    with app.app_context():
        deal = services.record_deal(agency.load(), {
            "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
            "patent_ids": [patent.id], "amount": "300000"})
        transaction.commit()
        return deal.id


@pytest.mark.parametrize(("field", "bad"), [("amount", "10000000000000"), ("title", "题" * 301),
                                            ("recordal_number", "号" * 65)])
def test_deal_edit_refused_alike_by_page_and_api(app, client, login, token_for, agency, university, company, patent,
                                                 field, bad):
    deal_id = _deal(app, agency, university, company, patent)
    api = client.patch(f"/api/v1/deals/{deal_id}", json={field: bad}, headers=token_for(agency))
    assert api.status_code == 422 and list(api.json["fields"]) == [field], api.json
    login(agency)
    page = client.post(f"/deals/{deal_id}/edit", data={"amount": "300000", field: bad})
    assert page.status_code == 200
    assert page_errors(page) == api.json["fields"]


@pytest.mark.parametrize(("field", "bad"), [("amount", "10000000000000"), ("amount", ""), ("paid_on", ""),
                                            ("paid_on", "2026-13-01"), ("reference", "号" * 101)])
def test_payment_refused_alike_by_page_and_api(app, client, login, token_for, agency, university, company, patent,
                                               field, bad):
    deal_id = _deal(app, agency, university, company, patent)
    with app.app_context():
        factories.approve("deal", deal_id, university, company)
    body = {"amount": "1000.00", "paid_on": "2026-01-05", "reference": "", field: bad}
    json_body = {k: v for k, v in body.items() if v != "" or k == "reference"}
    api = client.post(f"/api/v1/deals/{deal_id}/payments", json=json_body, headers=token_for(company))
    assert api.status_code == 422 and list(api.json["fields"]) == [field], api.json
    login(company)
    client.post(f"/deals/{deal_id}/payments", data=body)
    assert api.json["message"] in html.unescape(client.get(f"/deals/{deal_id}").get_data(as_text=True))


def test_amendment_reason_refused_alike_by_page_and_api(app, client, login, token_for, agency, university, company,
                                                        patent):
    deal_id = _deal(app, agency, university, company, patent)
    with app.app_context():
        factories.approve("deal", deal_id, university, company)
    api = client.post(f"/api/v1/deals/{deal_id}/amendments", json={"changes": {"amount": "1.00"}, "reason": ""},
                      headers=token_for(agency))
    assert api.status_code == 422 and list(api.json["fields"]) == ["reason"], api.json
    login(agency)
    client.post(f"/deals/{deal_id}/amendments", data={"amount": "1.00", "reason": ""})
    assert api.json["message"] in html.unescape(client.get(f"/deals/{deal_id}").get_data(as_text=True))


def test_the_entry_form_draws_the_schemas_bounds(client, login, agency):
    """The browser's hints come from the schema: what it requires is required, a text's bound is its maxlength."""
    login(agency)
    page = client.get("/deals/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="amount"[^>]*required', page)
    assert re.search(r'<input[^>]*maxlength="300"[^>]*name="title"', page)
    assert not re.search(r'<input[^>]*name="reserve_price"[^>]*required', page)  # an auction's field, when one
