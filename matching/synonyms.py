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
    cjk_members: tuple[str, ...] = ()
    ascii_words: frozenset[str] = frozenset()  # single-word ASCII members
    # multi-word ASCII members as (first word, boundary-checked pattern)
    ascii_phrases: tuple[tuple[str, re.Pattern[str]], ...] = ()

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
        words = frozenset(m for m in canonical if _ASCII_WORD.fullmatch(m))
        phrases = sorted((m for m in canonical if m.isascii() and m not in words), key=len, reverse=True)
        cjk = tuple(sorted((m for m in canonical if not m.isascii()), key=len, reverse=True))
        compiled = tuple((_ASCII_WORD.findall(m)[0], re.compile(_member_regex(m))) for m in phrases)
        return cls(canonical, cjk, words, compiled)

    def canonical_tokens(self, normalized_text: str) -> list[str]:
        """Canonical tokens of every member occurring in already-normalised text."""
        return [self.canonical[m] for m in self.canonical_members(normalized_text)]

    def canonical_members(self, normalized_text: str) -> list[str]:
        """Member phrases occurring in already-normalised text (each once).

        A substring test per non-ASCII member is far faster in CPython than
        one big regex alternation; ASCII members need the word-boundary regex.
        """
        found = [m for m in self.cjk_members if m in normalized_text]
        words = set(_ASCII_WORD.findall(normalized_text))
        if words:
            found += [w for w in words & self.ascii_words]
            for first, pattern in self.ascii_phrases:
                if first in words and (m := pattern.search(normalized_text)):
                    found.append(m.group(0))
        return found

    def phrases(self) -> list[str]:
        """All member phrases, e.g. to teach the word segmenter."""
        return list(self.canonical)


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _member_regex(member: str) -> str:
    # ASCII members must not match inside longer words ("ai" in "chain").
    return rf"(?<![a-z0-9]){re.escape(member)}(?![a-z0-9])"
