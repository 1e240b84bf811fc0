"""The open-license catalogue marks the licenses the visitor's organisation already holds."""
from __future__ import annotations

from tests import factories


def test_the_catalogue_marks_the_licenses_the_visitor_already_holds(app, client, login, university, company):
    from marketplace.core import transaction
    from marketplace.openlicense.licensing import accept_open_license

    with app.app_context():
        held = factories.make_open_license(university, factories.make_granted_patent(university))
        other = factories.make_open_license(university, factories.make_granted_patent(university))
        grant = accept_open_license(company.load(), held)
        transaction.commit()
        license_id = grant.id
    login(company)
    page = client.get("/open-licenses").get_data(as_text=True)
    assert f'data-held="{license_id}"' in page and page.count("data-held=") == 1
    assert f'data-declaration-id="{other}"' in page
    client.post("/logout")
    login(university)
    assert "data-held=" not in client.get("/open-licenses").get_data(as_text=True)
