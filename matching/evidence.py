"""Words of a need (or a patent) weighted by corpus statistics, and the evidence a candidate contains them.

Weights are inverse document frequencies from the corpus the static vector
table was distilled on (``semantic.StaticEmbedder.freq``: 30,887 real
Chinese technical texts). Words in more than ``BOILERPLATE`` of those texts
(研发, 项目, 工艺, 管理, 关键技术 …) are boilerplate: they never choose
candidates and carry no weight, whatever their position in the text.

The same words serve three purposes, so what the explanation says is what
the score used: choosing lexical candidates (``retrieval_groups``),
measuring lexical evidence (``coverage``, backend-independent, from the
candidate's own text), and listing "the need's phrases found in the
patent" (real words and synonyms, never bigram fragments).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from matching.fields import TermGroups
from matching.normalize import normalize
from matching.text import Analyzer, _bigrams

BOILERPLATE = 0.02       # document share above which a word is boilerplate
MIN_FREQ = 1.0 / 40_000  # frequency assumed for a word the corpus never saw (specific)
MAX_RETRIEVAL_WORDS = 48  # by weight: long needs keep their most specific words
_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")


class WordStats:
    """Document frequencies (as shares of a reference corpus) of words."""

    def __init__(self, freq: dict[str, float]) -> None:
        self.freq = freq

    def share(self, word: str) -> float:
        return self.freq.get(word, MIN_FREQ)

    def idf(self, word: str) -> float:
        return math.log(1.0 / max(self.share(word), MIN_FREQ))

    def boilerplate(self, word: str) -> bool:
        return self.share(word) > BOILERPLATE


@dataclass(frozen=True)
class KeyWord:
    word: str                 # normalised surface form
    weight: float             # idf (0 for boilerplate)
    focus: bool               # from the title / keywords (states the topic)
    forms: tuple[str, ...]    # surface forms that count as the word (synonym members)
    canonical: str | None = None


def key_words(texts: Sequence[tuple[str, bool]], analyzer: Analyzer, stats: WordStats) -> list[KeyWord]:
    """Content words of ``(text, is_focus)`` pairs, once each, heaviest first."""
    seen: dict[str, KeyWord] = {}
    for text, focus in texts:
        if not text:
            continue
        query = analyzer.analyze_query(text)
        for unit in query.units:
            word = unit.word
            if len(word) < 2 and len(query.units) > 1:
                continue  # a lone character is evidence only when it is the whole query
            group = unit.synonym
            forms = tuple(sorted({m for m, c in analyzer.synonyms.canonical.items() if c == group} | {word})) \
                if group else (word,)
            weight = 0.0 if stats.boilerplate(word) else stats.idf(word)
            old = seen.get(word)
            if old is None or (focus and not old.focus):
                seen[word] = KeyWord(word, weight, focus or (old.focus if old else False), forms, group)
    return sorted(seen.values(), key=lambda k: (-k.weight, k.word))


def retrieval_groups(keys: Sequence[KeyWord]) -> TermGroups:
    """Index tokens of the non-boilerplate words (word, bigrams, synonym token), the focus words as their own group."""
    specific = [k for k in keys if k.weight > 0][:MAX_RETRIEVAL_WORDS] or list(keys[:8])

    def tokens(ks: Sequence[KeyWord]) -> tuple[str, ...]:
        out: dict[str, None] = {}
        for k in ks:
            out.setdefault(k.word)
            if k.canonical:
                out.setdefault(k.canonical)
            if len(k.word) > 2:
                for b in _bigrams(k.word):
                    out.setdefault(b)
        return tuple(out)

    focus = [k for k in specific if k.focus]
    groups: list[tuple[tuple[str, ...], float]] = []
    if focus:
        groups.append((tokens(focus), 2.0))
    groups.append((tokens(specific), 1.0))
    return tuple(groups)


@dataclass(frozen=True)
class Coverage:
    found: tuple[str, ...]   # the key words present, heaviest first (surface form as in the candidate)
    share: float             # weight present / weight of all key words (0..1)
    focus_share: float       # same over the focus words
    title_share: float       # weight present in the candidate's title / total


def coverage(keys: Sequence[KeyWord], title: str, body: str) -> Coverage:
    """Which key words occur in the candidate (any synonym form counts), weighted."""
    t = normalize(title)
    b = normalize(body)
    total = sum(k.weight for k in keys) or 1.0
    focus_total = sum(k.weight for k in keys if k.focus)
    got = got_focus = got_title = 0.0
    found: list[str] = []
    for k in keys:
        in_title = next((f for f in k.forms if f and f in t), None)
        hit = in_title or next((f for f in k.forms if f and f in b), None)
        if hit is None:
            continue
        got += k.weight
        if k.focus:
            got_focus += k.weight
        if in_title:
            got_title += k.weight
        if k.weight > 0:
            found.append(hit)
    return Coverage(tuple(dict.fromkeys(found)), got / total,
                    got_focus / focus_total if focus_total > 0 else got / total, got_title / total)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text or "") if len(s.strip()) >= 6]
