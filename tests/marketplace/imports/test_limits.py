"""Spreadsheets are checked before they are parsed: zip bombs, declared sizes, rows beyond the limit (issue 11)."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from marketplace.imports import reader
from marketplace.imports.errors import UnreadableFile
from marketplace.imports.reader import MAX_ROWS, check_xlsx_archive, open_table
from tests.marketplace.imports.conftest import CNIPA_HEADERS, write_csv, write_xlsx


def rewrite_member(path: Path, name: str, change) -> Path:
    """Copy an XLSX with one member's bytes changed (or a member added)."""
    source = zipfile.ZipFile(path)
    out = path.with_name("changed-" + path.name)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = source.namelist()
        for item in names:
            data = source.read(item)
            target.writestr(item, change(data) if item == name else data)
        if name not in names:
            target.writestr(name, change(b""))
    return out


def read_all(path: Path) -> list:
    with path.open("rb") as handle, open_table(path.name, handle) as table:
        return list(table.rows)


def test_a_shared_strings_bomb_is_refused_without_inflating_it(tmp_path, export_rows):
    """Issue 11: a 300 KB sharedStrings.xml expanded to 300 MB. Here 8 MB of one repeated string (ratio > 100)."""
    path = write_xlsx(tmp_path / "bomb.xlsx", CNIPA_HEADERS, export_rows[:2])
    bomb = rewrite_member(path, "xl/sharedStrings.xml", lambda data: data + b"<!--" + b"A" * (8 * 1024 * 1024) + b"-->")
    assert bomb.stat().st_size < 200 * 1024
    with pytest.raises(UnreadableFile, match="压缩比异常"):
        check_xlsx_archive(io.BytesIO(bomb.read_bytes()))
    with pytest.raises(UnreadableFile, match="压缩比异常"):
        read_all(bomb)


def test_the_whole_workbook_is_bounded_when_decompressed(tmp_path, export_rows, monkeypatch):
    path = write_xlsx(tmp_path / "big.xlsx", CNIPA_HEADERS, export_rows)
    monkeypatch.setattr(reader, "MAX_UNCOMPRESSED_BYTES", 10_000)
    with pytest.raises(UnreadableFile, match="解压后超过"):
        read_all(path)


def test_a_sheet_declaring_too_many_rows_is_refused_before_parsing(tmp_path, export_rows):
    path = write_xlsx(tmp_path / "declared.xlsx", CNIPA_HEADERS, export_rows[:2])
    lying = rewrite_member(path, "xl/worksheets/sheet1.xml",
                           lambda data: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:T20000000"', data))
    with pytest.raises(UnreadableFile, match="20000000"):
        read_all(lying)


def test_one_row_at_r_20_000_000_stops_at_the_row_limit(tmp_path, export_rows):
    """Issue 11: a 1.5 KB XLSX with one row at r=20,000,000 tied a worker up for 33 s (empty rows were not counted).

    The sheet declares a harmless dimension; the far row is found by counting the empty rows before it.
    """
    path = write_xlsx(tmp_path / "far.xlsx", CNIPA_HEADERS, export_rows[:1])
    far = rewrite_member(path, "xl/worksheets/sheet1.xml", lambda data: re.sub(
        rb"</sheetData>", b'<row r="20000000"><c r="A20000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
        re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:T2"', data)))
    assert far.stat().st_size < 20 * 1024
    with pytest.raises(UnreadableFile, match=f"{MAX_ROWS}"):
        read_all(far)


def test_empty_rows_count_towards_the_limit_in_csv_too(tmp_path, export_rows, monkeypatch):
    monkeypatch.setattr(reader, "MAX_SHEET_ROWS", 20)
    sparse = write_csv(tmp_path / "sparse.csv", CNIPA_HEADERS, [export_rows[0], *([[""]] * 30), export_rows[1]])
    with pytest.raises(UnreadableFile, match="空行也计入"):
        read_all(sparse)


def test_rows_are_cut_at_the_column_limit_and_their_text_normalised(tmp_path, export_rows):
    wide = [[*export_rows[0][:1], "锂电池\x07装置", *export_rows[0][2:], *(["x"] * 400)]]
    rows = read_all(write_csv(tmp_path / "wide.csv", CNIPA_HEADERS, wide))
    assert len(rows[0][1]) == reader.MAX_COLUMNS and rows[0][1][1] == "锂电池装置"
