"""Exact look-ups: every accepted spelling of a number reduces to a key of the document."""

from __future__ import annotations

import pytest

from matching import PatentDoc
from matching.evidence import WordStats, coverage, key_words
from matching.lookup import Lookup, number_keys, parse
from matching.text import Analyzer

DOC = PatentDoc(id=1, application_number="201710601862.3", title="t", publication_numbers=["CN107357575A"])


@pytest.mark.parametrize("typed", ["201710601862.3", "CN201710601862.3", "ZL201710601862.3", "zl 2017 1060 1862.3",
                                   "2017106018623", "201710601862", "ＣＮ２０１７１０６０１８６２．３"])
def test_application_number_forms(typed):
    found = parse(typed)
    assert found is not None and found.kind == "number" and found.key in number_keys(DOC)


@pytest.mark.parametrize("typed", ["CN107357575A", "cn 107357575 a", "CN107357575"])
def test_publication_number_forms(typed):
    found = parse(typed)
    assert found is not None and found.kind == "number" and found.key in number_keys(DOC)


@pytest.mark.parametrize("typed, token", [("H01M 10/0525", "h01m10d0525"), ("H01M", "h01m"), ("h01m10", "h01m10"),
                                          ("G06F 17/16", "g06f17d16")])
def test_ipc_codes_and_prefixes(typed, token):
    assert parse(typed) == Lookup("ipc", token)


@pytest.mark.parametrize("text", ["锂电池", "battery", "2017", "H01", "5G 基站", ""])
def test_ordinary_text_is_not_a_lookup(text):
    assert parse(text) is None


def test_boilerplate_carries_no_weight_and_specific_words_do():
    stats = WordStats({"研发": 0.09, "项目": 0.15, "锂电池": 0.003, "正极材料": 0.001})
    keys = {k.word: k for k in key_words([("锂电池正极材料研发项目", True)], Analyzer.default(), stats)}
    assert keys["研发"].weight == 0 and keys["项目"].weight == 0
    assert keys["正极材料"].weight > keys["锂电池"].weight > 0
    cov = coverage(list(keys.values()), "一种锂电池", "研发项目")
    assert cov.found == ("锂电池",) and 0 < cov.share < 0.5  # generic words found count for nothing
