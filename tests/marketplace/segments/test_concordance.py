"""The two concordances as data: GB/T 4754 names (as real needs write them) and IPC codes → segments."""
from __future__ import annotations

from collections import Counter

import pytest

from marketplace.segments.concordance import IpcConcordance, load
from marketplace.segments.taxonomy import Taxonomy
from tests.factories import load_fixture


@pytest.fixture(scope="module")
def taxonomy():
    return Taxonomy.load()


@pytest.fixture(scope="module")
def catalogue(taxonomy):
    return load(taxonomy)[0]


@pytest.fixture(scope="module")
def ipc(taxonomy):
    return load(taxonomy)[1]


def test_every_tag_of_the_real_needs_is_understood(catalogue):
    tags = {rec["classification"] for rec in load_fixture("techmarket_needs.jsonl") if rec["classification"]}
    assert tags and all(catalogue.parse_one(tag) for tag in tags), [t for t in tags if not catalogue.parse_one(t)]


@pytest.mark.parametrize(("tag", "codes"), [
    ("制造业", ["C"]),
    ("制造业——电气机械和器材制造业", ["C38"]),
    ("制造业-医药制造业", ["C27"]),
    ("C38", ["C38"]),
    ("电力、热力、燃气、及水生产和供应业", ["D"]),  # the source's extra 、
    ("信息传输、软件和信息技术服务业金融业", ["I", "J"]),  # two 门类 run together
    ("制造业——计算机、通信和其他电子设备制造", ["C39"]),  # cut short
    ("制造业——石油加工炼焦和核燃料加工业", ["C25"]),  # the 2011 name
    ("采矿业——煤炭开发和洗选业", ["B06"]),  # a slip kept as an alias
    ("信息传输、软件和信息技术服务业——科技推广和应用服务业", ["M75"]),  # the 大类 decides its 门类
    ("教育——教育", ["P83"]),
    ("量子炼金术", None),
    ("新材料", None),  # a segment name is not a GB/T 4754 name
])
def test_tags_parse_to_codes(catalogue, tag, codes):
    assert catalogue.parse_one(tag) == codes


def test_divisions_map_to_segments_and_a_broad_section_to_none(catalogue):
    assert catalogue.segments_for(["C38"]) == ["TM-E4", "PII-3"]
    assert catalogue.segments_for(["I"]) == ["TM-A", "PII-2", "SEI-01"]
    assert catalogue.segments_for(["C"]) == []  # 制造业 alone spans 31 大类: no one segment
    assert catalogue.label("C38") == "制造业—电气机械和器材制造业"
    assert catalogue.label("C38", "en") == "Manufacturing—Electrical machinery and equipment"
    assert len([i for i in catalogue if i.is_section]) == 20 and len([i for i in catalogue if not i.is_section]) == 97


@pytest.mark.parametrize(("code", "segments", "basis"), [
    ("H01M 10/0525", ["TM-F1", "SEI-06"], "rule"),
    ("A01K 61/10", ["TM-H8", "SEI-04"], "sei2021"),  # main group before subclass
    ("A01K", ["TM-H7", "SEI-04"], "sei2021"),
    ("A01B", ["TM-H11", "SEI-02"], "sei2021"),
    ("A21D", ["TM-H10"], "rule"),  # class rule when the subclass has none
    ("c08l 23/06", ["TM-D7", "SEI-03"], "sei2021"),
])
def test_ipc_codes_are_looked_up_from_the_most_specific_form(ipc, code, segments, basis):
    found = ipc.suggest([code])
    assert [s.segment for s in found] == segments
    assert {s.basis for s in found} == {basis}


def test_no_ipc_and_uncovered_ipc_give_nothing(ipc):
    assert ipc.suggest([]) == []
    assert ipc.suggest(["E04B 1/00", "B42D"]) == []  # building work, bookbinding: no segment covers them


def test_a_concordance_naming_an_unknown_segment_refuses_to_load(taxonomy):
    with pytest.raises(ValueError, match="unknown segment"):
        IpcConcordance({"entries": [{"ipc": "A01B", "segments": ["TM-NOPE"], "basis": "rule"}]}, taxonomy)


def test_no_two_segments_show_the_same_label(taxonomy):
    for locale in ("zh", "en"):
        labels = Counter(segment.label(locale) for segment in taxonomy)
        assert [label for label, count in labels.items() if count > 1] == []
    assert taxonomy.label("SEI-06") == "战略性新兴产业（2018）/新能源"
    assert taxonomy.label("TM-F1") == "能源与节能/新能源"
    assert taxonomy.label("SEI-03") == "新材料"  # a unique name stays short
