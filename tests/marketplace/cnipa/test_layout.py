"""One announcement row read by the pure rules: numbers with check digits, fee terms, terms of years, formulas."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.cnipa.layout import ANNOUNCEMENTS, fee_text, parse_fee_text, read_row
from marketplace.core.errors import ValidationFailed
from marketplace.imports.columns import find_header
from marketplace.openlicense.terms import PaymentMethod, RoyaltyBase

TODAY = date(2026, 12, 2)
ROW = {"application_number": "ZL201710601862.3", "title": "一种钢筋混凝土轨枕", "patentee": "贵州理工大学",
       "payment_method": "一次性付费", "fixed_fee": "50000", "term_start": "2025-01-01", "term_end": "2029-12-31",
       "announced_on": "2024-12-20", "contact_name": "技术转移办公室", "contact_phone": "0851-88888888"}


def errors_of(**changes) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        read_row({**ROW, **changes}, TODAY)
    return caught.value.fields


def test_a_good_row_is_normalised():
    row = read_row(ROW, TODAY)
    assert row.application_number == "201710601862.3" and row.payment_method == PaymentMethod.LUMP_SUM
    assert row.fixed_fee == Decimal("50000.00") and row.royalty_rate is None
    assert (row.term_start, row.term_end, row.announced_on) == (date(2025, 1, 1), date(2029, 12, 31),
                                                               date(2024, 12, 20))


@pytest.mark.parametrize("changes, field", [
    ({"application_number": "201710601862.4"}, "application_number"),  # wrong check digit
    ({"application_number": "20171060186"}, "application_number"),  # malformed
    ({"payment_method": "按净销售额提成", "royalty_rate": "25"}, "royalty_rate"),  # above the 20 % ceiling
    ({"payment_method": "按净销售额提成", "royalty_rate": "abc"}, "royalty_rate"),
    ({"payment_method": "按净销售额提成", "royalty_rate": ""}, "royalty_rate"),
    ({"payment_method": "一次性付费", "fixed_fee": "30000000"}, "fixed_fee"),
    ({"payment_method": "包年"}, "payment_method"),
    ({"term_end": "2024-06-30"}, "term_end"),  # ends before it starts
    ({"term_end": "2025-06-30"}, "term_end"),  # shorter than a year
    ({"announced_on": "2027-01-01"}, "announced_on"),  # in the future
    ({"announced_on": ""}, "announced_on"),
    ({"patentee": ""}, "patentee"),
    ({"title": "=HYPERLINK(\"http://x\")"}, "title"),  # a formula cell
    ({"contact_name": "@SUM(A1)"}, "contact_name"),
    ({"patentee": "+cmd|' /C calc'!A0"}, "patentee"),
])
def test_bad_cells_are_named(changes, field):
    assert field in errors_of(**changes)


def test_every_bad_cell_of_a_row_is_named_at_once():
    assert {"application_number", "term_end", "title"} <= set(errors_of(
        application_number="201710601862.4", term_end="2024-01-01", title="=1+1"))


def test_the_exports_own_formula_escape_and_phone_numbers_read_back():
    row = read_row({**ROW, "contact_phone": "'+86 851 8888 8888", "contact_name": "-"}, TODAY)
    assert row.contact_phone == "+86 851 8888 8888" and row.contact_name == ""


@pytest.mark.parametrize("text, expected", [
    ("免费", (PaymentMethod.FREE, Decimal("0.00"), None, None)),
    ("一次性付费50万元", (PaymentMethod.LUMP_SUM, Decimal("500000.00"), None, None)),
    ("一次性支付 120000 元", (PaymentMethod.LUMP_SUM, Decimal("120000.00"), None, None)),
    ("按净销售额的3%", (PaymentMethod.ROYALTY_SALES, Decimal("0.00"), Decimal("3.00"), RoyaltyBase.SALES)),
    ("利润10%", (PaymentMethod.ROYALTY_PROFIT, Decimal("0.00"), Decimal("10.00"), RoyaltyBase.PROFIT)),
    ("入门费10万元+净销售额3.5%", (PaymentMethod.ENTRY_FEE_ROYALTY, Decimal("100000.00"), Decimal("3.50"),
                                RoyaltyBase.SALES)),
])
def test_one_fee_text_column(text, expected):
    assert parse_fee_text(text) == expected


@pytest.mark.parametrize("method, fee, rate, base", [
    (PaymentMethod.FREE, Decimal("0.00"), None, None),
    (PaymentMethod.LUMP_SUM, Decimal("88000.50"), None, None),
    (PaymentMethod.ROYALTY_PROFIT, Decimal("0.00"), Decimal("12.50"), RoyaltyBase.PROFIT),
    (PaymentMethod.ENTRY_FEE_ROYALTY, Decimal("20000.00"), Decimal("2.00"), RoyaltyBase.SALES),
])
def test_the_fee_text_the_export_writes_reads_back(method, fee, rate, base):
    assert parse_fee_text(fee_text(method, fee, rate, base)) == (method, fee, rate, base)


def test_fee_text_and_term_text_stand_in_for_the_split_columns():
    raw = {key: value for key, value in ROW.items() if key not in ("payment_method", "fixed_fee", "term_start",
                                                                   "term_end")}
    row = read_row({**raw, "fee_text": "入门费10万元+利润20%", "term": "2025-01-01至2030-12-31"}, TODAY)
    assert row.payment_method == PaymentMethod.ENTRY_FEE_ROYALTY and row.royalty_base == RoyaltyBase.PROFIT
    assert row.term_end == date(2030, 12, 31)
    with pytest.raises(ValidationFailed) as caught:
        read_row({**raw, "fee_text": "面议", "term": "2025-01-01至2030-12-31"}, TODAY)
    assert "fee_text" in caught.value.fields


def test_the_header_is_found_below_title_rows():
    header = find_header([(1, ["专利开放许可声明公告（第12期）"]),
                          (2, ["申请号", "专利名称", "专利权人", "许可使用费", "许可期限", "公告日"])], ANNOUNCEMENTS)
    assert header is not None and header.header_row == 2 and not header.missing
    assert {"fee_text", "term"} <= header.targets


def test_the_column_names_an_english_page_shows_are_headers_the_import_reads(app):
    from flask_babel import force_locale

    from marketplace.cnipa.layout import EXPORT_TARGETS
    from marketplace.cnipa.services import COLUMN_LABELS
    from marketplace.imports.columns import map_header
    with app.test_request_context(), force_locale("en"):
        english = [str(COLUMN_LABELS[target]) for target in EXPORT_TARGETS]
    assert not any("\u4e00" <= char <= "\u9fff" for name in english for char in name)
    assert [column.target for column in map_header(1, english, ANNOUNCEMENTS).columns] == list(EXPORT_TARGETS)


def test_split_fee_columns_name_a_wrong_royalty_base():
    row = read_row({**ROW, "payment_method": "入门费+提成", "fixed_fee": "20000", "royalty_rate": "30",
                    "royalty_base": "利润"}, TODAY)
    assert (row.royalty_base, row.royalty_rate) == (RoyaltyBase.PROFIT, Decimal("30.00"))  # ≤ 40 % of profit
    assert "royalty_base" in errors_of(payment_method="入门费+提成", royalty_rate="3", royalty_base="营业额")
