"""Hierarchical industry segments loaded from JSON.

The default file ships with the app; ``SEGMENT_FILE`` adds or overrides
segments (same format), so a region can bring its own industry bases
without a migration. Patents and needs store leaf or inner codes; search
documents carry each code with its ancestors so a parent filter finds children.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from flask_babel import gettext as _

from marketplace.core.errors import ValidationFailed


@dataclass(frozen=True)
class Segment:
    code: str
    name: str
    name_en: str
    parent: str | None
    unique_zh: str = ""
    unique_en: str = ""

    def label(self, locale: str) -> str:
        """The name to show: unique in the taxonomy (a repeated name carries its parent's, 上级/下级)."""
        if locale.startswith("en"):
            return self.unique_en or self.name_en
        return self.unique_zh or self.name


class Taxonomy:
    """An immutable, validated segment tree with lookups by code and by name."""

    def __init__(self, segments: list[Segment]) -> None:
        self._by_code = {s.code: s for s in segments}
        for segment in segments:
            if segment.parent and segment.parent not in self._by_code:
                raise ValueError(f"segment {segment.code}: unknown parent {segment.parent}")
        self._by_code = {code: replace(segment, unique_zh=self._unique(segment, "zh"),
                                       unique_en=self._unique(segment, "en"))
                         for code, segment in self._by_code.items()}
        segments = list(self._by_code.values())
        self._by_name: dict[str, Segment] = {}
        for segment in segments:
            self._by_name.setdefault(segment.name, segment)
            self._by_name.setdefault(segment.name_en.lower(), segment)

    def _unique(self, segment: Segment, locale: str) -> str:
        """The segment's name, prefixed by its ancestors' names until no other segment reads the same.

        Two segments must never show the same label (新能源 is both a strategic emerging industry
        and a technology-market area; 其他 closes several lists), so a repeated name becomes
        ``上级/下级``, going up as many levels as it takes.
        """
        def name(item: Segment) -> str:
            return item.name_en if locale == "en" else item.name

        def chain(item: Segment, depth: int) -> str:
            parts = [name(item)]
            parent = item.parent
            while parent and len(parts) <= depth:
                parts.insert(0, name(self._by_code[parent]))
                parent = self._by_code[parent].parent
            return "/".join(parts)

        depth = 0
        while True:
            labels = Counter(chain(item, depth) for item in self._by_code.values())
            own = chain(segment, depth)
            if labels[own] == 1 or depth > 8:
                return own
            depth += 1

    @classmethod
    def load(cls, extra_file: str | None = None) -> "Taxonomy":
        default = resources.files("marketplace").joinpath("data/segments.json").read_text(encoding="utf-8")
        merged = {item["code"]: item for item in json.loads(default)["segments"]}
        if extra_file:
            for item in json.loads(Path(extra_file).read_text(encoding="utf-8"))["segments"]:
                merged[item["code"]] = item
        return cls([Segment(i["code"], i["name"], i.get("name_en", i["name"]), i.get("parent")) for i in merged.values()])

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self):
        return iter(self._by_code.values())

    def get(self, code: str) -> Segment | None:
        return self._by_code.get(code)

    def roots(self) -> list[Segment]:
        return [s for s in self._by_code.values() if s.parent is None]

    def children(self, code: str) -> list[Segment]:
        return [s for s in self._by_code.values() if s.parent == code]

    def ancestors(self, code: str) -> list[str]:
        """The code's parents up to the root, nearest first."""
        chain: list[str] = []
        parent = self._by_code[code].parent if code in self._by_code else None
        while parent:
            chain.append(parent)
            parent = self._by_code[parent].parent
        return chain

    def with_ancestors(self, codes: list[str]) -> list[str]:
        expanded: list[str] = []
        for code in codes:
            for item in [code, *self.ancestors(code)]:
                if item not in expanded:
                    expanded.append(item)
        return expanded

    def descendants(self, code: str) -> list[str]:
        """The code and everything below it, for SQL filters on a parent segment."""
        found = [code]
        for child in self.children(code):
            found.extend(self.descendants(child.code))
        return found

    def resolve(self, raw: str) -> Segment | None:
        """Find a segment by code, Chinese or English name, or a ``上级-下级`` path."""
        text = raw.strip()
        if text in self._by_code:
            return self._by_code[text]
        if text in self._by_name or text.lower() in self._by_name:
            return self._by_name.get(text) or self._by_name[text.lower()]
        for separator in ("-", "—", "/", ">"):
            if separator in text:
                parent_name, child_name = (part.strip() for part in text.rsplit(separator, 1))
                parent = self.resolve(parent_name)
                for child in self.children(parent.code) if parent else []:
                    if child.name == child_name:
                        return child
                return self.resolve(child_name)
        return None

    def parse_codes(self, raw_values: list[str], field: str = "segments") -> list[str]:
        """Validate user-given segments, accepting codes or names; unknown ones are refused by name."""
        codes: list[str] = []
        for raw in raw_values:
            if not raw or not raw.strip():
                continue
            segment = self.resolve(raw)
            if segment is None:
                raise ValidationFailed.field(field, _("未知的产业领域：%(name)s", name=raw))
            if segment.code not in codes:
                codes.append(segment.code)
        return codes

    def as_tree(self, locale: str = "zh") -> list[dict[str, object]]:
        def node(segment: Segment) -> dict[str, object]:
            return {"code": segment.code, "name": segment.label(locale), "name_zh": segment.name,
                    "name_en": segment.name_en, "children": [node(c) for c in self.children(segment.code)]}
        return [node(root) for root in self.roots()]

    def label(self, code: str, locale: str = "zh") -> str:
        """The unique label of a code; an unknown code is shown as itself."""
        segment = self._by_code.get(code)
        return segment.label(locale) if segment else code
