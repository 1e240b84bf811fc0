"""Speed: bulk indexing, need → top-20 matching, faceted search, backend overhead.

    python -m bench.match_speed [--n 10000] [--queries 200] [--data ../shared/data] [--es-url URL]

The corpus is the real one scaled up by recombination (see synth.py), so the
timings reflect realistic text lengths and vocabulary; quality figures come
from bench/match_quality only.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.match_quality.corpus import DEFAULT_DATA, load, need_doc
from bench.match_speed.synth import pool, synthesize
from matching import PatentQuery, SearchBackend, create_backend
from matching.querying import plan


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def timed(fn: Callable[[], object], items: list) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t)
    return out


def show(label: str, samples: list[float]) -> tuple[float, float]:
    p50, p95 = pct(samples, 50), pct(samples, 95)
    print(f"  {label:<42} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   (n={len(samples)})")
    return p50, p95


def search_requests(needs: list, segments: list[list[str]]) -> list[PatentQuery]:
    """Short keyword queries (first words of need titles) with rotating filters and sorts."""
    out = []
    for i, need in enumerate(needs):
        q = need.title[:6]
        seg = segments[i % len(segments)]
        out.append(PatentQuery(q=q, segments=seg[-1:] if i % 2 else (), grades=["A", "B"] if i % 3 == 0 else (),
                               sort=("relevance", "application_date_desc", "grade")[i % 3], page=1 + i % 3))
    return out


def run_backend(backend: SearchBackend, docs: list, needs: list, requests: list[PatentQuery]) -> dict[str, float]:
    t = time.perf_counter()
    backend.rebuild(docs, [])
    backend.refresh()
    took = time.perf_counter() - t
    print(f"  rebuild {len(docs)} docs: {took:.1f} s = {len(docs) / took:,.0f} docs/s (incl. Python analysis)")
    backend.match_patents(needs[0])  # warm caches
    m50, m95 = show("need -> top-20 patents", timed(lambda n: backend.match_patents(n, limit=20), needs))
    s50, s95 = show("faceted search (8 facets, filters, sorts)", timed(backend.search_patents, requests))
    return {"docs/s": len(docs) / took, "match_p95": m95, "search_p95": s95, "match_p50": m50, "search_p50": s50}


def es_ingest(backend, docs: list) -> None:
    """Elasticsearch's own bulk rate: documents analysed beforehand, then bulk-loaded."""
    from elasticsearch.helpers import parallel_bulk

    from matching import es_queries as esq

    t = time.perf_counter()
    sources = [backend._patent_source(d) for d in docs]
    analysed = time.perf_counter() - t
    index = f"{backend.patent_alias}-ingest"
    body = esq.patent_index_body()
    body["settings"]["refresh_interval"] = "-1"
    backend.client.indices.create(index=index, settings=body["settings"], mappings=body["mappings"])
    try:
        t = time.perf_counter()
        actions = ({"_index": index, "_id": s["id"], "_source": s} for s in sources)
        for ok, item in parallel_bulk(backend.client, actions, thread_count=2, chunk_size=1000):
            assert ok, item
        backend.client.indices.refresh(index=index)
        took = time.perf_counter() - t
    finally:
        backend.client.indices.delete(index=index)
    print(f"  Python analysis (one process): {len(docs) / analysed:,.0f} docs/s; ES bulk of analysed docs: "
          f"{len(docs) / took:,.0f} docs/s")


def es_overhead(backend, needs: list, requests: list[PatentQuery]) -> None:
    """Backend call vs the raw Elasticsearch request(s) it sends, same inputs."""
    from matching import es_queries as esq
    from matching.backend import FACET_SIZE, POOL, SEGMENT_POOL
    from matching.fields import PATENT_TEXT_FIELDS, need_match_terms

    client = backend.client
    index = backend.patent_alias

    def pair(ours: Callable[[], object], raw: Callable[[], object]) -> tuple[float, float]:
        t0 = time.perf_counter()
        raw()
        t1 = time.perf_counter()
        ours()
        return time.perf_counter() - t1, t1 - t0

    # Interleaved, so that background load (merges, GC) hits both sides alike.
    bodies = [esq.patent_search(plan(r, backend.analyzer), FACET_SIZE) for r in requests]  # built untimed
    searches = [pair(lambda r=r: backend.search_patents(r), lambda b=b: client.search(index=index, body=b))
                for r, b in zip(requests, bodies)]
    matches = []
    for n in needs:
        groups = need_match_terms(n, backend.analyzer).groups
        # Selective first-stage terms come from cached document frequencies (untimed here).
        first = backend._first_stage(index, PATENT_TEXT_FIELDS, groups)
        if n.segments:  # the backend sends both pools in one _msearch
            pools = [{"index": index}, esq.patent_candidates(groups, (), POOL, first),
                     {"index": index}, esq.patent_candidates(groups, n.segments, SEGMENT_POOL, first)]
            raw = lambda s=pools: client.msearch(searches=s)  # noqa: E731
        else:
            raw = lambda b=esq.patent_candidates(groups, (), POOL, first): client.search(index=index, body=b)  # noqa: E731
        matches.append(pair(lambda n=n: backend.match_patents(n, limit=20), raw))
    for label, samples in (("search", searches), ("match", matches)):
        o50, r50 = pct([o for o, _ in samples], 50), pct([r for _, r in samples], 50)
        print(f"  {label}: backend p50 {o50:.1f} ms vs raw ES request(s) p50 {r50:.1f} ms -> overhead {o50 / r50:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="number of patents (100000 for the full run)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--es-url", default=os.environ.get("ES_URL"))
    ap.add_argument("--skip-embedded", action="store_true")
    args = ap.parse_args()

    base = pool(args.data)
    docs = synthesize(base, args.n)
    _, raw_needs = load(args.data)
    needs = [need_doc(i, r) for i, r in enumerate(raw_needs[: args.queries])]
    for i, n in enumerate(needs):  # give half the needs a segment so the segment pool is exercised
        if i % 2:
            n.segments = docs[i * 37 % len(docs)].segments
    segs = [d.segments for d in docs[:500] if d.segments]
    requests = search_requests(needs, segs)
    print(f"{len(docs):,} synthetic patents from {len(base):,} real records; {len(needs)} needs; {os.cpu_count()} CPUs")

    if args.es_url:
        print("elasticsearch backend:")
        es = create_backend(args.es_url, "", index_prefix=f"benchs-{uuid.uuid4().hex[:6]}", request_timeout=120)
        try:
            run_backend(es, docs, needs, requests)
            es_overhead(es, needs, requests)
            es_ingest(es, docs)
        finally:
            es.drop()
            es.close()
    if not args.skip_embedded:
        print("embedded backend:")
        with tempfile.TemporaryDirectory() as tmp:
            emb = create_backend(None, str(Path(tmp) / "speed.sqlite3"))
            run_backend(emb, docs, needs, requests)
            emb.close()


if __name__ == "__main__":
    main()
