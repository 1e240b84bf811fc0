"""One schema per input: the agency pages and the agency-relationships API read a request, an acceptance, a scope
and a comment through the same schemas (``agencies.api``): the same wrong value, the same reason, the same label."""
from __future__ import annotations

import html

import pytest

from marketplace.agencies import services
from marketplace.core import transaction


def _flashed(client) -> str:
    return html.unescape(client.get("/agencies").get_data(as_text=True))


@pytest.mark.parametrize(("field", "bad"), [("message", "说" * 501), ("permissions", "bogus"),
                                            ("start_on", "2026-02-30")])
def test_a_request_is_refused_alike_by_page_and_api(client, login, token_for, agency, company, field, bad):
    body = {"agency_id": agency.organisation_id, field: [bad] if field == "permissions" else bad}
    api = client.post("/api/v1/agency-relationships", json=body, headers=token_for(company))
    assert api.status_code == 422 and list(api.json["fields"]) == [field], api.json
    login(company)
    client.post("/agencies/requests", data={"agency_id": agency.organisation_id, field: bad})
    assert api.json["message"] in _flashed(client)


@pytest.mark.parametrize(("act", "method", "body", "page_data"), [
    ("accept", "post", {"comment": "意" * 501}, {"comment": "意" * 501}),
    ("accept", "post", {"permissions": ["bogus"]}, {"permissions": "bogus"}),
    ("decline", "post", {"comment": "意" * 501}, {"comment": "意" * 501}),
    ("permissions", "put", {"permissions": ["bogus"]}, {"permissions": "bogus"}),
])
def test_acts_are_refused_alike_by_page_and_api(app, client, login, token_for, agency, company, act, method, body,
                                                page_data):
    with app.app_context():
        relationship = services.request_relationship(agency.load(), {"organisation_id": company.organisation_id})
        transaction.commit()
        relationship_id = relationship.id
        if act == "permissions":
            services.accept_relationship(company.load(), relationship_id, {})
            transaction.commit()
    api = getattr(client, method)(f"/api/v1/agency-relationships/{relationship_id}/{act}", json=body,
                                  headers=token_for(company))
    assert api.status_code == 422 and list(api.json["fields"]) == list(body), api.json
    login(company)
    client.post(f"/agencies/{relationship_id}/{act}", data=page_data)
    assert api.json["message"] in _flashed(client)


def test_a_revocation_reason_is_refused_alike_by_page_and_api(app, client, login, token_for, agency, company):
    with app.app_context():
        relationship = services.request_relationship(agency.load(), {"organisation_id": company.organisation_id})
        transaction.commit()
        services.accept_relationship(company.load(), relationship.id, {})
        transaction.commit()
        relationship_id = relationship.id
    api = client.post(f"/api/v1/agency-relationships/{relationship_id}/revoke", json={"reason": "理" * 501},
                      headers=token_for(company))
    assert api.status_code == 422 and list(api.json["fields"]) == ["reason"], api.json
    login(company)
    client.post(f"/agencies/{relationship_id}/revoke", data={"comment": "理" * 501})
    assert api.json["message"] in _flashed(client)
