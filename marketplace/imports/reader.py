"""Reading uploads row by row: XLSX through openpyxl's read-only mode, CSV through a decoding text stream.

Neither format is loaded whole, so a 10,000-row export costs memory for one
row at a time. CSV encodings are detected (UTF-8 with or without BOM, UTF-16,
else GB18030, the superset of the GBK that Chinese Excel writes). Row numbers
are those the user sees in Excel (1-based, title rows included).
"""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import PurePath
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from marketplace.imports.columns import ALIASES, HEADER_SCAN_ROWS, ColumnMap, find_header
from marketplace.imports.errors import UnreadableFile

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SNIFF_BYTES = 64 * 1024
Row = tuple[int, list[Any]]


@dataclass
class Table:
    header: ColumnMap
    rows: Iterator[Row]


def check_filename(filename: str) -> str:
    """The file's suffix if it is one we read; old binary .xls gets its own advice."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".xls":
        raise UnreadableFile("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv 后上传 / "
                             "legacy .xls is not supported: save it as .xlsx or .csv")
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise UnreadableFile(f"不支持的文件类型 {suffix or '（无扩展名）'}，请上传 .xlsx 或 .csv / "
                             f"unsupported file type {suffix or '(none)'}: upload .xlsx or .csv")
    return suffix


@contextmanager
def open_table(filename: str, stream: IO[bytes]) -> Iterator[Table]:
    """The recognised header and an iterator over the data rows below it."""
    suffix = check_filename(filename)
    if _is_empty(stream):
        raise UnreadableFile("文件为空 / the file is empty")
    if suffix in XLSX_SUFFIXES:
        workbook = _open_workbook(stream)
        try:
            yield _first_table(_guarded_xlsx_rows(sheet) for sheet in workbook.worksheets)
        finally:
            workbook.close()
    else:
        text = _text_stream(stream)
        try:
            yield _first_table([_guarded_csv_rows(text)])
        finally:
            text.detach()


def _first_table(sheets: Iterable[Iterator[Row]]) -> Table:
    """The first sheet whose header names every required column; else say what is missing."""
    best: ColumnMap | None = None
    for rows in sheets:
        head = list(islice(rows, HEADER_SCAN_ROWS))
        header = find_header(head)
        if header is None:
            continue
        if not header.missing:
            below = [row for row in head if row[0] > header.header_row]
            return Table(header, chain(below, rows))
        if best is None or len(header.targets) > len(best.targets):
            best = header
    if best is None:
        expected = "、".join(ALIASES[target][0] for target in ("application_number", "title"))
        raise UnreadableFile(f"前 {HEADER_SCAN_ROWS} 行中没有可识别的表头（至少需要 {expected} 两列）/ "
                             f"no recognisable header row in the first {HEADER_SCAN_ROWS} rows")
    names = "、".join(ALIASES[target][0] for target in best.missing)
    raise UnreadableFile(f"缺少必需的列：{names}（表头在第 {best.header_row} 行）/ missing required columns: "
                         f"{', '.join(best.missing)}", {"columns": names})


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
        raise UnreadableFile(f"无法读取 Excel 文件（文件损坏或不是 .xlsx）/ cannot read the Excel file "
                             f"(damaged or not .xlsx): {type(error).__name__}") from None


def _guarded_xlsx_rows(sheet) -> Iterator[Row]:
    sheet.reset_dimensions()  # exporters often write a wrong <dimension>, which would cut columns off
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    except (zipfile.BadZipFile, ParseError, KeyError, ValueError, OSError, EOFError) as error:
        raise UnreadableFile(f"Excel 文件已损坏，无法继续读取 / the Excel file is damaged: "
                             f"{type(error).__name__}") from None


def detect_encoding(head: bytes) -> str:
    """UTF-8 (BOM optional) or UTF-16 by BOM, else GB18030 — what Chinese Windows Excel saves CSV as."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise UnreadableFile("这不是文本 CSV 文件 / this is not a text CSV file")
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
            yield number, cells
    except UnicodeDecodeError:
        raise UnreadableFile(f"第 {number + 1} 行附近的文字编码无法识别，请另存为 UTF-8 CSV / "
                             f"unreadable characters near row {number + 1}: save the file as UTF-8 CSV") from None
    except csv.Error as error:
        raise UnreadableFile(f"第 {number + 1} 行不是有效的 CSV：{error} / row {number + 1} is not valid CSV") from None
