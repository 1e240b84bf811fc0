"""jieba's precise segmentation over a compact dictionary.

jieba keeps its dictionary as a ``dict`` of every word and every prefix of one (~500,000 strings, ~65 MiB in each
process that analyses text: the web process, every worker, every analysis process of a rebuild). Here the words
are a MARISA trie (a few MiB) with their log-probabilities in an array indexed by the trie's key ids; the words
starting at a position come from one prefix walk of the trie instead of a dictionary probe per length.

The segmentation is jieba's own: its ``cut`` splits blocks and runs the HMM on unknown stretches, and the route
is its maximum over the same candidates with the same floating-point sums, so words are identical (a test
compares both on real patent texts).
"""

from __future__ import annotations

import ctypes
import itertools
import sys
from array import array
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from math import log

import marisa_trie


@contextmanager
def _pkg_resources_unavailable() -> Iterator[None]:
    """jieba imports setuptools' ``pkg_resources`` (deprecated; ~10 MiB in each process, ~110 ms to import) only to open
    its own dictionary file, and opens the file directly when that import fails."""
    if "pkg_resources" in sys.modules:
        yield
        return
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # None in sys.modules: ImportError
    try:
        yield
    finally:
        del sys.modules["pkg_resources"]


with _pkg_resources_unavailable():
    import jieba

# Each (end, log-probability) candidate of a position in a ``get_DAG`` answer.
Edges = list[tuple[int, float]]


def _release_freed_heap() -> None:
    """Give the trie build's freed scratch memory back to the system: glibc keeps it otherwise (~20 MiB)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass  # not glibc


class _Frequencies:
    """The read-only part of jieba's ``FREQ`` dict that its ``cut`` uses: ``get`` of a word's frequency."""

    def __init__(self, trie: marisa_trie.Trie, counts: array[int]) -> None:
        self._trie = trie
        self._counts = counts

    def get(self, word: str, default: int | None = None) -> int | None:
        key_id = self._trie.get(word)
        return default if key_id is None else self._counts[key_id]


class CompactTokenizer(jieba.Tokenizer):  # type: ignore[misc]  # jieba is untyped
    """A ``jieba.Tokenizer`` for ``cut``/``lcut`` in precise mode, on jieba's dictionary plus ``extra_words``
    (each distinct one added with ``extra_frequency``, as ``add_word`` would). Not for ``add_word`` or the
    other modes."""

    def __init__(self, extra_words: Iterable[str] = (), extra_frequency: int = 0) -> None:
        super().__init__()
        extra = dict.fromkeys(extra_words, extra_frequency)
        # Two passes over the dictionary file rather than a dict of it: the trie is built from a stream of words,
        # and no 350,000 short-lived strings are left scattered through the heap (~15 MiB the process kept).
        self._trie = marisa_trie.Trie(word for word, count in itertools.chain(self._entries(), extra.items())
                                      if count)
        counts = array("q", bytes(8 * len(self._trie)))
        total = 0
        for word, count in itertools.chain(self._entries(), extra.items()):  # a later entry overrides, as in jieba
            key_id = self._trie.get(word)
            if key_id is not None:
                counts[key_id] = count
            total += count
        if 0 in counts:
            raise ValueError("a word listed again with frequency 0 is not supported")
        log_total = log(total)
        self._log_probability = array("d", (log(count) - log_total for count in counts))
        self._unknown = log(1) - log_total  # jieba's score of a single character that is no word
        self._longest = max(map(len, self._trie.iterkeys()), default=1)
        self.FREQ = _Frequencies(self._trie, counts)
        self.total = total
        self.initialized = True
        _release_freed_heap()

    def _entries(self) -> Iterator[tuple[str, int]]:
        """The dictionary file's (word, frequency) entries, parsed as jieba's ``gen_pfdict`` does."""
        with self.get_dict_file() as lines:
            for line in lines:
                entry = line.strip().decode("utf-8")
                if entry:
                    word, count = entry.split(" ")[:2]
                    yield word, int(count)

    def get_DAG(self, sentence: str) -> dict[int, Edges]:
        """For each position, the words starting there as (end, log-probability); a lone character if none."""
        trie, log_probability, longest = self._trie, self._log_probability, self._longest
        dag: dict[int, Edges] = {}
        for start in range(len(sentence)):
            edges = [(start + len(word) - 1, log_probability[key_id])
                     for word, key_id in trie.iter_prefixes_with_ids(sentence[start:start + longest])]
            dag[start] = edges or [(start, self._unknown)]
        return dag

    def calc(self, sentence: str, DAG: dict[int, Edges], route: dict[int, tuple[float, int]]) -> None:
        """jieba's best route backwards from the end, over ``get_DAG``'s scored candidates."""
        size = len(sentence)
        route[size] = (0, 0)
        for start in range(size - 1, -1, -1):
            route[start] = max((score + route[end + 1][0], end) for end, score in DAG[start])
