"""Listing queries: filters, segment descendants, sort orders, pagination and the capped count."""
from __future__ import annotations

import pytest

from marketplace.patents import queries
from marketplace.patents.queries import PatentFilters
from marketplace.patents.vocab import LegalStatus, PatentType, PublicationState
from tests.factories import load_fixture, make_patent

SAMPLE = {record["app_no"]: record for record in load_fixture("patents_sample.jsonl")}
DRONE = SAMPLE["CN202121762003.0"]        # 一种用于清除垃圾的无人机, B64C, utility model, granted
KEYWORDS = SAMPLE["CN202211740332.4"]     # 新闻关键词抽取, G06F, invention, pending
PIER = SAMPLE["CN201220149476.8"]         # 弯剪型框架高墩 (同济大学), E01D
TILLER = SAMPLE["CN200910098961.X"]       # 旋耕机调高锁定机构, A01B
SPROUT = SAMPLE["CN96121602.6"]           # pre-2003 number, A01B


def titles(page: queries.PatentPage) -> list[str]:
    return [patent.title for patent in page.items]


@pytest.fixture
def listed(ctx, university, other_university):
    """Five published patents of two universities and one draft, in segments of two trees."""
    make_patent(university, DRONE, segments=["SEI-02"], grade="A", publish=True, application_date="2021-07-30")
    make_patent(university, KEYWORDS, segments=["TM-A2"], grade="B", publish=True, application_date="2022-12-30")
    make_patent(university, PIER, segments=["TM-E1"], publish=True, application_date="")
    make_patent(other_university, TILLER, segments=["TM-H11"], grade="A", publish=True,
                application_date="2009-06-01")
    make_patent(other_university, SPROUT, segments=["TM-H3"], grade="C", publish=True,
                application_date="1996-12-01")
    make_patent(university, SAMPLE["CN202310605823.6"], segments=["TM-A2"], grade="A")  # draft


def test_published_list_leaves_drafts_out(listed):
    page = queries.list_published(PatentFilters())
    assert page.total == 5
    assert "一种人员聚集发现算法" not in titles(page)


def test_segment_filter_includes_descendants(listed):
    agriculture = queries.list_published(PatentFilters(segment="TM-H"))
    assert sorted(titles(agriculture)) == sorted([TILLER["title"], SPROUT["title"]])
    assert titles(queries.list_published(PatentFilters(segment="TM-H11"))) == [TILLER["title"]]
    assert len(queries.list_published(PatentFilters(segment="TM")).items) == 4
    assert queries.list_published(PatentFilters(segment="TM-B")).items == []


@pytest.mark.parametrize(("filters", "expected"), [
    (PatentFilters(grade="A"), {DRONE["title"], TILLER["title"]}),
    (PatentFilters(patent_type=PatentType.INVENTION), {KEYWORDS["title"], TILLER["title"], SPROUT["title"]}),
    (PatentFilters(legal_status=LegalStatus.GRANTED), {DRONE["title"]}),
    (PatentFilters(q="无人机"), {DRONE["title"]}),
    (PatentFilters(q="100%"), set()),
])
def test_filters(listed, filters, expected):
    assert set(titles(queries.list_published(filters))) == expected


def test_owner_filter(listed, other_university):
    page = queries.list_published(PatentFilters(owner_id=other_university.organisation_id))
    assert {p.owner_id for p in page.items} == {other_university.organisation_id}
    assert page.total == 2


def test_application_date_sort_puts_undated_last(listed):
    page = queries.list_published(PatentFilters(sort="application_date"))
    assert titles(page) == [KEYWORDS["title"], DRONE["title"], TILLER["title"], SPROUT["title"], PIER["title"]]


def test_grade_sort_puts_ungraded_last(listed):
    page = queries.list_published(PatentFilters(sort="grade"))
    assert [p.grade for p in page.items] == ["A", "A", "B", "C", None]
    assert titles(queries.list_published(PatentFilters(sort="grade", grade="A"))) == [TILLER["title"], DRONE["title"]]


def test_pagination_and_capped_count(listed, monkeypatch):
    first = queries.list_published(PatentFilters(), page=1, per_page=2)
    assert (first.total, first.pages, len(first.items)) == (5, 3, 2)
    last = queries.list_published(PatentFilters(), page=3, per_page=2)
    assert len(last.items) == 1 and not set(titles(last)) & set(titles(first))
    monkeypatch.setattr(queries, "PAGES_AHEAD", 1)
    counted = queries.list_published(PatentFilters(), page=1, per_page=2)
    assert counted.more and counted.total == 4 and counted.pages == 2
    assert not queries.list_published(PatentFilters(), page=2, per_page=2).more


def test_organisation_list_includes_own_drafts_only(listed, university):
    page = queries.list_for_organisation(university.organisation_id, PatentFilters())
    assert page.total == 4
    assert {p.owner_id for p in page.items} == {university.organisation_id}
    drafts = queries.list_for_organisation(university.organisation_id, PatentFilters(state=PublicationState.DRAFT))
    assert titles(drafts) == ["一种人员聚集发现算法"]


def test_organisation_name_for_the_owner_filter(listed, other_university):
    assert queries.organisation_name(other_university.organisation_id) == "另一所大学"
    assert queries.organisation_name(999999) is None


def test_title_words_ignore_case(ctx, university):
    make_patent(university, SAMPLE["CN202211359874.7"], publish=True)  # 一种web端数据通用采集方法
    assert titles(queries.list_published(PatentFilters(q="WEB端"))) == ["一种web端数据通用采集方法"]
