"""Ranking metrics with graded judgments (grade 0, 1, 2; unjudged counts as 0).

``grades`` maps the judged documents of one need to their grade. A document
is *relevant* when its grade is at least 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """Gain = grade; the ideal DCG orders every judged document of the need by grade. 0 when none is relevant."""
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    return dcg([grades.get(d, 0) for d in ranked[:k]]) / ideal if ideal else 0.0


def recall_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 20) -> float:
    """Share of the need's judged-relevant documents (grade >= 1) found in the top k."""
    relevant = {d for d, g in grades.items() if g >= 1}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr(ranked: Sequence[str], grades: Mapping[str, int], k: int = 20) -> float:
    """Reciprocal rank of the first relevant document (grade >= 1) within the top k."""
    return next((1 / (i + 1) for i, d in enumerate(ranked[:k]) if grades.get(d, 0) >= 1), 0.0)


def judged_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """Share of the top k that is judged (the rest counted as grade 0 above)."""
    top = ranked[:k]
    return sum(1 for d in top if d in grades) / len(top) if top else 1.0


def agreement(pairs: Sequence[tuple[int, int]]) -> dict[str, float]:
    """Exact agreement, agreement on relevant (>= 1) vs not, and linearly weighted Cohen's kappa."""
    n = len(pairs)
    if not n:
        return {"n": 0, "exact": 0.0, "binary": 0.0, "kappa_w": 0.0}
    exact = sum(a == b for a, b in pairs) / n
    binary = sum((a >= 1) == (b >= 1) for a, b in pairs) / n
    cats = (0, 1, 2)
    pa = {c: sum(a == c for a, _ in pairs) / n for c in cats}
    pb = {c: sum(b == c for _, b in pairs) / n for c in cats}
    w = {(i, j): 1 - abs(i - j) / 2 for i in cats for j in cats}
    po = sum(w[(a, b)] for a, b in pairs) / n
    pe = sum(w[(i, j)] * pa[i] * pb[j] for i in cats for j in cats)
    kappa = (po - pe) / (1 - pe) if pe < 1 else 1.0
    return {"n": n, "exact": exact, "binary": binary, "kappa_w": kappa}
