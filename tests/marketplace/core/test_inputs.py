"""Every input path validates before it computes: ids, integers, money, text, JSON shape and size (issue 11).

Each case was a 500 before (OverflowError, decimal.InvalidOperation, RecursionError, UnicodeEncodeError).
"""
from __future__ import annotations

import pytest

from marketplace.core.inputs import INT_MAX, MAX_JSON_BYTES, MAX_JSON_DEPTH, InputRejected, load_json

TOO_BIG = str(INT_MAX + 1)  # 9223372036854775808 = 2**63
PATENT = {"application_number": "201710601862.3", "title": "一种钢筋混凝土轨枕"}


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) >= {"error", "message", "fields"}, body
    return body


@pytest.mark.parametrize("raw", [INT_MAX + 1, -(2**63) - 1, 10**4000])
def test_json_integers_beyond_64_bits_name_their_field(raw):
    with pytest.raises(InputRejected) as caught:
        load_json(f'{{"items": [{{"seller_id": {raw}}}]}}')
    assert caught.value.status == 422 and set(caught.value.fields) == {"items.0.seller_id"}


@pytest.mark.parametrize("document, status", [
    ("[" * 5000 + "]" * 5000, 400), ("[" * (MAX_JSON_DEPTH + 2) + "]" * (MAX_JSON_DEPTH + 2), 400),
    ('{"amount": NaN}', 400), ('{"amount": Infinity}', 400), ('{"a": 1', 400), (b'{"a": "\xff"}', 400),
    ('{"title": "\\ud800"}', 422), ('{"\\udfff": 1}', 422),
])
def test_malformed_deep_or_unstorable_json_is_refused(document, status):
    with pytest.raises(InputRejected) as caught:
        load_json(document)
    assert caught.value.status == status and caught.value.message


def test_ordinary_json_is_left_alone():
    assert load_json('{"a": [1, 2.5, "文字", {"b": null}], "n": 9223372036854775807}') == \
        {"a": [1, 2.5, "文字", {"b": None}], "n": INT_MAX}


@pytest.mark.parametrize("path", [f"/api/v1/patents/{TOO_BIG}", f"/api/v1/patents/{'9' * 5000}",
                                  f"/patents/{TOO_BIG}", f"/api/v1/needs/{TOO_BIG}"])
def test_ids_beyond_64_bits_in_paths_are_404_even_anonymous(client, path):
    """Issue 11: anonymous GET /api/v1/patents/9223372036854775808 was a 500 (OverflowError in SQLite)."""
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert error_of(response)["error"] == "not_found"


def test_the_largest_id_is_just_not_found(client):
    assert client.get(f"/api/v1/patents/{INT_MAX}").status_code == 404


def test_integers_beyond_64_bits_in_queries_are_a_422_naming_the_field(client):
    response = client.get(f"/api/v1/patents?owner_id={TOO_BIG}")
    assert response.status_code == 422 and "owner_id" in error_of(response)["fields"]


def test_integers_beyond_64_bits_in_bodies_are_a_422_naming_the_field(client, token_for, agency, university, company):
    response = client.post("/api/v1/deals", headers=token_for(agency), json={
        "mode": "transfer", "seller_id": int(TOO_BIG), "buyer_id": company.organisation_id, "patent_ids": [1],
        "amount": "100.00"})
    assert response.status_code == 422 and "seller_id" in error_of(response)["fields"]


@pytest.mark.parametrize("amount", ["1e30", 1e30, "1e309", "NaN", "-1", "1.001", True])
def test_money_out_of_bounds_or_not_finite_is_a_422_naming_the_field(client, token_for, university, amount):
    response = client.post("/api/v1/patents", headers=token_for(university), json={**PATENT, "price_min": amount})
    assert response.status_code == 422 and "price_min" in error_of(response)["fields"]


def test_json_number_overflowing_to_infinity_is_a_422(client, token_for, university):
    body = '{"application_number": "201710601862.3", "title": "x", "price_min": 1e309}'
    response = client.post("/api/v1/patents", headers={**token_for(university), "Content-Type": "application/json"},
                           data=body)
    assert response.status_code == 422 and "price_min" in error_of(response)["fields"]


def test_negative_zero_is_stored_as_zero(client, token_for, university):
    response = client.post("/api/v1/patents", headers=token_for(university), json={**PATENT, "price_min": "-0"})
    assert response.status_code == 201 and response.get_json()["price_min"] == "0.00"


def test_json_nested_5000_deep_is_a_400_with_a_clear_error(client, token_for, university):
    """Issue 11: a 5,000-deep body raised RecursionError (500)."""
    response = client.post("/api/v1/patents", headers={**token_for(university), "Content-Type": "application/json"},
                           data="[" * 5000 + "]" * 5000)
    assert response.status_code == 400 and "JSON" in error_of(response)["message"]


def test_a_lone_surrogate_is_a_422_naming_the_field(client, token_for, university):
    """Issue 11: "\\ud800" in a title reached the database driver (UnicodeEncodeError, 500)."""
    response = client.post("/api/v1/patents", headers={**token_for(university), "Content-Type": "application/json"},
                           data='{"application_number": "201710601862.3", "title": "\\ud800"}')
    assert response.status_code == 422 and set(error_of(response)["fields"]) == {"title"}


def test_bodies_other_than_uploads_are_limited_to_a_megabyte(client, token_for, university):
    response = client.post("/api/v1/patents", headers=token_for(university),
                           json={**PATENT, "abstract": "长" * MAX_JSON_BYTES})
    assert response.status_code == 413 and error_of(response)["error"] == "payload_too_large"


def test_page_numbers_of_any_size_are_read_safely(client):
    assert client.get(f"/patents?page={TOO_BIG}").status_code == 200
    assert client.get("/patents?page=-3").status_code == 200
