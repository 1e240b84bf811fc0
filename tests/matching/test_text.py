"""Tokeniser: jieba words, bigrams, synonyms, mixed English, IPC codes, normalisation."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings, strategies as st

from matching.highlight import snippet
from matching.normalize import normalize
from matching.synonyms import SynonymTable
from matching.text import Analyzer, has_word_chars, ipc_tokens
from tests.conftest import examples


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.default()


def test_words_and_bigrams(analyzer):
    tokens = analyzer.tokens("提高锂电池正极材料循环寿命")
    assert {"锂电池", "正极材料", "循环", "寿命"} <= set(tokens)  # jieba words
    assert {"锂电", "电池", "正极", "材料"} <= set(tokens)  # bigrams for recall


def test_bigrams_do_not_span_stop_words(analyzer):
    tokens = analyzer.tokens("材料的制备")
    assert "料的" not in tokens and "的制" not in tokens
    assert "制备" in tokens


def test_synonyms_map_to_canonical_token(analyzer):
    assert "锂电池" in analyzer.tokens("一种锂离子电池隔膜")
    assert "无人机" in analyzer.tokens("UAV flight controller")
    assert "无人机" in analyzer.tokens("无人驾驶飞行器的机翼")


def test_ascii_synonym_needs_word_boundary(analyzer):
    # "ai" must not fire inside "chain"
    assert "人工智能" not in analyzer.tokens("blockchain")
    assert "人工智能" in analyzer.tokens("AI 芯片")


def test_mixed_english_lowercased_and_fullwidth_folded(analyzer):
    tokens = analyzer.tokens("ＣＰＵ模块 4G/5G Wi-Fi")
    assert {"cpu", "模块", "4g", "5g", "wi", "fi"} <= set(tokens)


def test_extra_synonym_file(tmp_path):
    extra = tmp_path / "syn.txt"
    extra.write_text("# site file\n钙钛矿,perovskite\n锂电池,锂电\n", "utf-8")
    a = Analyzer.default([extra])
    assert "钙钛矿" in a.tokens("perovskite solar cell")
    assert a.synonyms.canonical["锂电"] == "锂电池"  # extends a shipped group


def test_synonym_table_ignores_comments_and_singletons():
    table = SynonymTable.from_lines(["# c", "", "只有一个", "甲醇,methanol"])
    assert table.canonical == {"甲醇": "甲醇", "methanol": "甲醇"}


def test_ipc_tokens():
    assert ipc_tokens("H01M 10/0525") == ["h01m", "h01m10", "h01m10d0525"]
    assert ipc_tokens("B64U20/80") == ["b64u", "b64u20", "b64u20d80"]
    assert ipc_tokens("not ipc") == []


def test_query_units_drop_stop_words(analyzer):
    q = analyzer.analyze_query("我们需要提高锂电池正极材料循环寿命的技术")
    words = [u.word for u in q.units]
    assert "我们" not in words and "技术" not in words and "需要" not in words
    assert "锂电池" in words
    unit = next(u for u in q.units if u.word == "锂电池")
    assert unit.bigrams == ("锂电", "电池") and unit.synonym == "锂电池"
    assert "锂离子电池" in q.phrases  # synonyms highlighted too


def test_stop_word_only_query_still_searches(analyzer):
    assert [u.word for u in analyzer.analyze_query("技术").units] == ["技术"]


def test_punctuation_only(analyzer):
    assert not has_word_chars("，。！？*()[]")
    assert analyzer.analyze_query("，。！").empty


def test_normalize_keeps_length():
    text = "ＡＢＣ１２３，锂"
    assert len(normalize(text)) == len(text)
    assert normalize(text) == "abc123,锂"


@settings(max_examples=examples(100), deadline=None)
@given(st.text(max_size=60))
@example("\ufada")  # an unassigned code point inside the CJK compatibility block is no ideograph
@example("锂\ufada\ufa6e电池")
def test_tokens_are_plain_index_tokens(text):
    a = _shared()
    for token in a.tokens(text):
        assert token and token.isalnum() and token == token.lower()
    for unit in a.analyze_query(text).units:
        assert all(t.isalnum() for t in unit.tokens())


@settings(max_examples=examples(100), deadline=None)
@given(st.text(max_size=80), st.lists(st.text(min_size=1, max_size=4), max_size=4))
def test_snippet_escapes_everything_but_mark(text, phrases):
    out = snippet(text, [normalize(p) for p in phrases], max_chars=40)
    if out is None:
        return
    stripped = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_snippet_marks_and_escapes():
    out = snippet("<b>锂电池</b> & 正极", ["锂电池", "正极"])
    assert out == "&lt;b&gt;<mark>锂电池</mark>&lt;/b&gt; &amp; <mark>正极</mark>"


_ANALYZER: list[Analyzer] = []


def _shared() -> Analyzer:
    if not _ANALYZER:
        _ANALYZER.append(Analyzer.default())
    return _ANALYZER[0]


def test_long_field_bigrams_skip_stop_words(analyzer):
    tokens = analyzer.tokens("材料的制备方法和5G系统", segment=False)
    assert {"材料", "制备", "5g"} <= set(tokens)
    assert not {"料的", "的制", "方法", "系统", "法和", "和5"} & set(tokens)  # stop chars split, stop bigrams dropped
    assert tokens.count("制备") == 1


def test_label_text_is_memoised_index_text(analyzer):
    labels = ("新材料", "锂离子电池", "清华大学")
    assert analyzer.label_text(*labels) == analyzer.index_text(*labels)
    assert analyzer.label_text("H01M 电池", segment=False) == analyzer.index_text("H01M 电池", segment=False)


def test_single_character_query_is_a_prefix_unit(analyzer):
    units = analyzer.analyze_query("锂").units
    assert [(u.word, u.prefix) for u in units] == [("锂", True)]
    assert analyzer.analyze_query("煤").units[0].prefix


def test_english_phrase_stands_for_its_chinese_term(analyzer):
    units = analyzer.analyze_query("lithium battery").units
    assert [u.word for u in units] == ["锂电池"]  # not lithium AND battery
    assert analyzer.analyze_query("battery").units[0].synonym == "电池"


def test_synonym_inside_a_word_is_not_an_extra_unit(analyzer):
    assert [u.word for u in analyzer.analyze_query("锂电池").units] == ["锂电池"]
