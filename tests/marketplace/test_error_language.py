"""API 422s speak one language, the visitor's: marshmallow's English defaults are replaced by the platform's words,
and the message names each field by its label, never by its code (issue 11)."""
from __future__ import annotations

import re

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_a_chinese_visitor_reads_chinese_only(client):
    response = client.get("/api/v1/patents?page=abc&per_page=0", headers={"Accept-Language": "zh"})
    assert response.status_code == 422
    body = response.json
    assert body["fields"]["page"] == "应为数字"
    assert not re.search(r"[A-Za-z]", body["message"] + "".join(body["fields"].values())), body
    assert "页码：应为数字" in body["message"] and "每页条数：" in body["message"]


def test_an_english_visitor_reads_english_only(client):
    response = client.get("/api/v1/patents?page=abc&per_page=0", headers={"Accept-Language": "en"})
    body = response.json
    assert response.status_code == 422 and body["fields"]["page"] == "Must be a number"
    assert not HAN.search(body["message"] + "".join(body["fields"].values())), body
    assert body["message"].startswith("Page: Must be a number")


def test_a_service_refusal_names_the_field_by_its_label(client):
    """A ValidationFailed.field from a service ("q: …", the engine's length limit) is answered with the label."""
    body = client.get("/api/v1/search/patents?q=" + "锂" * 2001, headers={"Accept-Language": "zh"}).json
    assert list(body["fields"]) == ["q"] and body["message"].startswith("检索词：检索词过长")


def test_every_api_input_field_has_a_label_in_both_languages(app):
    """A field an API call accepts is named by a label, never its code, in Chinese and in English."""
    from flask_babel import force_locale

    from marketplace.core.validation import FIELD_LABELS

    unlabelled, untranslated = set(), set()
    with app.test_request_context():
        for view in app.view_functions.values():
            for parameter in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                schema = parameter["schema"]() if isinstance(parameter["schema"], type) else parameter["schema"]
                for name, field in schema.load_fields.items():
                    key = field.data_key or name
                    label = field.metadata.get("label", FIELD_LABELS.get(key))
                    if label is None:
                        unlabelled.add(key)
                        continue
                    with force_locale("en"):
                        if HAN.search(str(label)):
                            untranslated.add(key)
    assert not unlabelled, f"API fields without a label (add them to core.validation.FIELD_LABELS): {sorted(unlabelled)}"
    assert not untranslated, f"labels without an English entry in messages.po: {sorted(untranslated)}"


def test_a_json_body_error_names_the_field_by_its_label(client, university, token_for):
    """A body field's error (not only a query parameter's) reads as its label in the visitor's language."""
    headers = token_for(university)
    for language, label in (("zh", "合同金额（元）"), ("en", "Contract value (CNY)")):  # the page's label
        response = client.post("/api/v1/deals", json={"amount": "abc"},
                               headers={**headers, "Accept-Language": language})
        assert response.status_code == 422, response.json
        assert "amount" in response.json["fields"]
        assert label in response.json["message"] and "amount:" not in response.json["message"], response.json
