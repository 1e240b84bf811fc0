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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from matching.fields import TermGroups
from matching.normalize import normalize
from matching.text import Analyzer, _bigrams

BOILERPLATE = 0.02       # document share above which a word is boilerplate
MIN_FREQ = 1.0 / 40_000  # frequency assumed for a word the corpus never saw (specific)
MAX_RETRIEVAL_WORDS = 48  # by weight: long needs keep their most specific words
# Term-frequency evidence (BM25 saturation and length normalisation, per key word):
TF_K1 = 3.0           # saturation: the 3rd occurrence adds half as much as the 1st
TF_B = 0.75           # length normalisation
TF_AVG_CHARS = 355.0  # typical candidate length (title + abstract, normalised characters)
TF_TITLE = 2.0        # an occurrence in the title counts this many times
# Character-bigram evidence (the need's whole text against the candidate's, BM25-saturated): catches the
# phrasings word segmentation splits differently (烟感器 / 烟感探测器) and the need's non-key words.
BIGRAM_K1 = 1.2
BIGRAM_AVG = 280.0    # typical candidate length in tokens (title + abstract)
BIGRAM_TABLE = "data/bigram_df.txt"
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")
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


class BigramStats:
    """Document frequencies of character bigrams in a fixed reference corpus (``data/bigram_df.txt``)."""

    def __init__(self, docs: int, df: dict[str, int]) -> None:
        self.docs, self.df = docs, df

    def idf(self, token: str) -> float:
        f = self.df.get(token, 1)  # the table omits tokens found in one document only
        return math.log(1 + (self.docs - f + 0.5) / (f + 0.5))


@cache
def bigram_stats() -> BigramStats:
    """The shipped table (built by ``python -m bench.match_quality.bigram_df``)."""
    lines = resources.files("matching").joinpath(BIGRAM_TABLE).read_text("utf-8").splitlines()
    docs = int(lines[0].split("\t")[1])
    return BigramStats(docs, {t: int(f) for t, f in (line.split("\t") for line in lines[1:])})


def char_tokens(text: str) -> list[str]:
    """Character bigrams of the CJK runs of normalised ``text`` (a lone character stays itself), ASCII words whole."""
    out: list[str] = []
    for run in _RUN.findall(text):
        if run.isascii() or len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


@lru_cache(maxsize=4096)
def text_bigrams(text: str) -> tuple[tuple[str, float], ...]:
    """The distinct tokens of a need's text, each with its idf."""
    stats = bigram_stats()
    return tuple((t, stats.idf(t)) for t in dict.fromkeys(char_tokens(normalize(text))))


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
    tf: float = 0.0          # Σ weight × BM25 tf-saturation / total weight (0..TF_K1+1)
    bigram: float = 0.0      # Σ idf × BM25 tf-saturation of the need's character bigrams / Σ idf (0..BIGRAM_K1+1)


@lru_cache(maxsize=1024)
def _forms_pattern(forms: tuple[str, ...]) -> re.Pattern[str]:
    # A lookahead finds a form starting at every position (overlapping), longest first.
    return re.compile("(?=(" + "|".join(re.escape(f) for f in forms) + "))")


@lru_cache(maxsize=16_384)
def _normalized(text: str) -> str:
    # Candidate texts recur across requests: normalise each once per process.
    return normalize(text)


def _counts(pattern: re.Pattern[str], text: str) -> Counter[str]:
    """Occurrences of each form (the longest form found at each position)."""
    return Counter(pattern.findall(text)) if text else Counter()


def _tf(counts: Counter[str], forms: tuple[str, ...]) -> int:
    """Occurrences of a word in any of its forms, inside longer forms found at the same place too."""
    return sum(n for g, n in counts.items() if any(f in g for f in forms))


def _present_in(counts: Counter[str], forms: tuple[str, ...]) -> set[str]:
    found = set(counts)
    # a shorter form inside a longer one found at the same place is present too
    return found | {f for f in forms if f not in found and any(f in g for g in found)}


def coverage(keys: Sequence[KeyWord], title: str, body: str) -> Coverage:
    """Which key words occur in the candidate (any synonym form counts), weighted."""
    return _coverage(tuple(keys), title, body)


@lru_cache(maxsize=256)
def _key_set(keys: tuple[KeyWord, ...]) -> tuple[tuple[str, ...], re.Pattern[str] | None, float, float]:
    """Per request, not per candidate: the forms, their pattern and the weight totals."""
    forms = tuple(sorted({f for k in keys for f in k.forms if f}, key=lambda f: (-len(f), f)))
    total = sum(k.weight for k in keys) or 1.0
    focus_total = sum(k.weight for k in keys if k.focus)
    return forms, _forms_pattern(forms) if forms else None, total, focus_total


class KeyMatcher:
    """``coverage`` prepared once per request: forms, their pattern, weight totals, the need's bigrams."""

    def __init__(self, keys: Sequence[KeyWord], bigrams: tuple[tuple[str, float], ...] = ()) -> None:
        self.keys = tuple(keys)
        self.forms, self.pattern, self.total, self.focus_total = _key_set(self.keys)
        self.bigrams = bigrams
        self.bigram_total = sum(w for _, w in bigrams) or 1.0

    def _bigram(self, nt: str, nb: str) -> float:
        if not self.bigrams:
            return 0.0
        counts = Counter(char_tokens(nt))
        counts.update(char_tokens(nb))
        norm = BIGRAM_K1 * (1 - TF_B + TF_B * sum(counts.values()) / BIGRAM_AVG)
        acc = 0.0
        for token, idf in self.bigrams:
            f = counts.get(token)
            if f:
                acc += idf * f * (BIGRAM_K1 + 1) / (f + norm)
        return acc / self.bigram_total

    def coverage(self, title: str, body: str) -> Coverage:
        nt, nb = _normalized(title), _normalized(body)
        if self.pattern is None:
            return Coverage((), 0.0, 0.0, 0.0, 0.0, self._bigram(nt, nb))
        tc, bc = _counts(self.pattern, nt), _counts(self.pattern, nb)
        t = _present_in(tc, self.forms)
        b = _present_in(bc, self.forms) | t
        cov = _tally(self.keys, t, b, self.total, self.focus_total)
        norm = TF_K1 * (1 - TF_B + TF_B * (len(nt) + len(nb)) / TF_AVG_CHARS)
        acc = 0.0
        for k in self.keys:
            if k.weight > 0 and b.intersection(k.forms):
                tf = _tf(bc, k.forms) + TF_TITLE * _tf(tc, k.forms)
                acc += k.weight * tf * (TF_K1 + 1) / (tf + norm) if tf else 0.0
        return Coverage(cov.found, cov.share, cov.focus_share, cov.title_share, acc / self.total,
                        self._bigram(nt, nb))


def _coverage(keys: tuple[KeyWord, ...], title: str, body: str) -> Coverage:
    return KeyMatcher(keys).coverage(title, body)


def _tally(keys: tuple[KeyWord, ...], t: set[str], b: set[str], total: float, focus_total: float) -> Coverage:
    got = got_focus = got_title = 0.0
    found: list[str] = []
    for k in keys:
        if not b.intersection(k.forms):
            continue
        in_title = next((f for f in k.forms if f in t), None)
        hit = in_title or next(f for f in k.forms if f in b)
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
