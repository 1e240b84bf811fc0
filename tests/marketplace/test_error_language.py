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
