"""One schema per input: the need form and the needs API both go through ``services.validate_need_values``,
whose labels are also the form's; the same wrong value gets the same reason, named by the same label."""
from __future__ import annotations

import html

from tests.marketplace.needs.test_routes import FORM


def test_the_page_and_the_api_refuse_a_budget_alike(client, login, token_for, company):
    body = {"title": FORM["title"], "segments": FORM["segments"], "budget_min": "900000", "budget_max": "100"}
    api = client.post("/api/v1/needs", json=body, headers=token_for(company))
    assert api.status_code == 422 and set(api.json["fields"]) == {"budget_max"}
    assert api.json["message"].startswith("预算上限（元）：")  # the form's label, not "budget_max"
    login(company)
    page = html.unescape(client.post("/needs/new", data={**FORM, "budget_min": "900000", "budget_max": "100"})
                         .get_data(as_text=True))
    assert api.json["fields"]["budget_max"] in page
    assert f"预算上限（元）：{api.json['fields']['budget_max']}" in page  # the flash names it by the same label
