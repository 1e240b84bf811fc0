"""Real technology needs (tests/fixtures/techmarket_needs.jsonl, from the sbx0/Zhibei tech-market data)
turned into the values ``create_need`` takes.

The source tags needs with GB/T 4754 门类 names (制造业 …) and lists cooperation
methods that include 委托开发/其他, which are not patent transformation modes;
the mapping below is how an importer would translate them.
"""
from __future__ import annotations

from typing import Any

from tests.factories import load_fixture

# GB/T 4754 门类 → nearest segment of the default taxonomy (approximate, for tests).
INDUSTRY_TO_SEGMENT = {
    "制造业": "TM-E",
    "信息传输、软件和信息技术服务业": "PII-2",
    "科学研究和技术服务业": "PII-7",
    "农、林、牧、渔业": "TM-H",
    "水利、环境和公共设施管理业": "TM-G",
    "电力、热力、燃气、及水生产和供应业": "TM-F",
    "交通运输、仓储和邮政业": "SEI-02",
    "批发和零售业": "SEI-09",
}
COOPERATION_TO_MODE = {"技术转让": "transfer", "技术许可": "license", "技术入股": "equity"}


def records() -> list[dict[str, Any]]:
    return load_fixture("techmarket_needs.jsonl")


def record(record_id: str) -> dict[str, Any]:
    return next(r for r in records() if r["id"] == record_id)


def need_values(rec: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """Title, description, segment and modes from one record; its long-past validity dates are left out."""
    methods = [m for m in rec["cooperationMethod"].split(",") if m in COOPERATION_TO_MODE]
    segment = INDUSTRY_TO_SEGMENT.get(rec["classification"])
    values: dict[str, Any] = {"title": rec["name"], "description": rec["context"],
                              "segments": [segment] if segment else [], "modes": methods}
    values.update(overrides)
    return values


def end_date(rec: dict[str, Any]) -> str:
    """The record's own 'valid until' date: ``2020-01-1310:49:39.0至2021-01-1310:49:41.0`` → ``2021-01-13``."""
    return rec["time"].split("至")[1][:10]
