"""The baseline: plain character-bigram BM25 (k1=1.2, b=0.75) over title + abstract.

Deliberately simple and deterministic: lower-cased text, NFKC-normalised,
split into runs of CJK characters and runs of ASCII letters/digits; a CJK run
gives its overlapping character bigrams (a one-character run gives itself), an
ASCII run is one token. One field (title + "。" + description/abstract), no
stop words, no title boost. The query is the need's title + description,
each distinct query token counted once. Ties break on document order.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")
_ASCII = re.compile(r"[a-z0-9]")


def tokens(text: str) -> list[str]:
    out: list[str] = []
    for run in _RUN.findall(unicodedata.normalize("NFKC", text).lower()):
        if _ASCII.match(run) or len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


class BigramBM25:
    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = [Counter(tokens(t)) for t in texts]
        self.len = [sum(c.values()) for c in self.tf]
        self.avg = sum(self.len) / max(len(self.len), 1)
        df: Counter[str] = Counter()
        self.postings: dict[str, list[int]] = {}
        for i, c in enumerate(self.tf):
            for tok in c:
                df[tok] += 1
                self.postings.setdefault(tok, []).append(i)
        n = len(texts)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: str) -> dict[int, float]:
        acc: dict[int, float] = {}
        for tok in dict.fromkeys(tokens(query)):
            idf = self.idf.get(tok)
            if idf is None:
                continue
            for i in self.postings[tok]:
                f = self.tf[i][tok]
                norm = f * (self.k1 + 1) / (f + self.k1 * (1 - self.b + self.b * self.len[i] / self.avg))
                acc[i] = acc.get(i, 0.0) + idf * norm
        return acc

    def top(self, query: str, k: int) -> list[int]:
        s = self.scores(query)
        return sorted(s, key=lambda i: (-s[i], i))[:k]
