"""Pledge pages: agency entry, the bank's list, release and consent, private to the parties."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.legal.term import add_months
from marketplace.core.dates import local_today
from marketplace.pledges.models import Pledge
from tests import factories


@pytest.fixture
def patent(app, university):
    with app.app_context():
        return factories.make_granted_patent(university)


def test_agency_enters_a_pledge_and_the_bank_releases_it(app, client, login, agency, bank, university,
                                                         other_university, patent):
    login(agency)
    assert client.get("/pledges/new").status_code == 200
    response = client.post("/pledges/new", data={
        "pledgor_id": university.organisation_id, "pledgee_id": bank.organisation_id,
        "patent_numbers": patent.application_number, "amount": "2000000", "registration_number": "Y2026520009",
        "term_end": add_months(local_today(), 12).isoformat()})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        pledge_id = db.session.query(Pledge).one().id
        factories.approve("pledge", pledge_id, university)
    client.post("/logout")
    login(bank)
    page = client.get(f"/pledges/{pledge_id}").get_data(as_text=True)
    assert "待各方确认" in page and 'formaction="/consents/' in page
    assert client.get("/consents").get_data(as_text=True).count('data-act="pledge_registration"') == 1
    with app.app_context():
        factories.approve("pledge", pledge_id, bank)
    assert f'data-pledge-id="{pledge_id}"' in client.get("/pledges").get_data(as_text=True)
    client.post(f"/pledges/{pledge_id}/consent", data={"reference": "同意书"})
    client.post(f"/pledges/{pledge_id}/release", data={})
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        assert pledge.open_license_consent and pledge.status == "released"
    client.post("/logout")
    login(other_university)
    assert client.get(f"/pledges/{pledge_id}").status_code == 404


def test_refusal_reasons_show_on_the_form(client, login, agency, bank, university, patent):
    login(agency)
    page = client.post("/pledges/new", data={
        "pledgor_id": university.organisation_id, "pledgee_id": bank.organisation_id,
        "patent_numbers": patent.application_number, "amount": "2000000", "registration_number": "Y1",
        "term_end": "2099-01-01"})
    assert page.status_code == 200 and "债务履行期限超过专利权有效期" in page.get_data(as_text=True)
