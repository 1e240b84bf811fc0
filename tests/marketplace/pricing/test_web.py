"""Pricing help through the page, the declaration form and the API: range and comparables shown, bad input a
422 naming the field, access role by role, one language per page."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests import factories


def test_owner_page_shows_range_comparables_and_income_estimate(client, login, market_ids, university):
    login(university)
    page = client.get(f"/patents/{market_ids.target_id}/pricing?mode=license&annual_sales=1000000&royalty_rate=5"
                      "&share=50&years=3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="pricing-range"' in html and "¥130,000.00" in html and "¥280,000.00" in html
    assert "¥135,000.00" not in html and "¥180,000.00" not in html
    assert html.count('data-visible="no"') == 6 and html.count('data-visible="yes"') == 1
    assert "¥75,000.00" in html and "另一所大学" not in html and "某高校" in html
    assert 'id="income-estimate"' in html and "¥62,171.30" in html
    transfer = client.get(f"/patents/{market_ids.target_id}/pricing?mode=transfer").get_data(as_text=True)
    assert 'id="pricing-not-enough"' in transfer and "只有 1 件可比的已成交交易" in transfer
    assert 'id="pricing-range"' not in transfer


@pytest.mark.parametrize(("query", "label"), [
    ("mode=auction", "转化方式"), ("annual_sales=-1&royalty_rate=5", "预计年净销售额（元）"),
    ("annual_sales=1000&royalty_rate=500", "提成率（%）"), ("annual_sales=1000&royalty_rate=5&years=x", "收益年限（年）")])
def test_bad_query_is_a_422_naming_the_field(client, login, market_ids, university, query, label):
    login(university)
    page = client.get(f"/patents/{market_ids.target_id}/pricing?{query}")
    assert page.status_code == 422 and label in page.get_data(as_text=True)


def test_the_page_in_english_reads_in_english(client, login, market_ids, university):
    login(university)
    client.get("/lang/en")
    html = client.get(f"/patents/{market_ids.target_id}/pricing").get_data(as_text=True)
    assert "Pricing help from comparable deals" in html and "a University" in html
    assert "可比交易" not in html and "某高校" not in html


@pytest.mark.parametrize(("who", "status"), [("university", 200), ("agency", 200), ("platform_admin", 200),
                                             ("company", 404), ("other_university", 404)])
def test_page_access_by_role(client, login, market_ids, request, who, status):
    login(request.getfixturevalue(who))
    assert client.get(f"/patents/{market_ids.target_id}/pricing").status_code == status


def test_anonymous_visitors_sign_in_first(client, market_ids):
    assert client.get(f"/patents/{market_ids.target_id}/pricing").status_code == 302
    assert client.get(f"/api/v1/patents/{market_ids.target_id}/pricing").status_code == 401


def test_the_declaration_form_shows_the_open_license_panel(app, client, login, university):
    with app.app_context():
        patent = factories.make_granted_patent(university)
    login(university)
    html = client.get(f"/patents/{patent.id}/open-license").get_data(as_text=True)
    assert 'id="pricing-help"' in html and "没有可比的已成交交易，不给出价格区间。" in html


def test_links_from_the_patent_page(client, login, market_ids, university, company):
    login(university)
    assert 'id="pricing-link"' in client.get(f"/patents/{market_ids.target_id}").get_data(as_text=True)
    login(company)
    assert 'id="pricing-link"' not in client.get(f"/patents/{market_ids.target_id}").get_data(as_text=True)


def test_api_pricing_and_income(client, token_for, market_ids, university, agency, company):
    body = client.get(f"/api/v1/patents/{market_ids.target_id}/pricing?mode=license",
                      headers=token_for(university)).get_json()
    assert (body["count"], body["enough"], body["basis"], body["minimum"]) == (7, True, "close", 5)
    assert (body["low"], body["median"], body["high"]) == ("130000.00", None, "280000.00")
    assert (body["acquirers"], body["minimum_acquirers"]) == (6, 5)
    amounts = [c["amount"] for c in body["comparables"]]
    assert amounts.count(None) == 6 and "75000.00" in amounts
    assert all(c["deal_id"] is None for c in body["comparables"] if c["amount"] is None)
    assert {c["seller"] for c in body["comparables"] if c["amount"] is None} == {"某高校", "某科研院所"}
    seen = client.get(f"/api/v1/patents/{market_ids.target_id}/pricing", headers=token_for(agency)).get_json()
    assert [c["amount"] for c in seen["comparables"] if c["amount"]] == ["260000.00"]
    none = client.get(f"/api/v1/patents/{market_ids.target_id}/pricing?mode=equity",
                      headers=token_for(university)).get_json()
    assert none["enough"] is False and none["count"] == 0 and none["median"] is None
    income = client.get(f"/api/v1/patents/{market_ids.target_id}/pricing/income?annual_sales=1000000&royalty_rate=5"
                        "&share=50&years=3", headers=token_for(university)).get_json()
    assert income["value"] == "62171.30" and income["yearly"][0] == "22727.27"
    assert Decimal(income["value"]) == sum(Decimal(v) for v in income["yearly"])
    assert client.get(f"/api/v1/patents/{market_ids.target_id}/pricing",
                      headers=token_for(company)).status_code == 404


@pytest.mark.parametrize(("path", "field"), [
    ("pricing?mode=barter", "mode"), ("pricing?mode=" + "x" * 100, "mode"),
    ("pricing/income?royalty_rate=5", "annual_sales"), ("pricing/income?annual_sales=1e400&royalty_rate=5", "annual_sales"),
    ("pricing/income?annual_sales=100&royalty_rate=5&discount_rate=-3", "discount_rate")])
def test_api_bad_input_names_the_field(client, token_for, market_ids, university, path, field):
    response = client.get(f"/api/v1/patents/{market_ids.target_id}/{path}", headers=token_for(university))
    assert response.status_code == 422 and field in str(response.get_json())


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/patents/{patent_id}/pricing" in paths and "/api/v1/patents/{patent_id}/pricing/income" in paths
