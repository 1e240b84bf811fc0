"""The compact segmenter cuts exactly as jieba does with the same dictionary and added words."""
from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import jieba
import pytest

from matching.segmenter import CompactTokenizer
from matching.text import SEGMENTER_WORD_FREQUENCY, Analyzer

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def added_words() -> list[str]:
    return Analyzer.default().segmenter_words()


@pytest.fixture(scope="module")
def reference(added_words: list[str]) -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in added_words:
        tokenizer.add_word(word, freq=SEGMENTER_WORD_FREQUENCY)
    return tokenizer


@pytest.fixture(scope="module")
def compact(added_words: list[str]) -> CompactTokenizer:
    return CompactTokenizer(added_words, extra_frequency=SEGMENTER_WORD_FREQUENCY)


def fixture_texts() -> list[str]:
    texts = []
    for name in ("patents.jsonl", "achievements.jsonl", "needs.jsonl"):
        for line in (FIXTURES / name).read_text("utf-8").splitlines():
            texts.extend(value for value in json.loads(line).values() if isinstance(value, str))
    return texts


def test_cuts_every_fixture_text_as_jieba_does(reference: jieba.Tokenizer, compact: CompactTokenizer) -> None:
    texts = fixture_texts() + [
        f"一种{max((word for word, count in reference.FREQ.items() if count), key=len)}的方法",  # the longest word
        "锂离子电池正极材料的制备方法及其在储能系统中的应用",
        "基于深度学习的无人机巡检图像缺陷识别方法",  # added synonym phrases and dictionary words together
        "瞿塘峡嵗鑫垚淼犇",  # rare characters: single-character fallbacks and the HMM
        "石墨烯量子点5G通信H01M10/0525模组",  # ASCII inside, split into blocks by jieba's own cut
        "㐀㐁𠀀鿕鿖鿿",  # extension A and B ideographs, the edge of jieba's range
        "",
    ]
    assert len(texts) > 100
    for text in texts:
        assert compact.lcut(text, HMM=True) == reference.lcut(text, HMM=True), text
        for block in re.findall(r"[\u4e00-\u9fd5]+", text):  # the words' candidates and the route's scores
            dag, route, expected_dag, expected_route = compact.get_DAG(block), {}, reference.get_DAG(block), {}
            assert {start: [end for end, _ in edges] for start, edges in dag.items()} == expected_dag
            compact.calc(block, dag, route)
            reference.calc(block, expected_dag, expected_route)
            assert route == expected_route, block


def test_the_added_words_take_their_frequency(reference: jieba.Tokenizer, compact: CompactTokenizer,
                                              added_words: list[str]) -> None:
    assert compact.total == reference.total
    word = added_words[0]
    assert compact.FREQ.get(word) == reference.FREQ[word] == SEGMENTER_WORD_FREQUENCY
    assert compact.FREQ.get("不是一个词语的字符串") is None
    without = CompactTokenizer()
    assert without.total == compact.total - SEGMENTER_WORD_FREQUENCY * len(set(added_words))


def test_the_segmenter_loads_jiebas_dictionary_without_pkg_resources() -> None:
    """jieba would import setuptools' ``pkg_resources`` (~10 MiB per process) just to open its dictionary."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys; from matching.segmenter import CompactTokenizer; "
                               "print(CompactTokenizer().lcut('锂电池正极材料'), 'pkg_resources' in sys.modules)"],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2])
    assert loaded.stdout.split() == ["['锂电池',", "'正极',", "'材料']", "False"]
