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
from typing import Any

import ahocorasick
import numpy as np

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


def _forms_automaton(forms: tuple[str, ...]) -> Any:  # ahocorasick.Automaton (untyped C extension)
    """An Aho-Corasick automaton over ``forms``: every occurrence of every form in one C pass over a text
    (a regex alternation of a need's ~35 forms took a millisecond to compile, per need and process)."""
    automaton = ahocorasick.Automaton()
    for form in forms:
        automaton.add_word(form, form)
    automaton.make_automaton()
    return automaton


@lru_cache(maxsize=16_384)
def _normalized(text: str) -> str:
    # Candidate texts recur across requests: normalise each once per process.
    return normalize(text)


def coverage(keys: Sequence[KeyWord], title: str, body: str) -> Coverage:
    """Which key words occur in the candidate (any synonym form counts), weighted."""
    return _coverage(tuple(keys), title, body)


@lru_cache(maxsize=256)
def _key_set(keys: tuple[KeyWord, ...]) -> tuple[tuple[str, ...], Any, float, float]:
    """Per request, not per candidate: the forms, their automaton and the weight totals."""
    forms = tuple(sorted({f for k in keys for f in k.forms if f}, key=lambda f: (-len(f), f)))
    total = sum(k.weight for k in keys) or 1.0
    focus_total = sum(k.weight for k in keys if k.focus)
    return forms, _forms_automaton(forms) if forms else None, total, focus_total


class KeyMatcher:
    """``coverage`` prepared once per request: forms, their automaton, weight totals, the need's bigrams.

    Everything that depends only on the need is computed here once, so that a candidate costs two
    automaton passes for the key words and its share of one vectorised pass for the bigrams
    (``coverage_many``): which forms each found form contains, which key words it counts for, and
    the need's character tokens as sorted integer codes.
    """

    def __init__(self, keys: Sequence[KeyWord], bigrams: tuple[tuple[str, float], ...] = ()) -> None:
        self.keys = tuple(keys)
        self.forms, self.automaton, self.total, self.focus_total = _key_set(self.keys)
        self.bigrams = bigrams
        self.bigram_total = sum(w for _, w in bigrams) or 1.0
        # A form found in a text makes present every form it contains (电池 inside 锂电池) and counts
        # once for every key word with a form inside it.
        known = set(self.forms)
        self._inside = {g: frozenset(g[a:b] for a in range(len(g)) for b in range(a + 1, len(g) + 1)
                                     if g[a:b] in known) for g in self.forms}
        keys_of: dict[str, list[int]] = {}
        everywhere = []  # a key word with an empty form counts wherever any form is found
        for i, k in enumerate(self.keys):
            if "" in k.forms:
                everywhere.append(i)
            for f in k.forms:
                keys_of.setdefault(f, []).append(i)
        self._counts_for = {g: tuple(sorted({i for f in inside for i in keys_of.get(f, ())} | set(everywhere)))
                            for g, inside in self._inside.items()}
        self._codes = _TokenCodes(bigrams)

    def coverage(self, title: str, body: str) -> Coverage:
        return self.coverage_many([(title, body)])[0]

    def coverage_many(self, texts: Sequence[tuple[str, str]]) -> list[Coverage]:
        """``coverage`` of each (title, body), the bigram evidence of all of them in one numpy pass."""
        norm = [(_normalized(t), _normalized(b)) for t, b in texts]
        bigram = self._codes.evidence(norm) if self.bigrams else [0.0] * len(norm)
        if self.automaton is None:
            return [Coverage((), 0.0, 0.0, 0.0, 0.0, g) for g in bigram]
        return [self._words(nt, nb, g) for (nt, nb), g in zip(norm, bigram)]

    def _occurrences(self, text: str) -> Counter[str]:
        """How often each form is the longest form starting at a position of ``text`` (a form inside a
        longer one found at the same start does not count again: 锂电池 is not also 锂电)."""
        longest: dict[int, str] = {}
        for end, form in self.automaton.iter(text):
            start = end - len(form) + 1
            if len(form) > len(longest.get(start, "")):
                longest[start] = form
        return Counter(longest.values())

    def _words(self, nt: str, nb: str, bigram: float) -> Coverage:
        tc = self._occurrences(nt) if nt else Counter()
        bc = self._occurrences(nb) if nb else Counter()
        t = self._present(tc)
        b = self._present(bc) | t
        tf: dict[int, float] = {}  # the key words present, by index, with their occurrences
        for counts, times in ((bc, 1.0), (tc, TF_TITLE)):
            for g, n in counts.items():
                for i in self._counts_for[g]:
                    tf[i] = tf.get(i, 0.0) + times * n
        got = got_focus = got_title = acc = 0.0
        found: list[str] = []
        norm = TF_K1 * (1 - TF_B + TF_B * (len(nt) + len(nb)) / TF_AVG_CHARS)
        for i in sorted(tf):
            k = self.keys[i]
            in_title = next((f for f in k.forms if f in t), None)
            got += k.weight
            if k.focus:
                got_focus += k.weight
            if in_title:
                got_title += k.weight
            if k.weight > 0:
                found.append(in_title or next(f for f in k.forms if f in b))
                acc += k.weight * tf[i] * (TF_K1 + 1) / (tf[i] + norm)
        total, focus_total = self.total, self.focus_total
        return Coverage(tuple(dict.fromkeys(found)), got / total,
                        got_focus / focus_total if focus_total > 0 else got / total, got_title / total,
                        acc / total, bigram)

    def _present(self, counts: Counter[str]) -> set[str]:
        out: set[str] = set()
        for g in counts:
            out |= self._inside[g]
        return out


