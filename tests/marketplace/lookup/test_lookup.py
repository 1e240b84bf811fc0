"""Type-ahead lookups behind the form pickers: who sees what, literal matching, limits, and the pickers on the forms."""
from __future__ import annotations

import pytest

from marketplace.accounts.models import User
from marketplace.core import ratelimit
from marketplace.extensions import db
from marketplace.lookup import services
from marketplace.patents.models import Patent
from tests.factories import load_fixture, make_patent, make_user

SAMPLE = load_fixture("patents_sample.jsonl")


@pytest.fixture(autouse=True)
def fresh_budget():
    ratelimit._counts.clear()  # ids are reused between rolled-back tests: start every test with a full budget
    yield
    ratelimit._counts.clear()


@pytest.fixture
def patents(app, university, other_university):
    """What the other university sees: the university's published patent and its own draft, not the university's."""
    with app.app_context():
        refs = {"published": make_patent(university, SAMPLE[0], publish=True),
                "own_draft": make_patent(other_university, SAMPLE[1]),
                "foreign_draft": make_patent(university, SAMPLE[2])}
        return {name: (db.session.get(Patent, ref.id).application_number, db.session.get(Patent, ref.id).title)
                for name, ref in refs.items()}


def _numbers(client, q: str) -> set[str]:
    response = client.get("/api/v1/lookup/patents", query_string={"q": q})
    assert response.status_code == 200, response.json
    return {item["application_number"] for item in response.json}


@pytest.mark.parametrize("name,visible", [("published", True), ("own_draft", True), ("foreign_draft", False)])
def test_patents_offer_published_ones_and_the_callers_own(client, login, patents, other_university, name, visible):
    login(other_university)
    number, title = patents[name]
    assert (number in _numbers(client, number[:8])) is visible  # a number prefix
    assert (number in _numbers(client, "CN" + number.replace(".", ""))) is visible  # the full number, any spelling
    assert (number in _numbers(client, title[2:8])) is visible  # words of the title


def test_typed_text_is_matched_literally(client, login, patents, university):
    login(university)
    assert _numbers(client, "%") == set() and _numbers(client, "_") == set()
    assert _numbers(client, 'title:* OR "x"') == set()  # no query syntax: just text no title contains
    assert _numbers(client, "") == set()


def test_organisations_list_only_those_with_an_active_member_of_the_asked_kinds(app, client, login, university,
                                                                              company, agency):
    with app.app_context():
        dormant = make_user("company", org_name="测试休眠公司")
        db.session.get(User, dormant.id).active = False
        db.session.commit()
    login(university)

    def names(**query) -> list[str]:
        response = client.get("/api/v1/lookup/organisations", query_string=query)
        assert response.status_code == 200, response.json
        return [item["name"] for item in response.json]

    assert names(q="测试") == sorted(["测试大学", "测试科技有限公司", "测试知识产权运营中心"])
    assert names(q="测试", kind=["company", "university"]) == sorted(["测试大学", "测试科技有限公司"])
    assert names(q="测试", kind="agency", limit=1) == ["测试知识产权运营中心"]
    with app.app_context():
        code = company.organisation().credit_code
    assert names(q=code[:10].lower()) == ["测试科技有限公司"]
    assert client.get("/api/v1/lookup/organisations", query_string={"q": "a", "kind": "nope"}).status_code == 422
    assert client.get("/api/v1/lookup/organisations", query_string={"q": "a", "limit": 99}).status_code == 422


def test_lookups_need_a_signed_in_caller_and_are_rate_limited(client, login, university, monkeypatch):
    assert client.get("/api/v1/lookup/patents?q=2017").status_code == 401
    monkeypatch.setattr(services, "PER_MINUTE", 3)
    login(university)
    responses = [client.get("/api/v1/lookup/patents?q=2017") for _ in range(8)]  # a window turns at most once
    statuses = [response.status_code for response in responses]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses
    refused = responses[statuses.index(429)]
    assert int(refused.headers["Retry-After"]) >= 1 and refused.json["error"] == "too_many_requests"


def test_lookups_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/lookup/organisations", "/api/v1/lookup/patents"} <= set(paths)
    assert "429" in paths["/api/v1/lookup/patents"]["get"]["responses"]


@pytest.mark.parametrize("path,fields", [
    ("/deals/new", ['data-lookup="organisations" data-lookup-kinds="university institute company" id="seller_id"', 'data-lookup="patents"']),
    ("/pledges/new", ['data-lookup-kinds="university institute company"', 'data-lookup="patents"']),
])
def test_forms_declare_their_pickers_and_load_the_vendored_files(client, login, agency, path, fields):
    login(agency)
    page = client.get(path).get_data(as_text=True)
    for attribute in fields:
        assert attribute in page
    assert "/static/vendor/tom-select/tom-select.complete.min.js" in page and "/static/js/pickers.js" in page
    assert 'data-lookup-patents="/api/v1/lookup/patents"' in page
