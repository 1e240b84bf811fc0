"""Concordances from outside classifications to our segments, kept as data (``data/concordance``).

Two are read: GB/T 4754 国民经济行业分类 names, with which needs arrive tagged
(``制造业``, ``制造业——电气机械和器材制造业``), and IPC codes, from which a
patent's segments are suggested. Both files say where each mapping comes from
(``basis``); ``data/concordance/README.md`` gives the provenance. Loaded once in
``create_app`` and checked against the taxonomy: a code the taxonomy lacks
refuses to load.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from flask import current_app

from marketplace.segments.taxonomy import Taxonomy

# Separators people put between 门类 and 大类: 制造业——医药制造业, 制造业-医药制造业, 制造业/医药制造业 …
_LEVELS = re.compile(r"\s*(?:—+|－+|–+|-+|/|>|＞|→)\s*")
_LISTS = re.compile(r"[;；,，|\n]+")
_PUNCTUATION = re.compile(r"[\s、，,．.·]+")
MIN_PREFIX = 6  # a name cut short (计算机、通信和其他电子设备制造) is recognised from this many characters on


def _key(name: str) -> str:
    return _PUNCTUATION.sub("", name)


def _read(name: str) -> dict:
    return json.loads(resources.files("marketplace").joinpath(f"data/concordance/{name}").read_text(encoding="utf-8"))


def _check(taxonomy: Taxonomy, codes: Iterable[str], where: str) -> None:
    unknown = [code for code in codes if code not in taxonomy]
    if unknown:
        raise ValueError(f"{where}: unknown segment {unknown[0]}")


@dataclass(frozen=True)
class Industry:
    """One GB/T 4754 class: a 门类 (``C``) or a 大类 (``C38``), with the segments it maps to."""

    code: str
    name: str
    name_en: str
    segments: tuple[str, ...]
    section: str | None = None  # the 门类 of a 大类

    @property
    def is_section(self) -> bool:
        return self.section is None

    def label(self, catalogue: "IndustryCatalogue", locale: str = "zh") -> str:
        """``制造业—医药制造业`` for a 大类, the 门类 name alone for a 门类."""
        own = self.name_en if locale.startswith("en") else self.name
        if self.section is None:
            return own
        return f"{catalogue.get(self.section).label(catalogue, locale)}—{own}"


class IndustryCatalogue:
    """GB/T 4754-2017 门类 and 大类 by code and by name (official, 2011 and misspelt forms)."""

    def __init__(self, data: dict, taxonomy: Taxonomy) -> None:
        self._by_code: dict[str, Industry] = {}
        self._sections_by_key: dict[str, str] = {}
        self._divisions_by_key: dict[str, str] = {}
        for code, item in data["sections"].items():
            _check(taxonomy, item["segments"], f"GB/T 4754 {code}")
            self._by_code[code] = Industry(code, item["name"], item["name_en"], tuple(item["segments"]))
            self._sections_by_key[_key(item["name"])] = code
        for alias, code in data.get("section_aliases", {}).items():
            self._sections_by_key[_key(alias)] = code
        for number, item in data["divisions"].items():
            code = item["section"] + number
            _check(taxonomy, item["segments"], f"GB/T 4754 {code}")
            self._by_code[code] = Industry(code, item["name"], item["name_en"], tuple(item["segments"]),
                                           item["section"])
            for name in (item["name"], *item.get("aliases", [])):
                self._divisions_by_key[_key(name)] = code

    def get(self, code: str) -> Industry | None:
        return self._by_code.get(code)

    def __iter__(self):
        return iter(self._by_code.values())

    def _division(self, key: str) -> str | None:
        if key in self._divisions_by_key:
            return self._divisions_by_key[key]
        if len(key) >= MIN_PREFIX:
            found = {code for name, code in self._divisions_by_key.items() if name.startswith(key)}
            if len(found) == 1:
                return found.pop()
        return None

    def _sections(self, key: str) -> list[str] | None:
        """One 门类 name, or several run together without a separator (制造业建筑业), else None."""
        if key in self._sections_by_key:
            return [self._sections_by_key[key]]
        found: list[str] = []
        rest = key
        while rest:
            head = max((name for name in self._sections_by_key if rest.startswith(name)), key=len, default=None)
            if head is None:
                return None
            found.append(self._sections_by_key[head])
            rest = rest[len(head):]
        return found

    def parse_one(self, raw: str) -> list[str] | None:
        """The codes one tag names (``制造业—医药制造业`` → ``[C27]``), or None when it is no GB/T 4754 name.

        A 大类 is trusted over the 门类 written before it: the real data files
        ``科技推广和应用服务业`` (M75) under 信息传输、软件和信息技术服务业.
        """
        text = raw.strip()
        if not text:
            return []
        if text in self._by_code:
            return [text]
        parts = [part for part in _LEVELS.split(text) if part]
        if len(parts) >= 2:
            division = self._division(_key(parts[-1]))
            if division:
                return [division]
            sections = self._sections(_key(parts[0]))
            return sections
        key = _key(text)
        return self._sections(key) or ([division] if (division := self._division(key)) else None)

    def parse(self, raw: object) -> tuple[list[str], list[str]]:
        """Split a list of tags (or one string) into GB/T 4754 codes and the tags that are none."""
        items = _LISTS.split(raw) if isinstance(raw, str) else [str(item) for item in raw or []]  # type: ignore[attr-defined]
        codes: list[str] = []
        others: list[str] = []
        for item in items:
            if not item or not item.strip():
                continue
            found = self.parse_one(item)
            if found is None:
                others.append(item.strip())
            for code in found or []:
                if code not in codes:
                    codes.append(code)
        return codes, others

    def segments_for(self, codes: Iterable[str]) -> list[str]:
        """The segments the concordance gives these codes, in order, once each."""
        found: list[str] = []
        for code in codes:
            industry = self._by_code.get(code)
            for segment in industry.segments if industry else ():
                if segment not in found:
                    found.append(segment)
        return found

    def label(self, code: str, locale: str = "zh") -> str:
        industry = self._by_code.get(code)
        return industry.label(self, locale) if industry else code


@dataclass(frozen=True)
class IpcSuggestion:
    """A segment suggested for a patent, with the IPC code and concordance row that gave it."""

    segment: str
    ipc: str
    rule: str  # the concordance key that matched: H01M, A01K61 …
    basis: str  # sei2021 | rule
    sei: str | None = None


def ipc_key(code: str) -> str:
    """``H01M 10/0525`` → ``H01M10/0525``."""
    return re.sub(r"\s+", "", code or "").upper()


def ipc_candidates(code: str) -> list[str]:
    """Lookup keys from the most specific to the class: ``H01M10/0525``, ``H01M10``, ``H01M``, ``H01``."""
    key = ipc_key(code)
    keys = [key]
    if "/" in key:
        keys.append(key.split("/", 1)[0])
    if len(key) > 4:
        keys.append(key[:4])
    if len(key) >= 3:
        keys.append(key[:3])
    return list(dict.fromkeys(keys))


class IpcConcordance:
    """IPC → segments, from the concordance file (see ``data/concordance/README.md``)."""

    def __init__(self, data: dict, taxonomy: Taxonomy) -> None:
        self.entries: dict[str, dict] = {}
        for entry in data["entries"]:
            _check(taxonomy, entry["segments"], f"IPC {entry['ipc']}")
            self.entries[ipc_key(entry["ipc"])] = entry

    def entry_for(self, code: str) -> tuple[str, dict] | None:
        for key in ipc_candidates(code):
            if key in self.entries:
                return key, self.entries[key]
        return None

    def suggest(self, codes: Iterable[str]) -> list[IpcSuggestion]:
        """Segments for a patent's IPC codes (main code first), each once; no code, no suggestion."""
        found: dict[str, IpcSuggestion] = {}
        for code in codes:
            hit = self.entry_for(code) if code else None
            if hit is None:
                continue
            key, entry = hit
            for segment in entry["segments"]:
                found.setdefault(segment, IpcSuggestion(segment, code, key, entry["basis"], entry.get("sei")))
        return list(found.values())


def load(taxonomy: Taxonomy) -> tuple[IndustryCatalogue, IpcConcordance]:
    """Read both concordances and check every segment code against the taxonomy."""
    return IndustryCatalogue(_read("gbt4754.json"), taxonomy), IpcConcordance(_read("ipc_segments.json"), taxonomy)


def init_app(app) -> None:
    """Called by ``create_app`` after the taxonomy is loaded."""
    app.extensions["industries"], app.extensions["ipc_concordance"] = load(app.extensions["taxonomy"])


def industries() -> IndustryCatalogue:
    return current_app.extensions["industries"]


def ipc_concordance() -> IpcConcordance:
    return current_app.extensions["ipc_concordance"]
