"""The relevance set's supply and needs, read from the shared data folder.

Supply = the techmarket achievements (``a:<row>``) + the patent evaluation
sample (``p:<row>``); ``row`` is the 0-based line number in the source file,
so an id is stable as long as the file is. Texts are never copied into the
repo: ids, splits and labels are.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# shared/ sits beside the checkout (/work/main, CI) or two levels up (a worktree /work/wt/<name>).
DATA = Path(os.environ.get("MATCH_QUALITY_DATA") or next(
    (p for p in (REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data") if p.is_dir()),
    REPO.parent / "shared" / "data"))

ACHIEVEMENTS = "techmarket/achievements.jsonl"
PATENTS = "patents/cn_eval_sample.jsonl"
NEEDS = "techmarket/needs.jsonl"


@dataclass(frozen=True)
class Doc:
    """One candidate: an achievement or a patent (title + description/abstract)."""

    id: str          # a:<row> | p:<row>
    title: str
    text: str        # description (achievement) or abstract (patent)
    source_id: str   # the record's own id (ach-1-0 / CN…)
    provenance: str  # source_repo:source_path
    raw: dict

    @property
    def kind(self) -> str:
        return "achievement" if self.id.startswith("a:") else "patent"


@dataclass(frozen=True)
class Need:
    id: str          # the record's id, need-<n>
    row: int
    title: str
    text: str
    classification: str
    raw: dict


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _clean(s: str | None) -> str:
    return " ".join((s or "").split())


@cache
def supply(data: Path = DATA) -> tuple[Doc, ...]:
    out = []
    for row, r in enumerate(read_jsonl(data / ACHIEVEMENTS)):
        out.append(Doc(f"a:{row}", _clean(r.get("name")), _clean(r.get("context")), r["id"],
                       f"{r.get('source_repo')}:{r.get('source_path')}#{r.get('source_index')}", r))
    for row, r in enumerate(read_jsonl(data / PATENTS)):
        out.append(Doc(f"p:{row}", _clean(r.get("title")), _clean(r.get("abstract")), r["id"],
                       f"{r.get('source_repo')}:{r.get('source_path')}#{r.get('source_row')}", r))
    return tuple(out)


@cache
def supply_by_id(data: Path = DATA) -> dict[str, Doc]:
    return {d.id: d for d in supply(data)}


@cache
def needs(data: Path = DATA) -> tuple[Need, ...]:
    return tuple(Need(r["id"], row, _clean(r.get("name")), _clean(r.get("context")),
                      (r.get("classification") or "").strip(), r)
                 for row, r in enumerate(read_jsonl(data / NEEDS)))


@cache
def needs_by_id(data: Path = DATA) -> dict[str, Need]:
    return {n.id: n for n in needs(data)}


def need_text(n: Need) -> str:
    """Title + description, the description dropped when it only repeats the title."""
    if not n.text or n.text == n.title or n.text in n.title:
        return n.title
    return f"{n.title}。{n.text}" if not n.title.endswith(("。", "？", "！", ".")) else f"{n.title}{n.text}"


def doc_text(d: Doc) -> str:
    return f"{d.title}。{d.text}" if d.text else d.title
