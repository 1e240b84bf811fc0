"""Chinese + mixed-language analysis, done in Python for both backends.

Why in Python: the production Elasticsearch may be a bare server without
analysis plugins (no ik/smartcn, no cjk_bigram, no synonym filter), and the
embedded backend must tokenise identically anyway. Documents are therefore
sent pre-tokenised (whitespace-joined, lower-cased) to fields analysed by the
built-in ``whitespace`` analyzer, and to SQLite FTS5 with ``unicode61``.

Token stream of a text:
  * jieba words (precise mode, dictionary extended with synonym phrases),
    one-character words dropped — for short fields (titles, tags, keywords)
    and for queries;
  * character bigrams inside each run of consecutive content words, for
    recall when jieba segments a document and a query differently. Long
    fields (abstracts, claims, descriptions) get bigrams only, split at
    one-character stop words: pure-Python jieba runs at ~150 KB/s, which
    would cap bulk indexing near 250 documents/s, while bigrams already let
    every query word match (a unit matches via all of its bigrams);
  * ASCII words (``uav``, ``5g``) and IPC codes (``h01m``, ``h01m10``,
    ``h01m10d0525``);
  * the canonical token of every synonym group whose member occurs.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

from matching.normalize import normalize
from matching.synonyms import SynonymTable

if TYPE_CHECKING:
    from matching.segmenter import CompactTokenizer

# CJK ideographs, compatibility ideographs included; the unassigned code points of that block (FA6E–FA6F,
# FADA–FAFF) are no letters, so they never form a token.
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFA6D), (0xFA70, 0xFAD9))
_CJK = "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in _CJK_RANGES)
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_IPC = re.compile(r"(?<![a-z0-9])([a-h]\d{2}[a-z])(?:\s*(\d{1,4})(?:\s*\/\s*(\d{2,6}))?)?(?![0-9])")
_WORD_CHAR = re.compile(rf"[{_CJK}a-z0-9]")
_ASCII_WORD = re.compile(r"[a-z0-9]{2,}")
# Short label texts (tags, segment and owner names, IPC titles) recur across
# thousands of documents; their tokens are memoised up to this many texts.
LABEL_CACHE = 50_000
# The frequency the segmenter's dictionary gives each synonym phrase, so it is kept as one word.
SEGMENTER_WORD_FREQUENCY = 200000
# Runs of ideographs whose segmentation is memoised (a need's text is segmented several times per match).
CUT_CACHE = 8192
# What an index token depends on besides the synonyms and stop words (``Analyzer.fingerprint``).
_ANALYSIS_SOURCES = ("text.py", "fields.py", "ipc.py", "normalize.py", "segmenter.py", "synonyms.py",
                     "data/ipc_titles.tsv")


def ipc_tokens(code: str) -> list[str]:
    """Index tokens for one IPC code, from the subclass down to the subgroup."""
    m = _IPC.search(normalize(code))
    if not m:
        return []
    subclass, group, subgroup = m.groups()
    tokens = [subclass]
    if group:
        tokens.append(f"{subclass}{group}")
        if subgroup:
            tokens.append(f"{subclass}{group}d{subgroup}")
    return tokens


def has_word_chars(text: str) -> bool:
    """False for punctuation-only input (such a query matches nothing)."""
    return bool(_WORD_CHAR.search(normalize(text)))


@dataclass(frozen=True)
class QueryUnit:
    """One content word of a query and the index tokens that can stand for it.

    A document satisfies the unit if it has the word token, OR all of the
    word's bigrams, OR the synonym group's canonical token.
    """

    word: str
    bigrams: tuple[str, ...] = ()
    synonym: str | None = None
    # A single ideograph (锂, 煤): the index has no one-character tokens, so
    # the unit matches every token that starts with it (锂电, 锂离 …).
    prefix: bool = False

    def tokens(self) -> list[str]:
        out = [self.word, *self.bigrams]
        if self.synonym:
            out.append(self.synonym)
        return list(dict.fromkeys(out))


@dataclass(frozen=True)
class AnalyzedQuery:
    units: tuple[QueryUnit, ...]
    # Surface phrases to highlight (words, synonym members) — normalised text.
    phrases: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.units

    def terms(self) -> list[str]:
        """All distinct index tokens of the query, in order of appearance."""
        return list(dict.fromkeys(t for u in self.units for t in u.tokens()))


class Analyzer:
    """Tokeniser shared by indexing and querying. Thread-safe; jieba loads lazily once."""

    def __init__(self, synonyms: SynonymTable, stopwords: frozenset[str]) -> None:
        self.synonyms = synonyms
        self.stopwords = stopwords
        self._jieba: CompactTokenizer | None = None
        self._lock = threading.Lock()
        # Overlapping pairs of ideographs other than one-character stop words
        # (which end a bigram run): a lookahead match consumes nothing, so one
        # findall yields every bigram of a long field at C speed.
        singles = {ord(w) for w in stopwords if len(w) == 1 and _CJK_CHAR.match(w)}
        self._pair = re.compile(f"(?=([{_char_class(_CJK_RANGES, singles)}]{{2}}))")
        self._stop_pairs = frozenset(w for w in stopwords if len(w) == 2)
        self._labels = lru_cache(maxsize=LABEL_CACHE)(self._label_tokens)
        # A need's title is segmented for its key words and again (twice) for its vector.
        self._cut = lru_cache(maxsize=CUT_CACHE)(self._cut_run)

    def __reduce__(self) -> tuple[type[Analyzer], tuple[SynonymTable, frozenset[str]]]:
        # For worker processes: the segmenter, lock and caches are rebuilt there.
        return (type(self), (self.synonyms, self.stopwords))

    @classmethod
    def default(cls, extra_synonym_paths: Iterable[str | Path] = ()) -> Analyzer:
        text = resources.files("matching").joinpath("data/stopwords.txt").read_text("utf-8")
        stop = frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())
        return cls(SynonymTable.load(extra_synonym_paths), stop)

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever this analyzer could produce other tokens: its synonyms and stop words, the analysis
        code and data shipped in ``matching/``, jieba's version. A stored analysis is reused only under the same
        fingerprint (``fields.cached_text``), so no edit needs a version bumped by hand."""
        digest = hashlib.sha1(f"jieba {metadata.version('jieba')} {SEGMENTER_WORD_FREQUENCY}".encode())
        for name in _ANALYSIS_SOURCES:
            digest.update(resources.files("matching").joinpath(name).read_bytes())
        digest.update("\n".join(sorted(self.stopwords)).encode())
        digest.update("\n".join(f"{m}\t{c}" for m, c in sorted(self.synonyms.canonical.items())).encode())
        return digest.hexdigest()

    def segmenter_words(self) -> list[str]:
        """The synonym phrases taught to the segmenter: multi-character, without spaces, with an ideograph."""
        return [phrase for phrase in self.synonyms.phrases()
                if _CJK_CHAR.search(phrase) and " " not in phrase and len(phrase) > 1]

    def _segmenter(self) -> CompactTokenizer:
        if self._jieba is None:
            with self._lock:
                if self._jieba is None:
                    from matching.segmenter import CompactTokenizer  # jieba and its tables load on first use

                    self._jieba = CompactTokenizer(self.segmenter_words(), extra_frequency=SEGMENTER_WORD_FREQUENCY)
        return self._jieba

    def _cut_run(self, run: str) -> tuple[str, ...]:
        """jieba's words of one run of ideographs (memoised in ``_cut``)."""
        return tuple(self._segmenter().lcut(run, HMM=True))

    def _words(self, norm: str) -> list[list[str]]:
        """Chunks of consecutive content words.

        A stop word ends the current chunk and forms a chunk of its own, so
        bigrams never span it; ASCII words are single-word chunks.
        """
        chunks: list[list[str]] = []
        current: list[str] = []
        for run in _RUN.finditer(norm):
            piece = run.group(0)
            if piece.isascii():
                if len(piece) > 1:
                    chunks.append([piece])
                continue
            for word in self._cut(piece):
                if word in self.stopwords:
                    if current:
                        chunks.append(current)
                        current = []
                    chunks.append([word])
                else:
                    current.append(word)
            if current:
                chunks.append(current)
                current = []
        return chunks

    def tokens(self, text: str, segment: bool = True) -> list[str]:
        """Index tokens of a text (with repetitions, so term frequency counts).

        Stop words are indexed too (so a query made only of them can still
        match) but never bigrammed; queries leave them out otherwise.
        ``segment=False``: bigrams and ASCII words only (long fields).
        """
        if not text:
            return []
        norm = normalize(text)
        if not segment:
            return self._bigram_tokens(norm)
        out: list[str] = []
        for chunk in self._words(norm):
            if len(chunk) == 1 and (chunk[0].isascii() or chunk[0] in self.stopwords):
                if len(chunk[0]) > 1:
                    out.append(chunk[0])
                continue
            out.extend(w for w in chunk if len(w) > 1)
            out.extend(b for b in _bigrams("".join(chunk)) if b not in self.stopwords)
        out.extend(self.synonyms.canonical_tokens(norm))
        return out

    def _bigram_tokens(self, norm: str) -> list[str]:
        out = self._pair.findall(norm)
        if not self._stop_pairs.isdisjoint(out):
            out = [b for b in out if b not in self._stop_pairs]
        out += _ASCII_WORD.findall(norm)
        out += self.synonyms.canonical_tokens(norm)
        return out

    def _label_tokens(self, text: str, segment: bool) -> tuple[str, ...]:
        return tuple(self.tokens(text, segment))

    def label_text(self, *labels: str, segment: bool = True) -> str:
        """``index_text`` for short texts that recur across documents (memoised)."""
        return " ".join(t for label in labels for t in self._labels(label, segment))

    def index_text(self, *texts: str, segment: bool = True) -> str:
        """Whitespace-joined tokens, ready for the ``whitespace`` analyzer / FTS5."""
        return " ".join(t for text in texts for t in self.tokens(text, segment))

    def analyze_query(self, text: str) -> AnalyzedQuery:
        """Content words of a query as units (stop words only if nothing else is left)."""
        norm = normalize(text)
        chunks = self._words(norm)
        words = [w for c in chunks for w in c if len(w) > 1 and w not in self.stopwords]
        if not words:
            words = [w for c in chunks for w in c if len(w) > 1]
        units: dict[str, QueryUnit] = {}
        for word in words:
            if word not in units:
                bigrams = tuple(_bigrams(word)) if len(word) > 2 else ()
                units[word] = QueryUnit(word, bigrams, self.synonyms.canonical.get(word))
        if not units:  # only single characters: each matches the tokens it begins
            for c in chunks:
                for w in c:
                    if len(w) == 1 and _CJK_CHAR.match(w) and w not in units:
                        units[w] = QueryUnit(w, (), self.synonyms.canonical.get(w), prefix=True)
        phrases = list(units)
        for member in self.synonyms.canonical_members(norm):
            canonical = self.synonyms.canonical[member]
            phrases.append(member)
            if not member.isascii() and any(member in u.word and member != u.word for u in units.values()):
                continue  # 电池 inside 锂电池: part of a word, not a unit of its own
            if " " in member or "-" in member:
                # "lithium battery" stands for 锂电池 as a whole: its words are not units of their own.
                for part in _ASCII_WORD.findall(member):
                    units.pop(part, None)
            if not any(canonical in (u.synonym, u.word) for u in units.values()):
                units[member] = QueryUnit(canonical, (), canonical)
        # Highlight every member of the synonym groups the query touches.
        groups = {u.synonym for u in units.values() if u.synonym}
        phrases.extend(m for m, c in self.synonyms.canonical.items() if c in groups)
        return AnalyzedQuery(tuple(units.values()), tuple(dict.fromkeys(phrases)))


def _bigrams(run: str) -> list[str]:
    if run.isascii():
        return []
    return [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else []


def _char_class(ranges: tuple[tuple[int, int], ...], excluded: set[int]) -> str:
    """Regex class body for the code point ``ranges`` minus ``excluded``."""
    parts = []
    for lo, hi in ranges:
        start = lo
        for cp in sorted(c for c in excluded if lo <= c <= hi) + [hi + 1]:
            if cp > start:
                parts.append(f"\\u{start:04x}-\\u{cp - 1:04x}" if cp - 1 > start else f"\\u{start:04x}")
            start = cp + 1
    return "".join(parts)
