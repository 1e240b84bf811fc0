"""Spreadsheets built inside each test from real records (tests/fixtures/import_records.jsonl).

The records come from public patent exports (provenance kept on each line);
the office columns (分级, 产业领域, 转化方式, 价格, 成熟度, 标签) are added here,
as a tech-transfer office would add them to its export.
"""
from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.factories import load_fixture
from tests.jobs import deferred_jobs  # noqa: F401  (background imports wait until the test drains them)

CNIPA_HEADERS = ["申请号", "名称", "专利类型", "申请日", "公开（公告）号", "公开（公告）日", "授权公告日", "主分类号",
                 "分类号", "申请（专利权）人", "发明（设计）人", "法律状态", "摘要", "主权项", "分级", "产业领域",
                 "转化方式", "价格（万元）", "成熟度", "标签"]
GRADES = ["A", "B", "C"]
SEGMENTS = ["新一代信息技术", "高端装备制造", "新材料"]
PRICES = ["10-20", "50", "5.5"]


def record_row(record: dict[str, Any], index: int) -> list[str]:
    """One export row in CNIPA column order, from a real record plus the office's own columns."""
    extra = record.get("extra") or {}
    ipc_codes = extra.get("分类号") or (";".join(record["ipc"]) if record.get("ipc_main") else "")
    return [
        record["app_no"], record["title"], record.get("patent_type") or "",
        extra.get("申请日") or (extra.get("ApplicationDate") or "")[:10],
        record.get("pub_no") or "", extra.get("公开日") or extra.get("公开（公告）日") or "", extra.get("授权公告日") or "",
        record.get("ipc_main") or "", ipc_codes, record.get("applicant") or "",
        extra.get("发明人") or extra.get("发明（设计）人") or "", record.get("legal_status") or "",
        record["abstract"], extra.get("主权项") or "",
        GRADES[index % 3], SEGMENTS[index % 3], "转让、许可", PRICES[index % 3], "通过中试", "导入测试",
    ]


@pytest.fixture
def records() -> list[dict[str, Any]]:
    return load_fixture("import_records.jsonl")


@pytest.fixture
def export_rows(records) -> list[list[str]]:
    return [record_row(record, index) for index, record in enumerate(records)]


def write_csv(path: Path, headers: list[str], rows: list[list[Any]], *, encoding: str = "utf-8-sig",
              title_rows: list[list[str]] = (), delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerows(title_rows)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, headers: list[str], rows: list[list[Any]], *, title_rows: list[list[str]] = (),
               sheets_before: int = 0) -> Path:
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    for n in range(sheets_before):
        sheet.title = f"说明{n}"
        sheet.append(["检索式：申请人=测试大学"])
        sheet = workbook.create_sheet("专利")
    for row in [*title_rows, headers, *rows]:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def make_csv(tmp_path) -> Callable[..., Path]:
    def build(rows: list[list[Any]], headers: list[str] = CNIPA_HEADERS, name: str = "export.csv", **options) -> Path:
        return write_csv(tmp_path / name, headers, rows, **options)
    return build


@pytest.fixture
def make_xlsx(tmp_path) -> Callable[..., Path]:
    def build(rows: list[list[Any]], headers: list[str] = CNIPA_HEADERS, name: str = "export.xlsx", **options) -> Path:
        return write_xlsx(tmp_path / name, headers, rows, **options)
    return build


def with_wrong_check_digit(number: str) -> str:
    """The same application number with a check character that cannot be right."""
    body, check = number.rsplit(".", 1)
    return f"{body}.{'1' if check != '1' else '2'}"
