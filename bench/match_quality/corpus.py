"""Turn techmarket records into matching documents (shared by both benchmarks).

Achievements stand for patent listings; needs for companies' needs. Needs
get no segments (the source has only a 国民经济行业 门类 for them, which the
relevance labels use, so giving it to the matcher would leak the labels).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from matching import NeedDoc, PatentDoc

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"

_MATURITY = {"已有样品": "sample", "通过小试": "lab", "可以量产": "mass_production", "正在研发": "research",
             "通过中试": "pilot"}


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def modes(method: str) -> list[str]:
    out = []
    if "技术转让" in method or "完全转让" in method:
        out.append("transfer")
    if "许可" in method:
        out.append("license")
    if "入股" in method:
        out.append("equity")
    return out


def achievement_doc(i: int, r: dict) -> PatentDoc:
    top, _, sub = (r.get("industry") or "").partition("-")
    segments = [r["industry"], top] if sub else ([top] if top else [])
    try:
        posted = date.fromisoformat(r.get("postTime") or "")
    except ValueError:
        posted = None
    return PatentDoc(
        id=i, application_number=r["id"], title=(r.get("name") or "").strip(), abstract=(r.get("context") or "").strip(),
        patent_type="utility_model" if r.get("zlxx") == "实用新型专利" else "invention",
        legal_status="granted", segments=segments, segment_names=[s for s in (sub, top) if s],
        modes=modes(r.get("cooperationMethod") or ""), maturity=_MATURITY.get(r.get("maturity") or ""),
        application_date=posted,
    )


def need_doc(i: int, r: dict) -> NeedDoc:
    return NeedDoc(id=i, org_id=i, org_name="", title=(r.get("name") or "").strip(),
                   description=(r.get("context") or "").strip(), modes=modes(r.get("cooperationMethod") or ""))


def load(data_dir: Path) -> tuple[list[dict], list[dict]]:
    tm = data_dir / "techmarket"
    return read_jsonl(tm / "achievements.jsonl"), read_jsonl(tm / "needs.jsonl")
