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


def _bigram_one_by_one(matcher: KeyMatcher, title: str, body: str) -> float:
    """The definition: Σ idf × BM25 saturation over ``char_tokens`` of the normalised title and body."""
    from collections import Counter

    from matching.evidence import BIGRAM_AVG, BIGRAM_K1, TF_B
    from matching.normalize import normalize

    counts = Counter(char_tokens(normalize(title)) + char_tokens(normalize(body)))
    norm = BIGRAM_K1 * (1 - TF_B + TF_B * sum(counts.values()) / BIGRAM_AVG)
    acc = sum(idf * counts[t] * (BIGRAM_K1 + 1) / (counts[t] + norm) for t, idf in matcher.bigrams if counts[t])
    return acc / matcher.bigram_total


def test_the_bigram_evidence_of_many_texts_at_once_equals_counting_each_token():
    """Repeated pairs, lone ideographs, ASCII words (whole only), full-width forms, other planes, empty texts."""
    matcher = KeyMatcher((), text_bigrams("锂电池UAV 5g 正极材料，啊啊啊 x 锂；𠀀电"))
    texts = [("锂电池正极", "啊啊啊啊 uav5g ＵＡＶ 5g"), ("", ""), ("𠀀锂电", "x 锂 电池，锂"), ("uavs", "锂"),
             ("一种锂电池的正极材料", "正极材料" * 30)]
    got = matcher.coverage_many(texts)
    assert [round(c.bigram, 12) for c in got] == [round(_bigram_one_by_one(matcher, t, b), 12) for t, b in texts]
    assert got[1].bigram == 0.0 and got[0].bigram > got[3].bigram > 0.0
    assert [matcher.coverage(t, b) for t, b in texts] == got


def test_key_word_forms_are_counted_as_the_longest_form_starting_at_each_position():
    """What the evidence counts: at every position of a text, the longest key-word form beginning there (锂电池
    inside 锂电池 is not also 锂电; 电池 starting one character later is its own occurrence)."""
    import random

    from matching.evidence import KeyWord

    keys = (KeyWord("锂电池", 3.0, True, ("锂电池", "锂离子电池")), KeyWord("锂电", 1.0, False, ("锂电",)),
            KeyWord("电池", 1.0, False, ("电池",)), KeyWord("ab", 1.0, False, ("ab", "abc")))
    matcher = KeyMatcher(keys)

    def by_hand(text: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for start in range(len(text)):
            here = [f for f in matcher.forms if text.startswith(f, start)]
            if here:
                longest = max(here, key=len)
                counts[longest] = counts.get(longest, 0) + 1
        return counts

    assert dict(matcher._occurrences("锂电池和锂电，锂离子电池abc")) == {
        "锂电池": 1, "电池": 2, "锂电": 1, "锂离子电池": 1, "abc": 1}
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice("锂电池离子和abc") for _ in range(rng.randrange(0, 40)))
        assert dict(matcher._occurrences(text)) == by_hand(text), text
    found = matcher.coverage("锂离子电池", "其电池的锂电芯")
    assert set(found.found) == {"锂离子电池", "电池", "锂电"} and found.title_share == 4.0 / 6.0
