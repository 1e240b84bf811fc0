"""Highlight snippets: <mark> around matched phrases, everything else HTML-escaped.

Done in Python from the original text (not by Elasticsearch) because the
indexed fields hold pre-tokenised text, and so both backends mark alike.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import lru_cache

from matching.normalize import normalize


@lru_cache(maxsize=256)
def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    return _compiled(frozenset(p for p in phrases if p))


@lru_cache(maxsize=256)
def _compiled(phrases: frozenset[str]) -> re.Pattern[str] | None:
    parts = []
    for p in sorted(phrases, key=lambda p: (-len(p), p)):
        esc = re.escape(p)
        parts.append(rf"(?<![a-z0-9]){esc}(?![a-z0-9])" if p.isascii() else esc)
    return re.compile("|".join(parts)) if parts else None


def spans(text: str, phrases: Iterable[str]) -> list[tuple[int, int]]:
    """Merged [start, end) spans of phrase occurrences (phrases are normalised)."""
    if not text:
        return []
    return list(_spans(text, tuple(phrases)))


# A match explanation marks the same texts as its highlights: compute once.
@lru_cache(maxsize=1024)
def _spans(text: str, phrases: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    pattern = _pattern(phrases)
    if pattern is None:
        return ()
    norm = normalize(text)
    found: list[tuple[int, int]] = []
    pos = 0
    # Overlapping search so that bigram phrases chain into whole words.
    while pos < len(norm):
        m = pattern.search(norm, pos)
        if not m:
            break
        found.append((m.start(), m.end()))
        pos = m.start() + 1
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def matched_phrases(text: str, phrases: Iterable[str]) -> list[str]:
    """Distinct surface strings that matched, in order of first appearance."""
    return list(dict.fromkeys(text[s:e] for s, e in spans(text, phrases)))


def snippet(text: str, phrases: Iterable[str], max_chars: int = 120) -> str | None:
    """Escaped window of ``text`` around the densest matches, or None if none."""
    marks = spans(text, phrases)
    if not marks:
        return None
    start, end = 0, len(text)
    if len(text) > max_chars:
        best, best_cover = 0, -1
        for s, _ in marks:
            lo = max(0, min(s - max_chars // 5, len(text) - max_chars))
            cover = sum(max(0, min(e2, lo + max_chars) - max(s2, lo)) for s2, e2 in marks)
            if cover > best_cover:
                best, best_cover = lo, cover
        start, end = best, best + max_chars
    out = ["…" if start > 0 else ""]
    pos = start
    for s, e in marks:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out)
