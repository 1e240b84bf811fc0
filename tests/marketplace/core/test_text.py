"""Stored text is NFC and free of control characters whatever path it came by; identifiers are refused instead."""
from __future__ import annotations

import unicodedata

import pytest

from marketplace.accounts.models import Organisation
from marketplace.core import transaction
from marketplace.core.errors import ValidationFailed
from marketplace.core.text import normalise_text, require_plain
from marketplace.extensions import db

DECOMPOSED = unicodedata.normalize("NFD", "Café")  # "Cafe" + U+0301


@pytest.mark.parametrize("raw, multiline, expected", [
    ("锂电池\x00负极\x07材料", True, "锂电池负极材料"),
    ("第一行\r\n第二行\r第三行", True, "第一行\n第二行\n第三行"),
    ("a\tb\nc", True, "a\tb\nc"),
    ("a\tb\nc", False, "a b c"),
    ("\x85\x9f\x7f控制", True, "控制"),
    ("lone \ud800 surrogate", True, "lone  surrogate"),
    (DECOMPOSED, True, "Café"),
    ("普通文本", True, "普通文本"),
])
def test_normalise_text(raw, multiline, expected):
    assert normalise_text(raw, multiline=multiline) == expected


@pytest.mark.parametrize("raw", ["ZL2017\x01106018623", "X2025\n5200", DECOMPOSED, "a\ud800"])
def test_identifiers_with_invisible_characters_are_refused_not_altered(raw):
    with pytest.raises(ValidationFailed) as caught:
        require_plain(raw, "recordal_number")
    assert "recordal_number" in caught.value.fields
    assert require_plain("X20255200000001", "recordal_number") == "X20255200000001"


def test_every_flush_normalises_string_and_json_columns(ctx, university):
    """The last line of defence: a value written by any path is stored exportable."""
    organisation = db.session.get(Organisation, university.organisation_id)
    organisation.description = "简介\x0b含有\x1b控制字符\r\n第二行"
    organisation.contact_name = DECOMPOSED
    organisation.name = "测试\n大学\t"
    organisation.grade_labels = ["A\x00", "B"]
    transaction.commit()
    db.session.expire_all()
    organisation = db.session.get(Organisation, university.organisation_id)
    assert organisation.description == "简介含有控制字符\n第二行"
    assert organisation.contact_name == "Café" and unicodedata.is_normalized("NFC", organisation.contact_name)
    assert organisation.grade_labels == ["A", "B"]
    assert organisation.name == "测试 大学 "  # a short column is single-line


def test_control_characters_in_a_recordal_number_are_a_field_error(client, token_for, agency, university, company):
    """Issue 11: a control character in a recordal number (never changeable afterwards) broke every XLSX export."""
    from tests import factories
    with client.application.test_request_context():
        patent = factories.make_granted_patent(university)
    response = client.post("/api/v1/deals", headers=token_for(agency), json={
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [patent.id], "amount": "100.00", "recordal_number": "ZR2025\x07520000001"})
    assert response.status_code == 422 and "recordal_number" in response.get_json()["fields"]
