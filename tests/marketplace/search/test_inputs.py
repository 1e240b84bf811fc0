"""One schema per input: the search page and the search API read the query with the same parser
(``services.patent_query`` / ``need_query``), so a wrong field gets the same 422, the same field and the same
words through both, named by its label in the visitor's language."""
from __future__ import annotations

import re

import pytest

BAD = [("page=abc", "page", "页码"), ("per_page=0", "per_page", "每页条数"), ("sort=bogus", "sort", "排序"),
       ("open_license=maybe", "open_license", "开放许可"), ("owner_id=x", "owner_id", "权利人"),
       ("page=99999999999999999999", "page", "页码")]


def _page_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<li data-field="([a-z_]+)">([^<]*)</li>', html))


@pytest.mark.parametrize(("query", "field", "label"), BAD)
def test_patent_search_page_and_api_answer_the_same(client, query, field, label):
    page = client.get(f"/search?q=电池&{query}")
    api = client.get(f"/api/v1/search/patents?q=电池&{query}")
    assert page.status_code == api.status_code == 422
    assert _page_fields(page.get_data(as_text=True)) == api.json["fields"]
    assert list(api.json["fields"]) == [field]
    assert api.json["message"].startswith(f"{label}：") and field not in api.json["message"]
    assert api.json["message"] in page.get_data(as_text=True)


def test_need_search_page_and_api_answer_the_same(client, login, university):
    login(university)
    page = client.get("/search/needs?sort=grade&per_page=500")
    api = client.get("/api/v1/search/needs?sort=grade&per_page=500")
    assert page.status_code == api.status_code == 422
    assert _page_fields(page.get_data(as_text=True)) == api.json["fields"]
    assert set(api.json["fields"]) == {"sort", "per_page"}  # every wrong field at once


def test_errors_follow_the_visitor_language(client):
    api = client.get("/api/v1/search/patents?sort=bogus", headers={"Accept-Language": "en"})
    assert api.status_code == 422 and api.json["message"].startswith("Sort by: ")
    assert not re.search(r"[\u4e00-\u9fff]", api.json["message"] + "".join(api.json["fields"].values()))


def test_good_input_still_searches(client):
    assert client.get("/api/v1/search/patents?q=电池&page=1&per_page=5&open_license=1&sort=relevance").status_code == 200
    assert client.get("/search?q=电池&open_license=true&owner_id=1").status_code == 200


def test_the_openapi_document_still_lists_the_query(client):
    """The API no longer parses the query a second time, but still documents it (and its 422)."""
    operation = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/search/patents"]["get"]
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert {"q", "segment", "owner_id", "open_license", "sort", "page", "per_page"} <= names
    assert "422" in operation["responses"]
