"""Agency-relationship pages and API, route by route and role by role."""
from __future__ import annotations

import re

import pytest

from marketplace.agencies.access import is_authorised
from marketplace.agencies.models import AgencyRelationship, RelationshipStatus
from marketplace.extensions import db
from tests import factories


def _relationship(app, relationship_id: int) -> AgencyRelationship:
    with app.app_context():
        relationship = db.session.get(AgencyRelationship, relationship_id)
        db.session.expunge(relationship)
        return relationship


def _authorised(app, agency, organisation, permission="serve") -> bool:
    with app.test_request_context():
        return is_authorised(agency.organisation_id, organisation.organisation_id, permission)


def test_pages_need_sign_in(client):
    response = client.get("/agencies")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/agencies/requests").status_code == 302


def test_agency_asks_and_the_organisation_accepts_on_its_page(app, client, login, agency, company):
    login(agency)
    page = client.get("/agencies").get_data(as_text=True)
    assert "申请为机构服务" in page
    response = client.post("/agencies/requests", data={"organisation_id": str(company.organisation_id),
                                                       "permissions": ["open_licenses", "funnel"], "message": "您好"})
    assert response.status_code == 302
    clients = client.get("/agencies").get_data(as_text=True)
    relationship_id = int(re.search(r'data-relationship="(\d+)" data-status="requested"', clients).group(1))
    assert not _authorised(app, agency, company)
    client.post("/logout")
    login(company)
    page = client.get("/agencies").get_data(as_text=True)
    assert "运营机构授权" in page and 'id="incoming"' in page and f'data-relationship="{relationship_id}"' in page
    accepted = client.post(f"/agencies/{relationship_id}/accept", data={"permissions": ["open_licenses"]})
    assert accepted.status_code == 302
    assert _relationship(app, relationship_id).status == RelationshipStatus.ACTIVE
    assert _authorised(app, agency, company, "open_licenses") and not _authorised(app, agency, company, "funnel")
    assert client.post(f"/agencies/{relationship_id}/permissions", data={"permissions": ["funnel"]}).status_code == 302
    assert _authorised(app, agency, company, "funnel") and not _authorised(app, agency, company, "open_licenses")
    assert client.post(f"/agencies/{relationship_id}/revoke", data={"comment": "结束合作"}).status_code == 302
    assert _relationship(app, relationship_id).status == RelationshipStatus.REVOKED
    assert not _authorised(app, agency, company)
    history = client.get("/agencies").get_data(as_text=True)
    assert re.search(rf'data-relationship="{relationship_id}" data-status="revoked"', history)
    assert "结束合作" in history


def test_the_agency_cannot_accept_its_own_request_nor_revoke(app, client, login, agency, company):
    with app.test_request_context():
        relationship_id = factories.authorise_agency(agency, company)
    login(agency)
    assert client.post(f"/agencies/{relationship_id}/revoke", data={}).status_code == 403
    assert client.post(f"/agencies/{relationship_id}/permissions",
                       data={"permissions": ["funnel"]}).status_code == 403
    assert not _authorised(app, agency, company, "funnel")


def test_an_agency_cannot_accept_for_the_organisation(app, client, login, agency, company):
    login(agency)
    client.post("/agencies/requests", data={"organisation_id": str(company.organisation_id)})
    page = client.get("/agencies").get_data(as_text=True)
    relationship_id = int(re.search(r'data-relationship="(\d+)"', page).group(1))
    response = client.post(f"/agencies/{relationship_id}/accept", data={}, follow_redirects=True)
    assert "须由另一方" in response.get_data(as_text=True)
    assert _relationship(app, relationship_id).status == RelationshipStatus.REQUESTED


@pytest.mark.parametrize("action", ["accept", "decline", "withdraw", "revoke", "permissions"])
def test_strangers_get_404_and_members_403(app, client, login, agency, company, other_university, action):
    login(agency)
    client.post("/agencies/requests", data={"organisation_id": str(company.organisation_id)})
    relationship_id = int(re.search(r'data-relationship="(\d+)"', client.get("/agencies").get_data(as_text=True))
                          .group(1))
    client.post("/logout")
    login(other_university)
    assert client.post(f"/agencies/{relationship_id}/{action}", data={}).status_code == 404
    client.post("/logout")
    with app.app_context():
        member = factories.add_member(company, "member")
    login(member)
    assert client.post(f"/agencies/{relationship_id}/{action}", data={}).status_code == 403
    assert "需机构所有者或管理员决定" in client.get("/agencies").get_data(as_text=True)
    assert _relationship(app, relationship_id).status == RelationshipStatus.REQUESTED


