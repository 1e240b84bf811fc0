"""IPC code parsing and the shipped Chinese titles (sections, classes, subclasses)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

_CODE = re.compile(r"^\s*([A-H])(\d{2})?([A-Z])?", re.IGNORECASE)


@lru_cache(maxsize=1)
def titles() -> dict[str, str]:
    text = resources.files("matching").joinpath("data/ipc_titles.tsv").read_text("utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "\t" in line:
            code, title = line.split("\t", 1)
            out[code.strip().upper()] = title.strip()
    return out


def levels(code: str) -> list[str]:
    """``"H01M 10/0525"`` → ``["H", "H01", "H01M"]`` (as far as the code goes)."""
    m = _CODE.match(code or "")
    if not m:
        return []
    section, klass, subclass = m.groups()
    out = [section.upper()]
    if klass:
        out.append(out[0] + klass)
        if subclass:
            out.append(out[1] + subclass.upper())
    return out


def subclass(code: str) -> str | None:
    lv = levels(code)
    return lv[2] if len(lv) == 3 else None


def sections(codes: Iterable[str]) -> list[str]:
    return sorted({lv[0] for c in codes if (lv := levels(c))})


def subclasses(codes: Iterable[str]) -> list[str]:
    return sorted({s for c in codes if (s := subclass(c))})


def title_text(codes: Iterable[str]) -> str:
    """Known titles of every level of every code, once each (searchable text)."""
    table = titles()
    seen: dict[str, None] = {}
    for code in codes:
        for level in levels(code):
            if level in table:
                seen.setdefault(table[level])
    return "；".join(seen)


def title_of(code: str) -> str | None:
    """Title of the most specific known level of a code."""
    table = titles()
    for level in reversed(levels(code)):
        if level in table:
            return table[level]
    return None
