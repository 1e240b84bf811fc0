"""Header recognition and cell reading, without a database."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.imports.columns import find_header, map_header, parse_price


def targets(headers: list[str]) -> list[str]:
    return [column.target for column in map_header(1, headers).columns]


def test_cnipa_and_incopat_chinese_headers():
    assert targets(["申请号", "名称", "摘要", "主分类号", "分类号", "申请日", "公开（公告）号", "公开（公告）日", "授权公告日",
                    "申请（专利权）人", "发明（设计）人", "法律状态", "专利类型", "首项权利要求"]) == [
        "application_number", "title", "abstract", "ipc_main", "ipc_codes", "application_date", "publication_numbers",
        "publication_date", "grant_date", "applicants", "inventors", "legal_status", "patent_type", "first_claim"]


def test_variants_from_other_databases():
    assert targets(["专利名称", "标题", "IPC主分类", "IPC", "公开号", "公告号", "专利权人", "申请人", "发明人",
                    "当前法律状态", "主权项"]) == [
        "title", "title", "ipc_main", "ipc_codes", "publication_numbers", "publication_numbers", "applicants",
        "applicants", "inventors", "legal_status", "first_claim"]


def test_office_columns():
    assert targets(["分级", "产业领域", "转化方式", "价格", "价格下限", "价格上限", "成熟度", "标签"]) == [
        "grade", "segments", "modes", "price", "price_min", "price_max", "maturity", "tags"]


def test_full_width_brackets_spaces_bom_and_case_are_ignored():
    assert targets(["\ufeff申请号", "公开(公告)号", "申请 （专利权） 人", "发明(设计)人", "　名称　"]) == [
        "application_number", "publication_numbers", "applicants", "inventors", "title"]


def test_english_headers():
    assert targets(["Application Number", "Title", "Abstract", "IPC Main", "Application Date", "Publication No.",
                    "Applicant", "Inventors", "Legal Status", "Patent Type", "Grade", "Price"]) == [
        "application_number", "title", "abstract", "ipc_main", "application_date", "publication_numbers",
        "applicants", "inventors", "legal_status", "patent_type", "grade", "price"]


def test_unknown_headers_are_listed_as_ignored():
    header = map_header(1, ["申请号", "名称", "申请人地址", None, "被引用次数"])
    assert header.ignored == ["申请人地址", "被引用次数"]
    assert header.missing == []


def test_price_unit_in_header_scales_bare_numbers():
    header = map_header(1, ["申请号", "名称", "价格（万元）"])
    assert header.columns[2].multiplier == Decimal(10000)
    raw, errors = header.raw_values(["201710601862.3", "x", "10-20"])
    assert (raw["price_min"], raw["price_max"], errors) == ("100000", "200000", {})


@pytest.mark.parametrize(("header", "multiplier"), [("Price (10,000 CNY)", 10000), ("price (10000 cny)", 10000),
                                                    ("Price (CNY)", 1), ("Price", 1)])
def test_the_english_templates_price_header_counts_in_ten_thousands(header, multiplier):
    assert map_header(1, ["Application number", "Title", header]).columns[2].multiplier == Decimal(multiplier)


def test_header_is_found_below_title_rows():
    rows = [(1, ["高校专利清单", None]), (2, ["导出时间：2024-05-01"]), (3, []), (4, ["序号", "申请号", "名称"]),
            (5, ["1", "201710601862.3", "一种装置"])]
    header = find_header(rows)
    assert header.header_row == 4
    assert header.ignored == ["序号"]


def test_no_header_at_all():
    assert find_header([(1, ["foo", "bar"]), (2, ["1", "2"])]) is None


def test_incomplete_header_reports_what_is_missing():
    header = find_header([(1, ["申请号", "摘要"])])
    assert header.missing == ["title"]


@pytest.mark.parametrize(("cell", "multiplier", "expected"), [
    ("10-20万", 1, ("100000", "200000")),
    ("10万-20万", 1, ("100000", "200000")),
    ("10～20万元", 1, ("100000", "200000")),
    ("5.5万", 1, ("55000", "55000")),
    ("200000", 1, ("200000", "200000")),
    ("200,000元", 1, ("200000", "200000")),
    ("￥1,234.5", 1, ("1234.5", "1234.5")),
    ("１０万", 1, ("100000", "100000")),
    ("50", 10000, ("500000", "500000")),
    ("3000元", 10000, ("3000", "3000")),
    (12.5, 10000, ("125000", "125000")),
    (80000, 1, ("80000", "80000")),
    ("面议", 1, (None, None)),
])
def test_prices(cell, multiplier, expected):
    assert parse_price(cell, Decimal(multiplier)) == expected


def test_unreadable_price_names_the_field():
    with pytest.raises(ValidationFailed) as error:
        parse_price("很贵", Decimal(1))
    assert "price_min" in error.value.fields


def test_row_cells_become_raw_values():
    header = map_header(1, ["申请号", "名称", "发明人", "专利类型", "授权公告日", "申请日", "分级", "IPC"])
    raw, errors = header.raw_values([2017106018623, "一种装置", "张三、李四\n王五", "发明公开;发明授权", "0",
                                     datetime(2017, 7, 27), "  ", "G06F 16/00、G06F 17/30"])
    assert errors == {}
    assert raw == {"application_number": "2017106018623", "title": "一种装置", "inventors": "张三;李四;王五",
                   "patent_type": "发明公开", "application_date": datetime(2017, 7, 27),
                   "ipc_codes": "G06F 16/00;G06F 17/30"}


def test_bad_price_cell_is_an_error_and_leaves_no_price():
    header = map_header(1, ["申请号", "名称", "价格"])
    raw, errors = header.raw_values(["201710601862.3", "x", "abc"])
    assert "price_min" in errors and "price_min" not in raw


def test_header_for_names_the_users_column():
    header = map_header(1, ["申请号", "名称", "价格（万元）", "申请（专利权）人"])
    assert header.header_for("price_max") == "价格（万元）"
    assert header.header_for("co_owners") == "申请（专利权）人"
    assert header.header_for("application_number") == "申请号"