def _coverage(keys: tuple[KeyWord, ...], title: str, body: str) -> Coverage:
    return KeyMatcher(keys).coverage(title, body)


# Character classes of the basic plane for ``char_tokens``: 1 = an ideograph it bigrams (the ranges of
# ``_RUN``), 2 = an ASCII letter or digit; 0 = anything else (the other planes too).
_CLASS = np.zeros(0x10000, np.uint8)
for _lo, _hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)):
    _CLASS[_lo:_hi + 1] = 1
_CLASS[0x30:0x3A] = _CLASS[0x61:0x7B] = 2
_ASCII_BOUNDED = "(?<![a-z0-9])(?:{})(?![a-z0-9])"


class _TokenCodes:
    """The need's ``char_tokens`` as integer codes, to count them in many candidate texts at once.

    A bigram ``ab`` is ``ord(a) << 16 | ord(b)`` (bigrammed ideographs are all of the basic plane), a
    lone ideograph its code point; ASCII words are counted by one regex. Only positions whose
    characters are all characters of the need's tokens are looked up (a 64 KiB table built per call,
    so that a cached matcher holds a few small arrays). Counts and lengths equal
    ``Counter(char_tokens(title) + char_tokens(body))``.
    """

    def __init__(self, tokens: tuple[tuple[str, float], ...]) -> None:
        han = [(i, t) for i, (t, _) in enumerate(tokens) if not t.isascii()]
        self.chars = np.array(sorted({ord(c) for _, t in han for c in t}), np.int64)
        codes = np.array([ord(t[0]) << 16 | ord(t[1]) if len(t) == 2 else ord(t) for _, t in han], np.int64)
        order = np.argsort(codes, kind="stable")
        self.codes = codes[order]
        self.columns = np.array([han[j][0] for j in order], np.int64)
        self.ascii = {t: i for i, (t, _) in enumerate(tokens) if t.isascii()}
        self.ascii_pattern = re.compile(_ASCII_BOUNDED.format("|".join(
            re.escape(t) for t in sorted(self.ascii, key=lambda t: (-len(t), t))))) if self.ascii else None
        self.idf = np.array([w for _, w in tokens], np.float64)
        self.total = float(sum(w for _, w in tokens)) or 1.0

    def evidence(self, texts: Sequence[tuple[str, str]]) -> list[float]:
        """Σ idf × BM25 saturation of the need's tokens / Σ idf, for each (normalised title, body)."""
        n, width = len(texts), len(self.idf)
        if not n:
            return []
        # One string, each text followed by a newline: no token spans two texts.
        parts = [p for pair in texts for p in pair]
        joined = "\n".join(parts) + "\n"
        sizes = np.fromiter((len(p) + 1 for p in parts), np.int64, len(parts))
        starts = (np.cumsum(sizes) - sizes)[::2]  # where each (title, body) begins
        cp = np.minimum(np.frombuffer(joined.encode("utf-32-le"), np.uint32), 0xFFFF).astype(np.int64)
        cls = _CLASS[cp]
        han, alnum = cls == 1, cls == 2
        pair = han[:-1] & han[1:]
        lone = han & ~np.concatenate(([False], pair)) & ~np.concatenate((pair, [False]))
        tokens = lone.astype(np.int64)  # tokens starting at each position
        tokens[:-1] += pair
        tokens += alnum & ~np.concatenate(([False], alnum[:-1]))
        length = np.add.reduceat(tokens, starts)
        member = np.zeros(0x10000, bool)
        member[self.chars] = True
        known = member[cp]
        pair_at = np.flatnonzero(pair & known[:-1] & known[1:])
        lone_at = np.flatnonzero(lone & known)
        codes = np.concatenate(((cp[pair_at] << 16) | cp[pair_at + 1], cp[lone_at]))
        if len(self.codes):
            pos = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
            hit = self.codes[pos] == codes
            where, col = np.concatenate((pair_at, lone_at))[hit], self.columns[pos[hit]]
        else:
            where = col = np.zeros(0, np.int64)
        if self.ascii_pattern is not None:
            found = [(m.start(), self.ascii[m.group()]) for m in self.ascii_pattern.finditer(joined)]
            where = np.concatenate((where, np.array([p for p, _ in found], np.int64)))
            col = np.concatenate((col, np.array([c for _, c in found], np.int64)))
        doc = np.searchsorted(starts, where, side="right") - 1
        f = np.bincount(doc * width + col, minlength=n * width).reshape(n, width).astype(np.float64)
        norm = BIGRAM_K1 * (1 - TF_B + TF_B * length / BIGRAM_AVG)
        acc = (self.idf * f * (BIGRAM_K1 + 1) / (f + norm[:, None])).sum(axis=1)
        return [float(x) for x in acc / self.total]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text or "") if len(s.strip()) >= 6]