def test_forms_need_the_csrf_token(app, client, login, agency, company, request):
    login(agency)
    request.getfixturevalue("csrf_app")
    form = {"organisation_id": str(company.organisation_id)}
    assert client.post("/agencies/requests", data=form).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                      client.get("/agencies").get_data(as_text=True))
    assert client.post("/agencies/requests", data={**form, "csrf_token": token.group(1) or token.group(2)}
                       ).status_code == 302
    with app.app_context():
        assert db.session.query(AgencyRelationship).count() == 1


def test_platform_admin_sees_every_relationship_and_decides_none(app, client, login, platform_admin, agency,
                                                                  company):
    login(agency)
    client.post("/agencies/requests", data={"organisation_id": str(company.organisation_id)})
    client.post("/logout")
    login(platform_admin)
    page = client.get("/agencies").get_data(as_text=True)
    relationship_id = int(re.search(r'data-relationship="(\d+)"', page).group(1))
    assert client.post(f"/agencies/{relationship_id}/accept", data={}).status_code == 403
    assert _relationship(app, relationship_id).status == RelationshipStatus.REQUESTED


def test_english_pages_show_no_chinese_labels(client, login, agency, company):
    login(company)
    client.get("/lang/en")
    page = client.get("/agencies").get_data(as_text=True)
    assert "Agency authorizations" in page or "Agency authorisations" in page
    assert "运营机构授权" not in page and "授权范围" not in page


# --- API --------------------------------------------------------------------------------------------------

def test_api_flow_request_accept_revoke(app, client, token_for, agency, company):
    asked = client.post("/api/v1/agency-relationships", json={"organisation_id": company.organisation_id,
                                                              "permissions": ["open_licenses", "funnel"]},
                        headers=token_for(agency))
    assert asked.status_code == 201, asked.get_json()
    body = asked.get_json()
    assert body["status"] == "requested" and body["permissions"] == ["open_licenses", "funnel"]
    relationship_id = body["id"]
    refused = client.post(f"/api/v1/agency-relationships/{relationship_id}/accept", json={},
                          headers=token_for(agency))
    assert refused.status_code == 409
    accepted = client.post(f"/api/v1/agency-relationships/{relationship_id}/accept",
                           json={"permissions": ["funnel"]}, headers=token_for(company))
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "active"
    assert {p["permission"] for p in accepted.get_json()["periods"]} == {"serve", "funnel"}
    listed = client.get("/api/v1/agency-relationships", headers=token_for(agency)).get_json()
    assert [r["id"] for r in listed] == [relationship_id]
    assert client.put(f"/api/v1/agency-relationships/{relationship_id}/permissions",
                      json={"permissions": ["open_licenses"]}, headers=token_for(agency)).status_code == 403
    changed = client.put(f"/api/v1/agency-relationships/{relationship_id}/permissions",
                         json={"permissions": ["open_licenses"]}, headers=token_for(company))
    assert changed.status_code == 200 and changed.get_json()["permissions"] == ["open_licenses"]
    revoked = client.post(f"/api/v1/agency-relationships/{relationship_id}/revoke", json={"reason": "到期"},
                          headers=token_for(company))
    assert revoked.status_code == 200 and revoked.get_json()["ended_on"] is not None
    assert not _authorised(app, agency, company)


def test_api_refusals(client, token_for, agency, company, other_university):
    assert client.get("/api/v1/agency-relationships").status_code == 401
    bad = client.post("/api/v1/agency-relationships", json={"organisation_id": company.organisation_id,
                                                            "permissions": ["everything"]}, headers=token_for(agency))
    assert bad.status_code == 422 and "permissions" in bad.get_json()["fields"]
    first = client.post("/api/v1/agency-relationships", json={"organisation_id": company.organisation_id},
                        headers=token_for(agency)).get_json()
    again = client.post("/api/v1/agency-relationships", json={"agency_id": agency.organisation_id},
                        headers=token_for(company))
    assert again.status_code == 409
    assert client.get(f"/api/v1/agency-relationships/{first['id']}",
                      headers=token_for(other_university)).status_code == 404
    assert client.post(f"/api/v1/agency-relationships/{first['id']}/withdraw",
                       headers=token_for(company)).status_code == 409
    assert client.post(f"/api/v1/agency-relationships/{first['id']}/withdraw",
                       headers=token_for(agency)).get_json()["status"] == "withdrawn"


def test_api_writes_need_a_token(client, login, agency, company):
    login(agency)
    response = client.post("/api/v1/agency-relationships", json={"organisation_id": company.organisation_id})
    assert response.status_code == 401


def test_openapi_documents_the_relationships_and_the_figures(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/agency-relationships/{relationship_id}/accept" in spec["paths"]
    assert "/api/v1/stats/pending" in spec["paths"]
    tags = {tag["name"]: tag.get("description", "") for tag in spec["tags"]}
    assert "confirmed by the licensor" in tags["console_api"] and "open_licenses" in tags["agencies_api"]
