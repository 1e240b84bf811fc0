"""Reading uploads row by row: XLSX through openpyxl's read-only mode, CSV through a decoding text stream.

Neither format is loaded whole, so a 10,000-row export costs memory for one
row at a time. CSV encodings are detected (UTF-8 with or without BOM, UTF-16,
else GB18030, the superset of the GBK that Chinese Excel writes). Row numbers
are those the user sees in Excel (1-based, title rows included).

Before openpyxl sees an XLSX, ``check_xlsx_archive`` reads only its zip
directory and the sheets' ``<dimension>``: a zip bomb (a 300 KB
sharedStrings.xml declaring 300 MB) or a sheet declaring millions of rows
is refused without decompressing anything. Rows are counted by their
number, empty ones included, so a 1.5 KB file with one cell at row
20,000,000 stops at ``MAX_ROWS`` in a fraction of a second instead of
iterating twenty million empty rows; rows are cut at ``MAX_COLUMNS`` cells.
Text cells are normalised (``core.text``: NFC, no control characters).
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import PurePath
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from flask_babel import gettext as _

from marketplace.core.text import normalise_text
from marketplace.imports.columns import HEADER_SCAN_ROWS, INVENTORY, ColumnMap, Layout, find_header
from marketplace.imports.errors import UnreadableFile

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SNIFF_BYTES = 64 * 1024
MAX_ROWS = 50_000  # data rows; the title rows above a header come on top (HEADER_SCAN_ROWS)
MAX_SHEET_ROWS = MAX_ROWS + HEADER_SCAN_ROWS
MAX_COLUMNS = 256
MAX_ARCHIVE_MEMBERS = 2_000
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024  # the whole workbook, decompressed
MAX_COMPRESSION_RATIO = 100  # for members above BOMB_CHECK_BYTES; real exports compress 5–30×
BOMB_CHECK_BYTES = 4 * 1024 * 1024
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\"")
Row = tuple[int, list[Any]]


@dataclass
class Table:
    header: ColumnMap
    rows: Iterator[Row]


def check_filename(filename: str) -> str:
    """The file's suffix if it is one we read; old binary .xls gets its own advice."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".xls":
        raise UnreadableFile(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv 后上传"))
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise UnreadableFile(_("不支持的文件类型 %(suffix)s，请上传 .xlsx 或 .csv", suffix=suffix or _("（无扩展名）")))
    return suffix


def stream_size(stream: IO[bytes]) -> int:
    """Bytes in an uploaded file's stream, which is left at its start."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _column_number(letters: bytes | None) -> int:
    number = 0
    for letter in letters or b"A":
        number = number * 26 + letter - ord("A") + 1
    return number


def check_xlsx_archive(stream: IO[bytes]) -> int | None:
    """Refuse zip bombs and oversized sheets from the zip directory alone; returns the rows the sheets declare.

    Nothing is decompressed except the first 4 KB of each worksheet (where
    ``<dimension ref="A1:T3001"/>`` lives); Python's zipfile never inflates a
    member beyond its declared size, so the declared sizes bound the work.
    """
    start = stream.tell()
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise UnreadableFile(_("Excel 文件包含的部件过多（%(n)d 个），不像是正常的表格", n=len(members)))
            if sum(info.file_size for info in members) > MAX_UNCOMPRESSED_BYTES:
                raise UnreadableFile(_("Excel 文件解压后超过 %(mb)d MB，请拆分后分批导入",
                                       mb=MAX_UNCOMPRESSED_BYTES // (1024 * 1024)))
            for info in members:
                if info.file_size > BOMB_CHECK_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(1, info.compress_size):
                    raise UnreadableFile(_("Excel 文件中的 %(part)s 压缩比异常（%(ratio)d 倍），已拒绝读取",
                                           part=info.filename[:80], ratio=info.file_size // max(1, info.compress_size)))
            declared = 0
            for info in members:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with archive.open(info) as member:
                        match = _DIMENSION.search(member.read(4096))
                    if match and match.group(4):
                        rows, columns = int(match.group(4)), _column_number(match.group(3))
                        if rows > MAX_SHEET_ROWS:
                            raise UnreadableFile(_("工作表声明了 %(rows)d 行，超过上限 %(max)d 行，请拆分文件",
                                                   rows=rows, max=MAX_ROWS))
                        if columns > MAX_COLUMNS:
                            raise UnreadableFile(_("工作表声明了 %(n)d 列，超过上限 %(max)d 列",
                                                   n=columns, max=MAX_COLUMNS))
                        declared = max(declared, rows)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError, ValueError) as error:
        raise UnreadableFile(_("无法读取 Excel 文件（文件损坏或不是 .xlsx）：%(error)s",
                               error=type(error).__name__)) from None
    finally:
        stream.seek(start)
    return declared or None


@contextmanager
def open_table(filename: str, stream: IO[bytes], layout: Layout = INVENTORY) -> Iterator[Table]:
    """The recognised header (of ``layout``: an inventory by default) and an iterator over the data rows below it."""
    suffix = check_filename(filename)
    if _is_empty(stream):
        raise UnreadableFile(_("文件为空"))
    if suffix in XLSX_SUFFIXES:
        check_xlsx_archive(stream)
        workbook = _open_workbook(stream)
        try:
            yield _first_table((_guarded_xlsx_rows(sheet) for sheet in workbook.worksheets), layout)
        finally:
            workbook.close()
    else:
        text = _text_stream(stream)
        try:
            yield _first_table([_guarded_csv_rows(text)], layout)
        finally:
            text.detach()


def _first_table(sheets: Iterable[Iterator[Row]], layout: Layout) -> Table:
    """The first sheet whose header names every required column; else say what is missing."""
    best: ColumnMap | None = None
    for rows in sheets:
        head = list(islice(rows, HEADER_SCAN_ROWS))
        header = find_header(head, layout)
        if header is None:
            continue
        if not header.missing:
            below = [row for row in head if row[0] > header.header_row]
            return Table(header, chain(below, rows))
        if best is None or len(header.targets) > len(best.targets):
            best = header
    if best is None:
        expected = str(_("、")).join(layout.column_name(target) for target in layout.required)
        raise UnreadableFile(_("前 %(n)d 行中没有可识别的表头（至少需要 %(columns)s 列）",
                               n=HEADER_SCAN_ROWS, columns=expected))
    names = str(_("、")).join(layout.column_name(target) for target in best.missing)
    raise UnreadableFile(_("缺少必需的列：%(names)s（表头在第 %(row)d 行）", names=names, row=best.header_row),
                         {"columns": names})


def _is_empty(stream: IO[bytes]) -> bool:
    start = stream.tell()
    first = stream.read(1)
    stream.seek(start)
    return not first


def _open_workbook(stream: IO[bytes]):
    from openpyxl import load_workbook
    try:
        return load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises whatever its zip/XML layers raise on a damaged file
        raise UnreadableFile(_("无法读取 Excel 文件（文件损坏或不是 .xlsx）：%(error)s",
                               error=type(error).__name__)) from None


def _too_many_rows() -> UnreadableFile:
    return UnreadableFile(_("行数超过上限 %(max)d（空行也计入），请拆分文件", max=MAX_ROWS))


def _clean_cells(cells: Iterable[Any]) -> list[Any]:
    """Text normalised (``core.text``), trailing empty cells dropped (``max_col`` pads XLSX rows with them)."""
    cleaned = [normalise_text(cell) if isinstance(cell, str) else cell for cell in cells]
    while cleaned and cleaned[-1] is None:
        cleaned.pop()
    return cleaned


def _guarded_xlsx_rows(sheet) -> Iterator[Row]:
    sheet.reset_dimensions()  # exporters often write a wrong <dimension>, which would cut columns off
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
            if number > MAX_SHEET_ROWS:  # empty rows count: openpyxl yields every row up to the last one
                raise _too_many_rows()
            yield number, _clean_cells(cells)
    except (zipfile.BadZipFile, ParseError, KeyError, ValueError, OSError, EOFError) as error:
        raise UnreadableFile(_("Excel 文件已损坏，无法继续读取：%(error)s", error=type(error).__name__)) from None


def detect_encoding(head: bytes) -> str:
    """UTF-8 (BOM optional) or UTF-16 by BOM, else GB18030 — what Chinese Windows Excel saves CSV as."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise UnreadableFile(_("这不是文本 CSV 文件"))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _text_stream(stream: IO[bytes]) -> io.TextIOWrapper:
    start = stream.tell()
    head = stream.read(SNIFF_BYTES)
    stream.seek(start)
    encoding = detect_encoding(head)
    return io.TextIOWrapper(stream, encoding=encoding, newline="")


def _delimiter(sample: str) -> str:
    """Tab-separated exports exist too; commas inside Chinese text are full-width, so counting is safe."""
    return "\t" if sample.count("\t") > sample.count(",") else ","


def _guarded_csv_rows(text: io.TextIOWrapper) -> Iterator[Row]:
    number = 0
    try:
        head = [line for line in (text.readline() for _ in range(HEADER_SCAN_ROWS)) if line]
        reader = csv.reader(chain(head, text), delimiter=_delimiter("".join(head)))
        for number, cells in enumerate(reader, start=1):
            if number > MAX_SHEET_ROWS:
                raise _too_many_rows()
            yield number, _clean_cells(cells[:MAX_COLUMNS])
    except UnicodeDecodeError:
        raise UnreadableFile(_("第 %(row)d 行附近的文字编码无法识别，请另存为 UTF-8 CSV", row=number + 1)) from None
    except csv.Error as error:
        raise UnreadableFile(_("第 %(row)d 行不是有效的 CSV：%(error)s", row=number + 1, error=str(error))) from None
