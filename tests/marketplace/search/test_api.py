"""Search and match endpoints over HTTP."""


def test_search_api_returns_hits_facets_and_highlights(client, listed):
    body = client.get("/api/v1/search/patents?q=无人机&per_page=5").json
    assert body["total"] >= 1 and body["hits"][0]["patent"]["title"] == "一种无人机机载多功能盒"
    assert "<mark>无人机</mark>" in body["hits"][0]["highlights"]["title"]
    assert {"segment", "grade", "patent_type", "ipc_section", "owner_id", "open_license", "legal_status",
            "maturity"} <= set(body["facets"])


def test_user_text_with_query_syntax_is_just_text(client, listed):
    broken = client.get("/api/v1/search/patents", query_string={"q": '无人机" title:(^3 AND *'})
    assert broken.status_code == 200  # unbalanced syntax is no error: it is only text
    either = client.get("/api/v1/search/patents", query_string={"q": "无人机 OR 插秧机"}).json
    # OR is a word here, not an operator: no patent mentions both words, so the search
    # says it relaxed to partial matches instead of pretending they have both
    assert either["mode"] == "partial" and either["total"] == 2
    assert client.get("/api/v1/search/patents", query_string={"q": "无人机"}).json["total"] == 1


def test_search_api_validation_errors(client):
    response = client.get("/api/v1/search/patents", query_string={"q": "x" * 2001})
    assert response.status_code == 422 and "q" in response.json["fields"]
    assert client.get("/api/v1/search/patents?owner_id=abc").status_code == 422


def test_matches_api_access(client, listed, company, university, token_for, app):
    from tests import factories
    with app.app_context():
        need_id = factories.make_need(company, title="插秧机锂电池动力", segments=["TM-F1"])
    response = client.get(f"/api/v1/needs/{need_id}/matches", headers=token_for(company))
    assert response.status_code == 200
    first = response.json[0]
    assert first["patent"]["title"] == "锂离子电池新能源应用在插秧机上的动力装置"
    assert (first["match_id"], first["status"]) == (None, "suggested"), "listing stores nothing"
    assert first["explanation"]["factors"]
    patent_id = listed["lithium_planter"].id
    saved = client.post(f"/api/v1/needs/{need_id}/matches/{patent_id}", headers=token_for(company))
    assert saved.status_code == 200 and saved.json["status"] == "suggested"
    listed_again = client.get(f"/api/v1/needs/{need_id}/matches", headers=token_for(company)).json
    assert listed_again[0]["match_id"] == saved.json["match_id"]
    feedback = client.post(f"/api/v1/matches/{saved.json['match_id']}/feedback", json={"status": "interested"},
                           headers=token_for(company))
    assert feedback.status_code == 201
    assert client.post(f"/api/v1/needs/{need_id}/matches/{patent_id}").status_code == 401
    assert client.get(f"/api/v1/needs/{need_id}/matches").status_code == 401
    assert client.get(f"/api/v1/patents/{patent_id}/matches", headers=token_for(company)).status_code == 404
    owned = client.get(f"/api/v1/patents/{patent_id}/matches", headers=token_for(university))
    assert owned.status_code == 200 and owned.json[0]["need"]["title"] == "插秧机锂电池动力"


def test_search_page_renders_facets(client, listed):
    page = client.get("/search?q=锂离子电池").data.decode()
    assert "<mark>锂离子电池</mark>" in page and "产业领域" in page
    assert "锂离子电池新能源应用在抛秧机上的动力装置" not in page


def test_the_need_page_opens_a_pair_as_a_match_on_post(client, login, listed, company, app):
    from tests import factories
    with app.app_context():
        need_id = factories.make_need(company, title="插秧机锂电池动力", segments=["TM-F1"])
    login(company)
    page = client.get(f"/needs/{need_id}/matches").data.decode()
    patent_id = listed["lithium_planter"].id
    assert f'/needs/{need_id}/matches/{patent_id}"' in page and "data-match-id" not in page
    opened = client.post(f"/needs/{need_id}/matches/{patent_id}")
    assert opened.status_code == 302 and "/matches/" in opened.headers["Location"]
    assert client.get(opened.headers["Location"]).status_code == 200
    assert "data-match-id" in client.get(f"/needs/{need_id}/matches").data.decode()
