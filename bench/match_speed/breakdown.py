"""Where the time of one match or search goes: exclusive time per stage, from wrappers put around
the matcher's own functions for the duration of a measurement (nothing in ``matching/`` knows).

Each stage's time excludes the stages it calls (a stack of running stages), so the rows add up to
the measured total; what no stage covers is printed as "other" (Python glue, result objects).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any

import matching.backend as mb
from matching import SearchBackend
from matching.evidence import KeyMatcher, _TokenCodes


class Stages:
    """Exclusive seconds per stage label, accumulated over the calls made while installed."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack: list[list[float]] = []  # per running stage: [time spent in its children]

    def wrap(self, fn: Callable[..., Any], label: str) -> Callable[..., Any]:
        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append([0.0])
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.perf_counter() - start
                children = self._stack.pop()[0]
                self.seconds[label] += took - children
                if self._stack:
                    self._stack[-1][0] += took
        return timed


# (owner, attribute, stage): the backend's own methods are wrapped on the instance, module
# functions where ``matching.backend`` looks them up, shared helpers on their class.
def _targets(backend: SearchBackend) -> list[tuple[Any, str, str]]:
    on_backend = [
        ("need_keys", "query analysis (key words)"),
        ("need_matcher", "query analysis (key words)"),
        ("need_vector", "query embedding"),
        ("_first_stage", "lexical retrieval: term statistics"),
        ("_patent_pools", "lexical retrieval"),
        ("_patent_knn", "kNN retrieval"),
        ("_knn", "kNN retrieval"),
        ("_patent_retrieval", "retrieval (one msearch: lexical + kNN)" if backend.name == "elasticsearch"
         else "retrieval (glue)"),
        ("patent_vector", "evidence: candidate vectors"),
        ("_evidence", "evidence: calibration, cosine + glue"),
        ("_best_sentence", "explanation: best sentence"),
        ("_patent_page", "search: page + total + facets"),
        ("_similar", "search: similar (kNN)"),
    ]
    out: list[tuple[Any, str, str]] = [(backend, a, s) for a, s in on_backend if hasattr(backend, a)]
    out += [
        (mb, "merge_pools", "fusion (merge pools)"),
        (mb, "inferred_ipc_profile", "business factors"),
        (mb, "score_patent_for_need", "business factors"),
        (mb, "snippet", "explanation: highlights"),
        (mb, "_explain", "explanation: highlights"),
        (mb, "_patent_highlights", "explanation: highlights"),
        (mb, "plan", "query analysis (search plan)"),
        (mb, "_missing", "search: missing words"),
        (KeyMatcher, "_words", "evidence: key words in the text"),
        (_TokenCodes, "evidence", "evidence: character bigrams (numpy, all candidates)"),
    ]
    return out


@contextmanager
def installed(backend: SearchBackend) -> Iterator[Stages]:
    stages = Stages()
    undo: list[Callable[[], None]] = []
    for owner, attr, label in _targets(backend):
        if isinstance(owner, SearchBackend):  # a bound method, shadowed on the instance
            setattr(owner, attr, stages.wrap(getattr(owner, attr), label))
            undo.append(lambda o=owner, a=attr: delattr(o, a))
        else:
            original = vars(owner)[attr]
            setattr(owner, attr, stages.wrap(original, label))
            undo.append(lambda o=owner, a=attr, f=original: setattr(o, a, f))
    try:
        yield stages
    finally:
        for restore in reversed(undo):
            restore()


def report(label: str, backend: SearchBackend, fn: Callable[[Any], object], items: Sequence[Any]) -> None:
    """Runs ``fn`` over ``items`` with the stages installed; prints mean ms per call and share per stage."""
    with installed(backend) as stages:
        start = time.perf_counter()
        for item in items:
            fn(item)
        total = time.perf_counter() - start
    n = max(1, len(items))
    rows = sorted(stages.seconds.items(), key=lambda r: -r[1])
    rows.append(("other (glue, result objects)", total - sum(stages.seconds.values())))
    print(f"  breakdown of {label}: {total / n * 1000:.1f} ms per call over {len(items)} calls", flush=True)
    for stage, seconds in rows:
        print(f"    {stage:<52} {seconds / n * 1000:7.2f} ms  {100 * seconds / total:5.1f} %", flush=True)
