"""Reading uploads: encodings, delimiters, sheets, title rows and broken files."""
from __future__ import annotations

import io

import pytest

from marketplace.imports.errors import UnreadableFile
from marketplace.imports.reader import detect_encoding, open_table
from tests.marketplace.imports.conftest import write_csv, write_xlsx

HEADERS = ["申请号", "名称", "申请（专利权）人"]
ROWS = [["201710601862.3", "一种钢筋混凝土轨枕", "海安县建莲商品混凝土有限公司"],
        ["CN201610311380.X", "无人机巡检系统", "中科大数据研究院"]]


def read(path) -> tuple[int, list[tuple[int, list]]]:
    with path.open("rb") as handle, open_table(path.name, handle) as table:
        return table.header.header_row, list(table.rows)


def test_encodings_are_detected():
    assert detect_encoding("申请号".encode("gbk")) == "gb18030"
    assert detect_encoding("申请号".encode("utf-8")) == "utf-8"
    assert detect_encoding("申请号".encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding("申请号".encode("utf-16")) == "utf-16"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_in_any_common_encoding(tmp_path, encoding):
    header_row, rows = read(write_csv(tmp_path / "x.csv", HEADERS, ROWS, encoding=encoding))
    assert header_row == 1
    assert rows == [(2, ROWS[0]), (3, ROWS[1])]


def test_tab_separated_with_title_rows(tmp_path):
    path = write_csv(tmp_path / "x.tsv", HEADERS, ROWS, delimiter="\t", title_rows=[["检索结果导出"], ["共2条"]])
    header_row, rows = read(path)
    assert header_row == 3
    assert rows[0] == (4, ROWS[0])


def test_xlsx_with_title_rows_on_a_later_sheet(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, ROWS, title_rows=[["专利清单"], [None]], sheets_before=1)
    header_row, rows = read(path)
    assert header_row == 3
    assert rows == [(4, ROWS[0]), (5, ROWS[1])]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("x.xlsx", b"PK\x03\x04 not really a zip", "无法读取 Excel"),
    ("x.xlsx", b"", "文件为空"),
    ("x.csv", b"", "文件为空"),
    ("x.xls", b"\xd0\xcf\x11\xe0", ".xls"),
    ("x.pdf", b"%PDF-1.4", "不支持的文件类型"),
    ("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不是文本 CSV"),
    ("x.csv", "作者,单位\n张三,测试大学\n".encode("gbk"), "没有可识别的表头"),
    ("x.csv", "申请号,摘要\n201710601862.3,x\n".encode(), "缺少必需的列：名称"),
])
def test_unreadable_uploads(name, content, message):
    with pytest.raises(UnreadableFile) as error, open_table(name, io.BytesIO(content)):
        pass
    assert message in error.value.message
