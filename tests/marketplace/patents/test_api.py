"""The patents API, endpoint by endpoint, with its access rules and error shapes."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.core.dates import parse_date
from marketplace.patents.vocab import LegalStatus
from tests.factories import load_fixture, make_patent, patent_values

SAMPLE = load_fixture("patents_sample.jsonl")
BY_NUMBER = {record["app_no"]: record for record in SAMPLE}
DRONE = BY_NUMBER["CN202121762003.0"]
TILLER = BY_NUMBER["CN200910098961.X"]
BRIDGE = BY_NUMBER["CN201220226091.7"]


@pytest.fixture
def patents(app, university, other_university):
    with app.app_context():
        return {
            "drone": make_patent(university, DRONE, publish=True, grade="A", segments=["SEI-02"],
                                 price_min="200000", price_max="500000"),
            "draft": make_patent(university, BY_NUMBER["CN202211740332.4"], segments=["TM-A2"]),
            "tiller": make_patent(other_university, TILLER, publish=True, segments=["TM-H11"]),
        }


def api_body(record: dict) -> dict:
    """A record as the JSON an API client sends: lists as lists, ISO dates, vocabulary values."""
    values = patent_values(record)
    if isinstance(values["inventors"], str):
        values["inventors"] = [name for name in values["inventors"].split(";") if name]
    if values["application_date"]:
        values["application_date"] = parse_date(values["application_date"], "application_date").isoformat()
    if "legal_status" in values:
        values["legal_status"] = LegalStatus.parse(values["legal_status"]).value
    return {key: value for key, value in values.items() if value not in ("", None, [])}


def row(app, patent_id: int) -> Patent | None:
    with app.app_context():
        patent = db.session.get(Patent, patent_id)
        if patent is not None:
            db.session.expunge(patent)
        return patent


# --- GET /patents ---------------------------------------------------------------------------

def test_list_is_public_and_leaves_drafts_out(client, patents):
    body = client.get("/api/v1/patents").get_json()
    assert {item["title"] for item in body["items"]} == {DRONE["title"], TILLER["title"]}
    assert body["meta"] == {"page": 1, "per_page": 20, "total": 2, "pages": 1, "more": False}
    drone = next(item for item in body["items"] if item["id"] == patents["drone"].id)
    assert drone["price_min"] == "200000.00" and drone["segments"] == ["SEI-02"]
    assert drone["owner"]["name"] == "测试大学"


def test_list_filters_and_pages(client, patents):
    agriculture = client.get("/api/v1/patents?segment=TM-H").get_json()
    assert [item["title"] for item in agriculture["items"]] == [TILLER["title"]]
    graded = client.get("/api/v1/patents?grade=A&patent_type=utility_model").get_json()
    assert [item["id"] for item in graded["items"]] == [patents["drone"].id]
    second = client.get("/api/v1/patents?per_page=1&page=2").get_json()
    assert second["meta"]["pages"] == 2 and len(second["items"]) == 1


def test_list_refuses_unknown_values(client):
    response = client.get("/api/v1/patents?sort=random&legal_status=alive")
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"sort", "legal_status"}


def test_mine_lists_own_drafts(client, patents, token_for, university, other_university):
    mine = client.get("/api/v1/patents?mine=true", headers=token_for(university)).get_json()
    assert {item["id"] for item in mine["items"]} == {patents["drone"].id, patents["draft"].id}
    drafts = client.get("/api/v1/patents?mine=true&state=draft", headers=token_for(university)).get_json()
    assert [item["state"] for item in drafts["items"]] == ["draft"]
    theirs = client.get("/api/v1/patents?mine=true", headers=token_for(other_university)).get_json()
    assert [item["id"] for item in theirs["items"]] == [patents["tiller"].id]


def test_mine_needs_a_caller(client):
    assert client.get("/api/v1/patents?mine=true").status_code == 401


# --- GET /patents/{id} ----------------------------------------------------------------------

def test_read_published_and_own_draft(client, patents, token_for, university, other_university):
    published = client.get(f"/api/v1/patents/{patents['drone'].id}").get_json()
    assert published["application_number"] == "202121762003.0"
    assert published["patent_number"] == "ZL202121762003.0" and published["ipc_main"] == "B64C 39/02"
    url = f"/api/v1/patents/{patents['draft'].id}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=token_for(other_university)).status_code == 404
    assert client.get(url, headers=token_for(university)).get_json()["state"] == "draft"


# --- POST /patents --------------------------------------------------------------------------

def test_create_draft(app, client, token_for, university):
    response = client.post("/api/v1/patents", json={**api_body(BRIDGE), "segments": ["高端装备制造"],
                                                    "modes": ["license"], "price_min": "80000"},
                           headers=token_for(university))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "draft" and body["patent_type"] == "utility_model"
    assert body["segments"] == ["SEI-02"] and body["price_min"] == "80000.00" and body["price_max"] is None
    assert row(app, body["id"]).owner_id == university.organisation_id


def test_create_and_publish(client, token_for, university):
    response = client.post("/api/v1/patents", json={**api_body(BRIDGE), "publish": True},
                           headers=token_for(university))
    assert response.status_code == 201 and response.get_json()["state"] == "published"


def test_create_with_wrong_check_digit_names_the_right_one(client, token_for, university):
    response = client.post("/api/v1/patents", json={"application_number": "201710601862.9", "title": "锂电池"},
                           headers=token_for(university))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert "应为 3" in body["fields"]["application_number"]


def test_create_missing_title_and_bad_money(client, token_for, university):
    response = client.post("/api/v1/patents", json={"application_number": BRIDGE["app_no"], "price_min": "-5"},
                           headers=token_for(university))
    assert response.status_code == 422
    assert {"title", "price_min"} <= set(response.get_json()["fields"])


def test_create_duplicate_is_409(client, patents, token_for, university, other_university):
    for user in (university, other_university):
        response = client.post("/api/v1/patents", json=api_body(DRONE), headers=token_for(user))
        assert response.status_code == 409
        assert "application_number" in response.get_json()["fields"]


@pytest.mark.parametrize("kind", ["agency", "bank"])
def test_create_refused_to_agencies_and_banks(client, token_for, kind, request):
    response = client.post("/api/v1/patents", json=api_body(BRIDGE), headers=token_for(request.getfixturevalue(kind)))
    assert response.status_code == 403


def test_company_can_create(client, token_for, company):
    assert client.post("/api/v1/patents", json=api_body(BRIDGE), headers=token_for(company)).status_code == 201


def test_writes_need_a_bearer_token(client, login, patents, university):
    login(university)  # a session cookie alone must not write
    assert client.post("/api/v1/patents", json=api_body(BRIDGE)).status_code == 401
    assert client.patch(f"/api/v1/patents/{patents['draft'].id}", json={"grade": "B"}).status_code == 401
    assert client.delete(f"/api/v1/patents/{patents['draft'].id}").status_code == 401


# --- PATCH /patents/{id} --------------------------------------------------------------------

def test_patch_changes_given_fields_only(app, client, patents, token_for, university):
    response = client.patch(f"/api/v1/patents/{patents['drone'].id}", json={"grade": "B", "price_max": "600000"},
                            headers=token_for(university))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["grade"], body["price_min"], body["price_max"]) == ("B", "200000.00", "600000.00")
    assert body["title"] == DRONE["title"] and body["segments"] == ["SEI-02"]


def test_patch_state_publishes_and_unpublishes(client, patents, token_for, university):
    headers = token_for(university)
    url = f"/api/v1/patents/{patents['draft'].id}"
    assert client.patch(url, json={"state": "published"}, headers=headers).get_json()["state"] == "published"
    assert client.get(url).status_code == 200
    assert client.patch(url, json={"state": "draft"}, headers=headers).get_json()["state"] == "draft"
    assert client.get(url).status_code == 404


def test_patch_refuses_to_publish_a_lapsed_patent(app, client, patents, token_for, university):
    response = client.patch(f"/api/v1/patents/{patents['draft'].id}",
                            json={"legal_status": "invalidated", "state": "published"}, headers=token_for(university))
    assert response.status_code == 422
    assert row(app, patents["draft"].id).legal_status.value == "pending"  # the whole request rolled back


def test_patch_validation_errors(client, patents, token_for, university):
    response = client.patch(f"/api/v1/patents/{patents['draft'].id}",
                            json={"grade": "Z", "ipc_main": "not-ipc", "unknown": 1}, headers=token_for(university))
    assert response.status_code == 422
    assert "unknown" in response.get_json()["fields"]
    response = client.patch(f"/api/v1/patents/{patents['draft'].id}", json={"grade": "Z", "ipc_main": "not-ipc"},
                            headers=token_for(university))
    assert set(response.get_json()["fields"]) == {"grade", "ipc_main"}


def test_patch_and_delete_of_foreign_patent_are_404(app, client, patents, token_for, other_university):
    headers = token_for(other_university)
    for name in ("drone", "draft"):
        url = f"/api/v1/patents/{patents[name].id}"
        assert client.patch(url, json={"grade": "A"}, headers=headers).status_code == 404
        assert client.patch(url, json={"state": "published"}, headers=headers).status_code == 404
        assert client.delete(url, headers=headers).status_code == 404
    assert row(app, patents["draft"].id).state.value == "draft"


# --- DELETE /patents/{id} -------------------------------------------------------------------

def test_delete_draft_only(app, client, patents, token_for, university):
    headers = token_for(university)
    response = client.delete(f"/api/v1/patents/{patents['drone'].id}", headers=headers)
    assert response.status_code == 409
    assert client.delete(f"/api/v1/patents/{patents['draft'].id}", headers=headers).status_code == 204
    assert row(app, patents["draft"].id) is None


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/patents"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/patents/{patent_id}"])


def test_bulk_api_all_matching_and_bound(app, client, patents, token_for, university, monkeypatch):
    from marketplace.patents import services
    headers = token_for(university)
    response = client.post("/api/v1/patents/bulk", headers=headers,
                           json={"action": "grade", "grade": "D", "all_matching": True, "filters": {"state": "draft"}})
    assert response.status_code == 200 and response.json == {"updated": 1}
    assert [row(app, patents[n].id).grade for n in ("drone", "draft", "tiller")] == ["A", "D", None]
    monkeypatch.setattr(services, "BULK_LIMIT", 1)
    response = client.post("/api/v1/patents/bulk", headers=headers, json={"action": "publish", "all_matching": True})
    assert response.status_code == 422 and "all_matching" in response.json["fields"]
    assert client.post("/api/v1/patents/bulk", headers=headers, json={"action": "publish"}).status_code == 422
