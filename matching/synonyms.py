"""Synonym groups: every member of a group maps to the group's canonical token.

Expansion is done in Python on both the indexing and the query side (the bare
Elasticsearch has no synonym filter), so both backends see identical tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from matching.normalize import normalize, squash


@dataclass(frozen=True)
class SynonymTable:
    """Lookup from a normalised member phrase to its group's canonical token."""

    canonical: dict[str, str]
    pattern: re.Pattern[str] | None

    @classmethod
    def load(cls, extra_paths: Iterable[str | Path] = ()) -> SynonymTable:
        texts = [resources.files("matching").joinpath("data/synonyms.txt").read_text("utf-8")]
        texts += [Path(p).read_text("utf-8") for p in extra_paths]
        return cls.from_lines(line for text in texts for line in text.splitlines())

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> SynonymTable:
        canonical: dict[str, str] = {}
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            members = [normalize(m).strip() for m in line.replace("，", ",").split(",")]
            members = [m for m in members if m]
            if len(members) < 2:
                continue
            # A member already seen keeps its first group, so a deployment file can
            # add members to a shipped group by repeating its canonical term first.
            head = canonical.get(members[0], squash(members[0]))
            for member in members:
                canonical.setdefault(member, head)
        if not canonical:
            return cls({}, None)
        alternatives = sorted(canonical, key=len, reverse=True)
        parts = [_member_regex(m) for m in alternatives]
        return cls(canonical, re.compile("|".join(parts)))

    def canonical_tokens(self, normalized_text: str) -> list[str]:
        """Canonical tokens of every member occurring in already-normalised text."""
        return [self.canonical[m] for m in self.canonical_members(normalized_text)]

    def canonical_members(self, normalized_text: str) -> list[str]:
        """Member phrases occurring in already-normalised text."""
        if self.pattern is None:
            return []
        return [m.group(0) for m in self.pattern.finditer(normalized_text)]

    def phrases(self) -> list[str]:
        """All member phrases, e.g. to teach the word segmenter."""
        return list(self.canonical)


def _member_regex(member: str) -> str:
    escaped = re.escape(member)
    if member.isascii():
        # ASCII members must not match inside longer words ("ai" in "chain").
        return rf"(?<![a-z0-9]){escaped}(?![a-z0-9])"
    return escaped
