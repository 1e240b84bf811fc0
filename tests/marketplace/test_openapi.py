"""The OpenAPI document matches what the API sends (issue 11): money as strings, datetimes with an offset, one
error schema on every operation, 405 with Allow. The fuzzer (``make fuzz``) checks every operation this way."""
from __future__ import annotations

import re
from datetime import datetime

from marketplace.api.common import MONEY_PATTERN

METHODS = {"get", "post", "put", "patch", "delete"}


def document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def test_money_and_decimals_are_documented_as_the_strings_the_api_sends(client, token_for, university):
    schemas = document(client)["components"]["schemas"]
    for schema, prop in [("Patent", "price_min"), ("Deal", "amount"), ("Declaration", "fixed_fee"),
                         ("Declaration", "royalty_rate"), ("Target", "pledge_growth_pct")]:
        assert schemas[schema]["properties"][prop]["type"] == "string" and "pattern" in schemas[schema]["properties"][prop]
    created = client.post("/api/v1/patents", headers=token_for(university), json={
        "application_number": "201710601862.3", "title": "一种钢筋混凝土轨枕", "price_min": 150000}).get_json()
    assert re.fullmatch(MONEY_PATTERN, created["price_min"])


def test_datetimes_carry_their_offset(client, token_for, university):
    created = client.post("/api/v1/patents", headers=token_for(university), json={
        "application_number": "201710601862.3", "title": "一种钢筋混凝土轨枕"}).get_json()
    stamp = datetime.fromisoformat(created["created_at"])
    assert stamp.tzinfo is not None and stamp.utcoffset().total_seconds() == 0


def test_every_operation_documents_the_one_error_schema(client):
    spec = document(client)
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "message", "fields"} and error.get("additionalProperties") is not False
    assert spec["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]["$ref"] \
        == "#/components/schemas/Error"
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                assert operation["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}, \
                    (method, path)


def test_error_bodies_have_the_documented_shape(client, token_for, university):
    for response in (client.get("/api/v1/patents/999999"), client.get("/api/v1/needs?per_page=1000"),
                     client.post("/api/v1/patents", json={}, headers=token_for(university)),
                     client.delete("/api/v1/openapi.json"), client.post("/api/v1/patents", json={})):
        body = response.get_json()
        assert response.status_code >= 400 and {"error", "message", "fields"} <= set(body), body
        assert isinstance(body["message"], str) and all(isinstance(v, str) for v in body["fields"].values())


def test_405_answers_allow(client):
    response = client.delete("/api/v1/patents")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert response.get_json()["error"] == "method_not_allowed"
