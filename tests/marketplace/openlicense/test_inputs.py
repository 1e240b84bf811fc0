"""One schema per input: the declaration builder, the withdrawal, a licensee's payment and the recordal are read
through the same schemas by the pages and the API (``openlicense.api``): the same wrong value, the same reason
under the same label."""
from __future__ import annotations

import html

import pytest

from marketplace.core import transaction
from marketplace.openlicense import licensing
from tests import factories
from tests.marketplace.inputs import page_errors


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


@pytest.mark.parametrize(("field", "bad"), [
    ("payment_method", "bogus"), ("royalty_base", "bogus"), ("fixed_fee", "10000000000000"), ("term_end", ""),
    ("trial_months", "37"), ("trial_months", "abc"), ("installments", "0"), ("royalty_rate", "abc"),
    ("contact_name", ""), ("contact_phone", "1" * 41), ("fee_explanation", "说" * 2001),
])
def test_a_declaration_is_refused_alike_by_page_and_api(client, login, token_for, university, patent, field, bad):
    terms = {**factories.open_license_terms(payment_method="entry_fee_royalty", fixed_fee="1000.00",
                                            royalty_rate="3", royalty_base="sales"), field: bad}
    body = {k: v for k, v in terms.items() if v != "" or k == "contact_name"}
    api = client.post(f"/api/v1/patents/{patent.id}/open-license", json=body, headers=token_for(university))
    assert api.status_code == 422 and list(api.json["fields"]) == [field], api.json
    login(university)
    page = client.post(f"/patents/{patent.id}/open-license", data={**terms, "commitment": "y", "action": "draft"})
    assert page.status_code == 200
    assert page_errors(page) == api.json["fields"]
    assert api.json["message"] in html.unescape(page.get_data(as_text=True))


@pytest.fixture
def license_id(app, university, company, patent):
    with app.app_context():
        declaration_id = factories.make_open_license(university, patent)
        grant = licensing.accept_open_license(company.load(), declaration_id)
        transaction.commit()
        return grant.id


@pytest.mark.parametrize(("path", "field", "body"), [
    ("payments", "amount", {"amount": "10000000000000"}), ("payments", "amount", {"amount": ""}),
    ("payments", "reference", {"amount": "100.00", "reference": "号" * 101}),
    ("payments", "paid_on", {"amount": "100.00", "paid_on": "2026-02-30"}),
    ("recordal", "recordal_number", {"recordal_number": ""}),
    ("recordal", "recordal_number", {"recordal_number": "号" * 65}),
])
def test_payment_and_recordal_refused_alike_by_page_and_api(client, login, token_for, company, license_id, path,
                                                            field, body):
    json_body = {k: v for k, v in body.items() if v != "" or k == "recordal_number"}
    api = client.post(f"/api/v1/licenses/{license_id}/{path}", json=json_body, headers=token_for(company))
    assert api.status_code == 422 and list(api.json["fields"]) == [field], api.json
    login(company)
    client.post(f"/licenses/{license_id}/{path}", data=body)
    assert api.json["message"] in html.unescape(client.get(f"/licenses/{license_id}").get_data(as_text=True))


def test_a_withdrawal_reason_is_refused_alike_by_page_and_api(app, client, login, token_for, university, patent):
    with app.app_context():
        declaration_id = factories.make_open_license(university, patent)
    api = client.post(f"/api/v1/open-licenses/{declaration_id}/withdraw", json={"reason": "说" * 501},
                      headers=token_for(university))
    assert api.status_code == 422 and list(api.json["fields"]) == ["reason"], api.json
    login(university)
    client.post(f"/open-licenses/{declaration_id}/withdraw", data={"reason": "说" * 501})
    assert api.json["message"] in html.unescape(client.get(f"/open-licenses/{declaration_id}").get_data(as_text=True))
