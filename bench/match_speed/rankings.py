"""Ranking-preservation check: the top 20 of a fixed sample before and after a speed change.

    # on the commit before the change (or any reference build):
    python -m bench.match_speed.rankings --n 20000 --record /tmp/before.json [--es-url URL]
    # on the changed code:
    python -m bench.match_speed.rankings --n 20000 --check /tmp/before.json [--es-url URL]

Records, per backend, over the benchmark's synthetic corpus (``corpus.py``):
need → top-20 patents (hybrid with the need's vector computed, hybrid with
its stored vector, lexical-only, semantic-only), patent → top-20 needs, and
patent searches (ids of page 1, total, mode, facets). ``--check`` compares
ids position by position; documents whose scores tie (to 1e-4) may swap,
including across the 20th place. Searches report totals separately, since
a capped count is allowed to differ beyond its threshold.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.match_quality.corpus import DEFAULT_DATA, load, need_doc
from bench.match_speed.corpus import corpus
from bench.match_speed.queries import one_word_requests, search_requests
from matching import SearchBackend, create_backend

K = 20
EXTRA = 5  # recorded past the 20th place, so that ties across it can be recognised


def _ranked(items: list[Any], attr: str) -> list[tuple[int, float]]:
    return [(getattr(m, attr).id, round(m.score, 4)) for m in items]


def record(backend: SearchBackend, n: int, data: Path, n_needs: int) -> dict[str, Any]:
    docs, needs, _ = corpus(n, backend.embedder, data, n_needs)
    _, raw = load(data)
    all_needs = [need_doc(i, r) for i, r in enumerate(raw)]
    for need in needs:  # the sample's segments, as matched
        all_needs[need.id] = need
    backend.rebuild(docs, all_needs)
    backend.refresh()
    out: dict[str, Any] = {"n": n, "backend": backend.name, "match": {}, "match_needs": {}, "search": {}}
    for need in needs:
        stored = backend.with_vector(need)
        out["match"][str(need.id)] = {
            "hybrid": _ranked(backend.match_patents(replace(need, vector=None), limit=K + EXTRA), "patent"),
            "hybrid_stored": _ranked(backend.match_patents(stored, limit=K + EXTRA), "patent"),
            "lexical": _ranked(backend.match_patents(stored, limit=K + EXTRA, mode="lexical"), "patent"),
            "semantic": _ranked(backend.match_patents(stored, limit=K + EXTRA, mode="semantic"), "patent"),
            "all": _ranked(backend.match_patents(stored, limit=K + EXTRA, floor=0), "patent"),
        }
    from datetime import date

    for patent in docs[: max(10, n_needs // 3)]:
        ranked = backend.match_needs(patent, limit=K + EXTRA, today=date(2024, 6, 1), floor=0)
        out["match_needs"][str(patent.id)] = _ranked(ranked, "need")
    segs = [d.segments for d in docs[:500] if d.segments]
    for i, query in enumerate(search_requests(needs, segs) + one_word_requests()):
        page = backend.search_patents(query)
        out["search"][str(i)] = {"q": query.q, "ids": [(h.patent.id, round(h.score, 4)) for h in page.hits],
                                 "total": page.total, "mode": page.mode,
                                 "facets": {f: [(v.value, v.count) for v in vs] for f, vs in page.facets.items()}}
    return out


def same_ranking(a: list[list[Any]], b: list[list[Any]], k: int = K) -> bool:
    """Equal top-k ids, where documents with equal scores may trade places (also across the k-th place)."""
    a, b = [tuple(x) for x in a], [tuple(x) for x in b]
    if [s for _, s in a[:k]] != [s for _, s in b[:k]]:
        return False
    for score in {s for _, s in a[:k]}:
        ids_a = {i for i, s in a[:k] if s == score}
        ids_b = {i for i, s in b[:k] if s == score}
        if ids_a != ids_b:  # a tie cut by the k-th place: the members must come from the same tie
            tie_a, tie_b = {i for i, s in a if s == score}, {i for i, s in b if s == score}
            if not (ids_a <= tie_b and ids_b <= tie_a):
                return False
    return True


def check(before: dict[str, Any], after: dict[str, Any]) -> int:
    bad = 0
    for section in ("match",):
        for need_id, modes in before[section].items():
            for mode, ranked in modes.items():
                if not same_ranking(ranked, after[section][need_id][mode]):
                    bad += 1
                    print(f"  DIFFERENT {section} need {need_id} {mode}:\n    before {ranked[:K]}\n"
                          f"    after  {after[section][need_id][mode][:K]}")
    for patent_id, ranked in before["match_needs"].items():
        if not same_ranking(ranked, after["match_needs"][patent_id]):
            bad += 1
            print(f"  DIFFERENT match_needs patent {patent_id}")
    totals = 0
    for i, page in before["search"].items():
        other = after["search"][i]
        if not same_ranking(page["ids"], other["ids"], len(page["ids"])) or page["mode"] != other["mode"]:
            bad += 1
            print(f"  DIFFERENT search {page['q']!r}: {page['ids'][:5]} vs {other['ids'][:5]}")
        if page["total"] != other["total"] or page["facets"] != other["facets"]:
            totals += 1
            print(f"  search {page['q']!r}: total {page['total']} → {other['total']}"
                  f"{'' if page['facets'] == other['facets'] else ', facet counts differ'}")
    n = sum(len(m) for m in before["match"].values()) + len(before["match_needs"]) + len(before["search"])
    print(f"{before['backend']}: {n - bad} of {n} rankings identical (ties aside); "
          f"{totals} searches with a different total or facet counts")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--needs", type=int, default=100)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--es-url")
    ap.add_argument("--skip-embedded", action="store_true")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", type=Path)
    mode.add_argument("--check", type=Path)
    args = ap.parse_args()
    backends: list[tuple[str, SearchBackend]] = []
    tmp = tempfile.TemporaryDirectory()
    if not args.skip_embedded:
        backends.append(("embedded", create_backend(None, str(Path(tmp.name) / "rank.sqlite3"))))
    if args.es_url:
        backends.append(("elasticsearch", create_backend(args.es_url, "", index_prefix=f"rankchk-{uuid.uuid4().hex[:6]}",
                                                         request_timeout=300)))
    results: dict[str, Any] = {}
    try:
        for name, backend in backends:
            results[name] = record(backend, args.n, args.data, args.needs)
    finally:
        for _, backend in backends:
            if backend.name == "elasticsearch":
                backend.drop()
            backend.close()
        tmp.cleanup()
    if args.record:
        args.record.write_text(json.dumps(results, ensure_ascii=False))
        print(f"recorded {', '.join(results)} to {args.record}")
        return 0
    before = json.loads(args.check.read_text())
    results = json.loads(json.dumps(results, ensure_ascii=False))  # as recorded: lists, not tuples
    bad = sum(check(before[name], results[name]) for name in results if name in before)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
