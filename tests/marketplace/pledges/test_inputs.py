"""One schema per input: the pledge pages and the pledges API read a registration, a release and the pledgee's
consent through the same schemas (``pledges.api``): the same wrong value, the same reason under the same label."""
from __future__ import annotations

import html

import pytest

from marketplace.core.dates import local_today
from marketplace.legal.term import add_months
from marketplace.pledges import services
from marketplace.core import transaction
from tests import factories
from tests.marketplace.inputs import page_errors


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


def _values(university, bank, **overrides) -> dict:
    return {"pledgor_id": university.organisation_id, "pledgee_id": bank.organisation_id, "amount": "2000000",
            "registration_number": "Y2026520009", "term_end": add_months(local_today(), 12).isoformat(),
            **overrides}


@pytest.mark.parametrize(("field", "bad"), [("amount", "10000000000000"), ("amount", ""),
                                            ("registration_number", ""), ("registration_number", "号" * 65),
                                            ("term_end", ""), ("term_end", "2026-13-01"),
                                            ("open_license_consent_reference", "号" * 201)])
def test_registration_refused_alike_by_page_and_api(client, login, token_for, agency, bank, university, patent,
                                                    field, bad):
    body = {**_values(university, bank, **{field: bad}), "patent_ids": [patent.id]}
    if bad == "" and field != "registration_number":
        del body[field]  # an empty form field is a missing JSON one (an empty text is refused as one)
    api = client.post("/api/v1/pledges", json=body, headers=token_for(agency))
    assert api.status_code == 422 and list(api.json["fields"]) == [field], api.json
    login(agency)
    page = client.post("/pledges/new", data={**_values(university, bank, **{field: bad}),
                                             "patent_numbers": patent.application_number})
    assert page.status_code == 200
    assert page_errors(page) == api.json["fields"]
    assert api.json["message"] in html.unescape(page.get_data(as_text=True))


def _registered(app, agency, bank, university, patent) -> int:
    with app.app_context():
        pledge = services.register_pledge(agency.load(), {**_values(university, bank), "patent_ids": [patent.id]})
        transaction.commit()
        factories.approve("pledge", pledge.id, university, bank)
        return pledge.id


@pytest.mark.parametrize(("path", "body"), [("release", {"released_on": "2026-13-01"}),
                                            ("consent", {"reference": "号" * 201}),
                                            ("consent", {"consent_on": "yesterday"})])
def test_release_and_consent_refused_alike_by_page_and_api(app, client, login, token_for, agency, bank, university,
                                                           patent, path, body):
    pledge_id = _registered(app, agency, bank, university, patent)
    api_path = {"release": "release", "consent": "open-license-consent"}[path]
    api = client.post(f"/api/v1/pledges/{pledge_id}/{api_path}", json=body, headers=token_for(bank))
    assert api.status_code == 422 and list(api.json["fields"]) == list(body), api.json
    login(bank)
    client.post(f"/pledges/{pledge_id}/{path}", data=body)
    assert api.json["message"] in html.unescape(client.get(f"/pledges/{pledge_id}").get_data(as_text=True))
