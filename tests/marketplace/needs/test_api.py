"""The needs API endpoint by endpoint: shapes, filters, errors, and bearer tokens versus session cookies."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.core.dates import local_today
from marketplace.extensions import db
from marketplace.needs.models import Need
from tests import factories
from tests.marketplace.needs.records import end_date, need_values, record, records

TOMORROW = local_today() + timedelta(days=1)


@pytest.fixture
def post_need(app):
    def post(user: factories.UserRef, rec_id: str = "need-2", **overrides) -> int:
        with app.test_request_context():
            return factories.make_need(user, **need_values(record(rec_id), **overrides))
    return post


def _body(rec_id: str, **overrides) -> dict:
    """A JSON body from a real record (the API takes lists, dates and money as strings)."""
    return need_values(record(rec_id), **overrides)


# --- GET /needs ---------------------------------------------------------------------------------

def test_list_is_public_and_paginated(client, app, company):
    with app.test_request_context():
        ids = [factories.make_need(company, **need_values(rec)) for rec in records()]
        factories.make_need(company, title="不公开的需求", public=False)
    response = client.get("/api/v1/needs?per_page=15&page=2")
    assert response.status_code == 200
    data = response.get_json()
    assert data["meta"] == {"page": 2, "per_page": 15, "total": 20, "pages": 2}
    assert [item["id"] for item in data["items"]] == sorted(ids, reverse=True)[15:]


def test_list_item_shape(client, company, post_need):
    need_id = post_need(company, "need-216", budget_min="10000", budget_max="80000.5", keywords=["储能"],
                        valid_until=TOMORROW.isoformat())
    item = client.get("/api/v1/needs").get_json()["items"][0]
    assert item["id"] == need_id
    assert item["title"] == "一种环保型储能调温纤维及其制备方法"
    assert item["budget_min"] == "10000.00" and item["budget_max"] == "80000.50"
    assert item["modes"] == ["equity", "transfer", "license"] and item["segments"] == ["TM-E"]
    assert item["keywords"] == ["储能"] and item["valid_until"] == TOMORROW.isoformat()
    assert item["status"] == "open" and item["public"] is True and item["expired"] is False and item["listed"] is True
    assert item["organisation"]["name"] == "测试科技有限公司" and item["closed_at"] is None


def test_list_filters(client, company, post_need):
    flashlight = post_need(company, "need-0", segments=["TM-A1"], modes=["license"])
    kiwi = post_need(company, "need-18", segments=["TM-H"], modes=["transfer"])

    def ids(query: str) -> list[int]:
        return [item["id"] for item in client.get(f"/api/v1/needs?{query}").get_json()["items"]]

    assert ids("segment=TM") == [kiwi, flashlight]
    assert ids("segment=TM-A") == [flashlight]
    assert ids("segment=农业") == [kiwi]
    assert ids("mode=license") == [flashlight]
    assert ids("q=LED") == [flashlight]


@pytest.mark.parametrize(("query", "field"), [("segment=nonexistent", "segment"), ("mode=auction", "mode"),
                                               ("per_page=500", "per_page"), ("page=0", "page")])
def test_list_rejects_bad_arguments(client, query, field):
    response = client.get(f"/api/v1/needs?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_mine_lists_the_callers_needs_and_requires_a_caller(client, company, other_company, university, post_need,
                                                            token_for):
    private = post_need(company, public=False)
    closed = post_need(company, "need-0")
    post_need(other_company, "need-10")
    client.patch(f"/api/v1/needs/{closed}", json={"status": "closed"}, headers=token_for(company))
    assert client.get("/api/v1/needs?mine=true").status_code == 401
    items = client.get("/api/v1/needs?mine=true", headers=token_for(company)).get_json()["items"]
    assert [(i["id"], i["status"]) for i in items] == [(private, "open"), (closed, "closed")]
    assert client.get("/api/v1/needs?mine=true", headers=token_for(university)).status_code == 403


# --- POST /needs --------------------------------------------------------------------------------

def test_company_posts_with_a_token(client, app, company, token_for, need_events):
    body = _body("need-1043", budget_min="20000", budget_max="100000", keywords=["根系", "红外"],
                 valid_until=TOMORROW.isoformat(), public=False)
    response = client.post("/api/v1/needs", json=body, headers=token_for(company))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["title"] == "红外根系探测仪" and data["modes"] == ["equity", "license"]
    assert data["public"] is False and data["listed"] is False and data["budget_max"] == "100000.00"
    with app.app_context():
        need = db.session.get(Need, data["id"])
        assert need.organisation_id == company.organisation_id and need.created_by_id == company.id
    assert need_events == [(data["id"], "changed")]


def test_post_with_only_a_session_cookie_is_401(client, login, company):
    login(company)
    response = client.post("/api/v1/needs", json=_body("need-0"))
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_post_with_a_revoked_or_bogus_token_is_401(client):
    response = client.post("/api/v1/needs", json=_body("need-0"), headers={"Authorization": "Bearer pmk_nope"})
    assert response.status_code == 401


@pytest.mark.parametrize("who", ["university", "agency", "bank", "platform_admin"])
def test_non_companies_cannot_post(client, request, token_for, who):
    response = client.post("/api/v1/needs", json=_body("need-0"), headers=token_for(request.getfixturevalue(who)))
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": None}, "title"),
    ({"title": "  "}, "title"),
    ({"valid_until": end_date(record("need-2"))}, "valid_until"),
    ({"valid_until": "13/01/2021"}, "valid_until"),
    ({"budget_min": "-100"}, "budget_min"),
    ({"budget_min": "1.005"}, "budget_min"),
    ({"budget_min": "90000", "budget_max": "1000"}, "budget_max"),
    ({"segments": ["量子炼金术"]}, "segments"),
    ({"modes": ["委托开发"]}, "modes"),
    ({"public": "sometimes"}, "public"),
    ({"status": "closed"}, "status"),
    ({"owner": 1}, "owner"),
])
def test_post_validation_errors_name_the_field(client, company, token_for, changes, field):
    body = {k: v for k, v in {**_body("need-2"), **changes}.items() if v is not None}
    response = client.post("/api/v1/needs", json=body, headers=token_for(company))
    assert response.status_code == 422, response.get_json()
    data = response.get_json()
    assert data["error"] == "validation_failed" and field in data["fields"]


# --- GET /needs/{id} ----------------------------------------------------------------------------

def test_get_public_need_anonymously(client, company, post_need):
    need_id = post_need(company, "need-63")
    data = client.get(f"/api/v1/needs/{need_id}").get_json()
    assert data["title"] == "一种脱敏大米蛋白制备方法" and data["segments"] == ["TM-H"]


def test_private_need_is_404_for_others_and_visible_to_its_company(client, login, company, other_company,
                                                                   platform_admin, post_need, token_for):
    need_id = post_need(company, public=False)
    assert client.get(f"/api/v1/needs/{need_id}").status_code == 404
    response = client.get(f"/api/v1/needs/{need_id}", headers=token_for(other_company))
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert client.get(f"/api/v1/needs/{need_id}", headers=token_for(company)).status_code == 200
    assert client.get(f"/api/v1/needs/{need_id}", headers=token_for(platform_admin)).status_code == 200
    login(company)
    assert client.get(f"/api/v1/needs/{need_id}").status_code == 200  # a session cookie may read
    assert client.get("/api/v1/needs/999999").status_code == 404


# --- PATCH /needs/{id} --------------------------------------------------------------------------

def test_patch_changes_only_the_given_fields(client, company, post_need, token_for):
    need_id = post_need(company, "need-600", budget_min="50000", keywords=["铅酸蓄电池"])
    response = client.patch(f"/api/v1/needs/{need_id}", json={"budget_max": "300000", "segments": ["新能源"]},
                            headers=token_for(company))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()
    assert data["budget_min"] == "50000.00" and data["budget_max"] == "300000.00"
    assert data["segments"] == ["SEI-06"] and data["keywords"] == ["铅酸蓄电池"]
    assert data["title"] == "动力用铅酸蓄电池包装线自动化生产技术的提高"


def test_patch_status_closes_and_reopens(client, company, post_need, token_for):
    need_id = post_need(company)
    headers = token_for(company)
    closed = client.patch(f"/api/v1/needs/{need_id}", json={"status": "closed"}, headers=headers).get_json()
    assert closed["status"] == "closed" and closed["closed_at"] and closed["listed"] is False
    assert client.get("/api/v1/needs").get_json()["meta"]["total"] == 0
    reopened = client.patch(f"/api/v1/needs/{need_id}", json={"status": "open"}, headers=headers).get_json()
    assert reopened["status"] == "open" and reopened["closed_at"] is None
    assert client.get("/api/v1/needs").get_json()["meta"]["total"] == 1


def test_patch_reopens_an_expired_need_only_with_a_new_date(client, app, company, post_need, token_for):
    need_id = post_need(company, valid_until=TOMORROW.isoformat())
    headers = token_for(company)
    client.patch(f"/api/v1/needs/{need_id}", json={"status": "closed"}, headers=headers)
    with app.app_context():
        db.session.get(Need, need_id).valid_until = local_today() - timedelta(days=2)
        db.session.commit()
    assert client.get(f"/api/v1/needs/{need_id}").get_json()["expired"] is True
    refused = client.patch(f"/api/v1/needs/{need_id}", json={"status": "open"}, headers=headers)
    assert refused.status_code == 422 and "valid_until" in refused.get_json()["fields"]
    later = (local_today() + timedelta(days=90)).isoformat()
    response = client.patch(f"/api/v1/needs/{need_id}", json={"status": "open", "valid_until": later},
                            headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "open" and response.get_json()["expired"] is False


@pytest.mark.parametrize(("body", "field"), [({"status": "archived"}, "status"), ({"title": ""}, "title"),
                                              ({"budget_max": "1"}, "budget_max"), ({"id": 5}, "id")])
def test_patch_validation_errors_name_the_field(client, company, post_need, token_for, body, field):
    need_id = post_need(company, budget_min="1000")
    response = client.patch(f"/api/v1/needs/{need_id}", json=body, headers=token_for(company))
    assert response.status_code == 422 and field in response.get_json()["fields"]


def test_patch_by_others_is_403_on_public_and_404_on_private(client, company, other_company, post_need, token_for):
    public = post_need(company)
    private = post_need(company, "need-10", public=False)
    headers = token_for(other_company)
    assert client.patch(f"/api/v1/needs/{public}", json={"title": "篡改"}, headers=headers).status_code == 403
    assert client.patch(f"/api/v1/needs/{public}", json={"status": "closed"}, headers=headers).status_code == 403
    assert client.patch(f"/api/v1/needs/{private}", json={"title": "篡改"}, headers=headers).status_code == 404
    assert client.get(f"/api/v1/needs/{public}").get_json()["title"] == "LED升压恒流驱动的电路"


def test_patch_with_only_a_session_cookie_is_401(client, login, company, post_need):
    need_id = post_need(company)
    login(company)
    assert client.patch(f"/api/v1/needs/{need_id}", json={"status": "closed"}).status_code == 401
    assert client.get(f"/api/v1/needs/{need_id}").get_json()["status"] == "open"


def test_openapi_documents_the_needs_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/needs"]) >= {"get", "post"}
    assert set(paths["/api/v1/needs/{need_id}"]) >= {"get", "patch"}
