"""BM25F scoring in Python for the embedded backend's candidates."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from matching.fields import TermGroups

# Rows one group's top-k walk may match (Σ document frequency of the terms it walks): ~1.4 µs each in FTS5.
WALK_ROWS = 3000


def selective_groups(groups: TermGroups, df: dict[str, int], n_docs: int, keep_absent: bool = False) -> TermGroups:
    """Groups reduced to their selective terms for the top-k pass.

    FTS5 and Elasticsearch's ``combined_fields`` score every row an OR query
    matches, so a common bigram (in tens of thousands of documents) makes
    retrieval slow. Terms in more than 2 % of the documents rarely decide the
    top of the ranking, so they only take part in scoring the candidates, not
    in finding them; and a group walks its rarest terms only while their
    document frequencies add up to ``WALK_ROWS``, so the walk's cost does not
    grow with the corpus (the terms left out still score every candidate).
    ``keep_absent``: keep terms with no known frequency (a cached ``df`` may
    predate them; an absent term costs nothing to look up).
    """
    limit = max(200, n_docs // 50)
    out = []
    for terms, w in groups:
        present = sorted((t for t in terms if keep_absent or df.get(t)), key=lambda t: df.get(t, 0))
        selective: list[str] = []
        walked = 0
        for term in present:
            walked += df.get(term, 0)
            if df.get(term, 0) > limit or (selective and walked > WALK_ROWS):
                break
            selective.append(term)
        selective = selective or present[:4]
        if selective:
            out.append((tuple(selective), w))
    return tuple(out)


K1, B = 1.2, 0.75


def bm25f(rows: Iterable[tuple[Any, ...]], columns: Sequence[str], weights: dict[str, float], groups: TermGroups,
          df: dict[str, int], n_docs: int, avg_len: float) -> dict[int, float]:
    """Σ group weight × BM25F over ``rows`` of (rowid, *column token texts).

    Field weights multiply term frequencies and lengths; idf is Lucene's
    ``ln(1 + (N - df + 0.5) / (df + 0.5))`` — the formula of Elasticsearch's
    ``combined_fields``, so both backends rank candidates alike.
    """
    idf = {t: math.log(1 + (n_docs - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    query = idf.keys()
    out: dict[int, float] = {}
    for row in rows:
        tf: dict[str, float] = {}
        length = 0.0
        for col, text in zip(columns, row[1:]):
            tokens = text.split()
            w = weights[col]
            length += w * len(tokens)
            for term in query & set(tokens):  # the few query terms of the text, counted (not all its tokens)
                tf[term] = tf.get(term, 0.0) + w * tokens.count(term)
        norm = K1 * (1 - B + B * length / (avg_len or 1.0))
        out[row[0]] = sum(
            gw * sum(idf[t] * tf[t] * (K1 + 1) / (tf[t] + norm) for t in terms if tf.get(t))
            for terms, gw in groups
        )
    return out
