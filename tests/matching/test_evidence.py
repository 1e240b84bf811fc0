"""Character-bigram evidence: the need's whole text against the candidate's, weighted by a fixed corpus."""

from __future__ import annotations

from matching.calibration import default
from matching.evidence import KeyMatcher, bigram_stats, char_tokens, text_bigrams

NEED = "无线烟感器测试系统：自动触发烟感报警并记录"


def test_tokens_are_character_bigrams_and_whole_ascii_words():
    assert char_tokens("xpe发泡炉 5g") == ["xpe", "发泡", "泡炉", "5g"]
    assert char_tokens("锂") == ["锂"]


def test_common_bigrams_weigh_less_than_specific_ones():
    stats = bigram_stats()
    assert stats.idf("发明") < 0.5 < stats.idf("锂电") < stats.idf("䲜䲜")  # an unseen token weighs most


def test_a_candidate_sharing_the_needs_phrasing_has_bigram_evidence_a_foreign_one_has_none():
    matcher = KeyMatcher((), text_bigrams(NEED))
    near = matcher.coverage("一种无线烟感探测器的测试装置", "烟感探测器触发报警后自动记录。")
    far = matcher.coverage("一种锂电池正极材料", "正极材料由磷酸铁锂制成。")
    assert near.bigram > 0.2 and far.bigram == 0.0
    # saturated like BM25: a text repeating the need's phrases is not rewarded without bound
    spam = matcher.coverage("无线烟感器测试系统" * 20, "")
    assert spam.bigram < 2.2  # BIGRAM_K1 + 1


def test_the_shipped_calibration_uses_the_bigram_evidence():
    cal = default()
    assert cal.bigram > 0
    assert cal.relevance(0.3, 0.2, 0.2, 0.1, 0.4, 0.5) > cal.relevance(0.3, 0.2, 0.2, 0.1, 0.4, 0.1)
