"""Speed of matching: embedding, rebuild with stored vectors, need → top-20, search, index memory.

    OPENBLAS_NUM_THREADS=1 nice -n 10 python -m bench.match_speed --n 100000 --data ../shared/data \
        [--es-url URL] [--skip-embedded] [--queries 200] [--embed-rate] [--breakdown] [--analyse-in-rebuild] \
        [--load-budget SECONDS] [--progress 50000] [--es-shards 2] [--index-prefix NAME [--keep-index | --reuse-index]] \
        [--growth-from 10000]

Vectors of the real base records are cached (``corpus.py``); ``--embed-rate``
also measures first-time embedding.

The corpus is SYNTHESISED from the real one (``synth.py``): each document's
title is a real record's, its abstract recombines sentences of two other
real records. Timing only, never quality. The documents are made as the
rebuild reads them (``synth.SyntheticPatents``), so 1,000,000 fit in memory.
Figures printed, each with its target:

* first-time embedding: documents/s of the static e5 table (jieba + table
  look-up) over the real base records, one process;
* analysis: each document's token fields, made once in worker processes
  before the rebuilds (the indexing job stores them with the row);
* rebuild with stored vectors and analyses: documents/s of ``backend.rebuild``
  when every document already carries its vector and its analysis (as the
  app's rebuild does; issue 12's targets ≥ 2,000 docs/s Elasticsearch,
  ≥ 1,500 embedded; ``--analyse-in-rebuild``: without stored analyses, as a
  first rebuild after an analysis change). Synthetic documents reuse the vector of their title's
  real record: the benchmark measures speed, not meaning. A progress line
  every ``--progress`` documents gives the read rate so far; ``--load-budget``
  stops reading at the first progress line past that many seconds (the
  rebuild then indexes what it read: the largest size that loads in the
  time there is), and the line after the rebuild splits reading + indexing
  from the final refresh and force merge;
* need → top-20: p50/p95 of ``match_patents`` including the need's own
  embedding (targets p95 ≤ 50 ms Elasticsearch at up to 100,000 patents,
  ≤ 100 ms beyond; ≤ 150 ms embedded);
* faceted search p50/p95 (for comparison with earlier runs);
* one-word searches (方法, 一种, …: hits a large part of the corpus) p50/p95
  (target p95 ≤ 150 ms embedded, ≤ 50 ms Elasticsearch);
* RSS of the process while 16 threads run mixed searches (the embedded
  connection pool bounds it);
* embedded index memory: the vector matrix, and the process's RSS growth
  when the index is first used; Elasticsearch: the patent index's size on disk;
* ``--growth-from N`` (embedded): how need → top-20 p95 grows from the
  first N documents to all of them (issue 12's target ≤ 2× from 10,000 to
  100,000); a second index of the first N is built and the needs alternate
  between the two, so both see the same load;
* ``--breakdown``: the mean time per stage of a hybrid match, a faceted and
  a one-word search (query analysis, query embedding, retrieval, fusion,
  evidence, business factors, explanation; ``breakdown.py``).

Elasticsearch indices are dropped at the end unless ``--keep-index``;
``--reuse-index`` measures the queries again on the kept indices of that
``--index-prefix`` without reloading them (pass the same ``--n``, ``--data``
and ``--queries``: the needs and requests are made the same way).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.match_quality.corpus import DEFAULT_DATA
from bench.match_speed.corpus import corpus
from bench.match_speed.queries import one_word_requests, search_requests
from bench.match_speed.synth import pool
from matching import NeedDoc, PatentDoc, PatentQuery, SearchBackend, create_backend
from matching.documents import Analysis
from matching.fields import analysis
from matching.parallel import map_chunks
from matching.text import Analyzer
from matching.semantic import pack, patent_text_for_vector


def pct(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def timed(fn: Callable[[Any], object], items: Sequence[Any]) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t)
    return out


def show(label: str, samples: list[float], target: float | None = None) -> float:
    p50, p95 = pct(samples, 50), pct(samples, 95)
    goal = f"   target p95 ≤ {target:.0f} ms: {'met' if p95 <= target else 'NOT met'}" if target else ""
    print(f"  {label:<44} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   (n={len(samples)}){goal}", flush=True)
    return p95


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def embed_base(backend: SearchBackend, base: list[PatentDoc]) -> dict[int, str]:
    """First-time vectors of the real base records; prints the rate."""
    e = backend.embedder
    e.embed("预热")  # load jieba
    t = time.perf_counter()
    out = {d.id: pack(e.embed(patent_text_for_vector(d.title, d.abstract, d.first_claim))) for d in base}
    took = time.perf_counter() - t
    print(f"first-time embedding (static e5 table, one process): {len(base):,} real records in {took:.1f} s "
          f"= {len(base) / took:,.0f} docs/s", flush=True)
    return out


def load_avg() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


class Reading:
    """The documents a rebuild reads: a progress line every ``every``, a stop after ``budget`` seconds."""

    def __init__(self, docs: Iterable[PatentDoc], every: int, budget: float | None = None) -> None:
        self.docs, self.every, self.budget = docs, every, budget
        self.count = 0
        self.started = self.ended = 0.0

    def __iter__(self) -> Iterator[PatentDoc]:
        self.started = time.perf_counter()
        for doc in self.docs:
            if self.count and self.count % self.every == 0:
                took = time.perf_counter() - self.started
                print(f"    read {self.count:,} docs in {took:.0f} s = {self.count / took:,.0f} docs/s "
                      f"(analysed and sent a few thousand behind); {load_avg()}", flush=True)
                if self.budget is not None and took >= self.budget:
                    print(f"    load budget of {self.budget:.0f} s reached: the rebuild indexes these "
                          f"{self.count:,} docs", flush=True)
                    break
            self.count += 1
            yield doc
        self.ended = time.perf_counter()


def _analyses(analyzer: Analyzer, docs: list[PatentDoc]) -> list[Analysis]:
    return [analysis(doc, analyzer) for doc in docs]


def stored_analyses(backend: SearchBackend, docs: Sequence[PatentDoc]) -> list[Analysis]:
    """Every document's analysis, made once before the rebuilds (as the indexing job stores it with the row)."""
    t = time.perf_counter()
    made = [a for chunk in map_chunks(_analyses, backend.analyzer, docs) for a in chunk]
    took = time.perf_counter() - t
    print(f"analysis of every document, once (the indexing job stores it with the row; worker processes): "
          f"{len(made):,} docs in {took:.1f} s = {len(made) / took:,.0f} docs/s; {load_avg()}", flush=True)
    return made


# Issue 12's targets: rebuild docs/s; need -> top-20 p95 on Elasticsearch at up to 100,000 and at 1,000,000
# patents (embedded: issue 10's); one-word search p95.
REBUILD_TARGET = {"elasticsearch": 2000, "embedded": 1500}
ONE_WORD_TARGET = {"elasticsearch": 50, "embedded": 150}


def match_target(backend: SearchBackend, n: int) -> float:
    if backend.name == "embedded":
        return 150
    return 50 if n <= 100_000 else 100


def rebuild(backend: SearchBackend, docs: Sequence[PatentDoc], every: int, budget: float | None,
            stored: list[Analysis] | None) -> int:
    """Rebuild from ``docs`` (as much as ``budget`` seconds of reading allows), print the rate; the count.
    ``stored``: the documents' analyses, re-sent as the app's rebuild does (None: analysed in the rebuild)."""
    reading = Reading(docs if stored is None else (replace(d, analysis=a) for d, a in zip(docs, stored)),
                      every, budget)
    t = time.perf_counter()
    backend.rebuild(reading, [])
    backend.refresh()
    done = time.perf_counter()
    took, n = done - t, reading.count
    target = REBUILD_TARGET[backend.name]
    print(f"  rebuild with stored vectors{' and analyses' if stored is not None else ''}: {n:,} docs in {took:.1f} s = {n / took:,.0f} docs/s "
          f"(target ≥ {target:,}: {'met' if n / took >= target else 'NOT met'}); reading, analysis and indexing "
          f"{reading.ended - t:.0f} s, then refresh, force merge and settings {done - reading.ended:.0f} s; "
          f"{load_avg()}", flush=True)
    return n


def run_backend(backend: SearchBackend, docs: Sequence[PatentDoc], needs: list[NeedDoc],
                requests: list[PatentQuery], breakdown: bool = False, *,
                every: int = 50_000, budget: float | None = None, reuse: bool = False,
                stored: list[Analysis] | None = None) -> None:
    before = rss_mb()
    if reuse:
        n = backend.client.count(index=backend.patent_alias)["count"]
        print(f"  reusing the kept indices: {n:,} patents indexed", flush=True)
    else:
        n = rebuild(backend, docs, every, budget, stored)
    warm = time.perf_counter()
    backend.match_patents(needs[0])  # first use: loads the vectors (embedded), warms caches
    # this process's first analysis and embedding too (the web process warms them at start: SearchBackend.warm)
    print(f"  first match in this process{'' if reuse else ', after the rebuild'}: "
          f"{(time.perf_counter() - warm) * 1000:.0f} ms", flush=True)
    if backend.name == "elasticsearch":
        # the live segments' sizes (the store's size still counts merged-away files until their reader closes)
        indices = backend.client.indices.segments(index=backend.patent_alias).body["indices"].values()
        size = sum(segment["size_in_bytes"] for index in indices for copies in index["shards"].values()
                   for copy in copies if copy["routing"]["primary"] for segment in copy["segments"].values())
        print(f"  elasticsearch patent index on disk: {size / 2**20:,.0f} MiB for {n:,} docs", flush=True)
    if backend.name == "embedded":
        vecs = getattr(backend, "_vectors", {})
        size = sum(getattr(v, "nbytes", 0) or (v.matrix.nbytes + v.ids.nbytes) for v in vecs.values())
        print(f"  embedded vector index in memory: {size / 2**20:.0f} MiB for {n:,} docs; "
              f"process RSS {before:.0f} → {rss_mb():.0f} MiB (rebuild + first match)", flush=True)
    show("need -> top-20 (hybrid, incl. need embedding)",
         timed(lambda n: backend.match_patents(replace(n, vector=None), limit=20), needs), match_target(backend, n))
    show("need -> top-20 (lexical only)", timed(lambda n: backend.match_patents(n, limit=20, mode="lexical"), needs))
    show("need -> top-20 (semantic only)", timed(lambda n: backend.match_patents(n, limit=20, mode="semantic"),
                                                 needs))
    show("faceted search (8 facets, filters, sorts)", timed(backend.search_patents, requests))
    show("one-word search (方法, 一种, ...; 3 pages/sorts)", timed(backend.search_patents, one_word_requests()),
         ONE_WORD_TARGET[backend.name])
    if breakdown:
        stages(backend, needs, requests)
    threaded_rss(backend, requests + one_word_requests())


def match_growth(small: SearchBackend, big: SearchBackend, n_small: int, n_big: int, needs: list[NeedDoc],
                 target: float = 2.0) -> None:
    """Need → top-20 p95 on ``small`` and ``big``, each need matched on one then the other (same load)."""
    for backend in (small, big):
        backend.match_patents(needs[0])
    samples: tuple[list[float], list[float]] = ([], [])
    for need in needs:
        for backend, out in zip((small, big), samples):
            t = time.perf_counter()
            backend.match_patents(replace(need, vector=None), limit=20)
            out.append(time.perf_counter() - t)
    p95_small, p95_big = pct(samples[0], 95), pct(samples[1], 95)
    growth = p95_big / p95_small
    print(f"  need -> top-20 p95 growth from {n_small:,} to {n_big:,} patents (the needs alternating): "
          f"{p95_small:.1f} → {p95_big:.1f} ms = {growth:.2f}× (target ≤ {target:.0f}×: "
          f"{'met' if growth <= target else 'NOT met'})", flush=True)


def stages(backend: SearchBackend, needs: list[NeedDoc], requests: list[PatentQuery]) -> None:
    """Where the time goes (``--breakdown``): the hybrid match, the faceted and the one-word searches."""
    from bench.match_speed import breakdown

    breakdown.report("need -> top-20 (hybrid)", backend,
                     lambda n: backend.match_patents(replace(n, vector=None), limit=20), needs)
    breakdown.report("faceted search", backend, backend.search_patents, requests)
    breakdown.report("one-word search", backend, backend.search_patents, one_word_requests())


def threaded_rss(backend: SearchBackend, requests: list[PatentQuery], threads: int = 16, rounds: int = 4) -> None:
    """Mixed searches from ``threads`` threads at once (a threaded web server); RSS after each round."""
    from concurrent.futures import ThreadPoolExecutor

    seen = [f"{rss_mb():.0f}"]
    with ThreadPoolExecutor(threads) as ex:
        for _ in range(rounds):
            list(ex.map(backend.search_patents, requests))
            seen.append(f"{rss_mb():.0f}")
    print(f"  RSS during {rounds * len(requests)} mixed searches from {threads} threads: "
          f"{' → '.join(seen)} MiB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="number of patents (100000 for the full run)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--es-url", default=os.environ.get("ES_URL"))
    ap.add_argument("--skip-embedded", action="store_true")
    ap.add_argument("--breakdown", action="store_true",
                    help="also print where the time of a match and of a search goes, stage by stage")
    ap.add_argument("--embed-rate", action="store_true",
                    help="also measure first-time embedding of the real records (a few minutes)")
    ap.add_argument("--progress", type=int, default=50_000, metavar="DOCS",
                    help="print the read rate every DOCS documents of a rebuild")
    ap.add_argument("--load-budget", type=float, metavar="SECONDS",
                    help="stop reading documents at the first progress line past SECONDS; the rebuild "
                         "indexes what was read (the largest size that loads in the time there is)")
    ap.add_argument("--analyse-in-rebuild", action="store_true",
                    help="give the rebuilds documents without stored analyses (the first rebuild after an "
                         "upgrade that changed the analysis); by default each document's analysis is made "
                         "once, untimed, and re-sent")
    ap.add_argument("--growth-from", type=int, metavar="N",
                    help="embedded: also index the first N documents and print how match p95 grows from N to --n")
    ap.add_argument("--index-prefix", help="Elasticsearch index prefix (default: a fresh random one)")
    ap.add_argument("--es-shards", type=int, default=int(os.environ.get("ES_SHARDS", "1")),
                    help="primary shards of the Elasticsearch indices (ES_SHARDS; default 1)")
    kept = ap.add_mutually_exclusive_group()
    kept.add_argument("--keep-index", action="store_true", help="leave the Elasticsearch indices at the end")
    kept.add_argument("--reuse-index", action="store_true",
                      help="query the kept indices of --index-prefix instead of rebuilding them")
    args = ap.parse_args()
    if args.reuse_index and not args.index_prefix:
        ap.error("--reuse-index needs the --index-prefix of the kept indices")

    print(f"{load_avg()}; {os.cpu_count()} CPUs", flush=True)
    probe = create_backend(None, str(Path(tempfile.gettempdir()) / f"probe-{uuid.uuid4().hex}.sqlite3"))
    if args.embed_rate:
        embed_base(probe, pool(args.data))
    docs, needs, base = corpus(args.n, probe.embedder, args.data, args.queries)
    segs = [d.segments for d in docs[:500] if d.segments]
    requests = search_requests(needs, segs)
    print(f"{len(docs):,} SYNTHETIC patents recombined from {len(base):,} real records; {len(needs)} real needs",
          flush=True)

    stored = None if args.reuse_index or args.analyse_in_rebuild else stored_analyses(probe, docs)
    if args.es_url:
        print(f"elasticsearch backend, {args.es_shards} primary shard(s):", flush=True)
        prefix = args.index_prefix or f"benchs-{uuid.uuid4().hex[:6]}"
        es = create_backend(args.es_url, "", index_prefix=prefix, request_timeout=300, shards=args.es_shards)
        try:
            run_backend(es, docs, needs, requests, args.breakdown,
                        every=args.progress, budget=args.load_budget, reuse=args.reuse_index, stored=stored)
        finally:
            if args.keep_index or args.reuse_index:
                print(f"  indices kept: prefix {prefix}", flush=True)
            else:
                es.drop()
            es.close()
    if not args.skip_embedded:
        print("embedded backend:", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            emb = create_backend(None, str(Path(tmp) / "speed.sqlite3"))
            run_backend(emb, docs, needs, requests, args.breakdown, every=args.progress, budget=args.load_budget,
                        stored=stored)
            if args.growth_from:
                small = create_backend(None, str(Path(tmp) / "small.sqlite3"))
                first = docs[:args.growth_from]
                small.rebuild(first if stored is None else [replace(d, analysis=a) for d, a in zip(first, stored)], [])
                match_growth(small, emb, len(first), len(docs), needs)
                small.close()
            emb.close()
    print(f"at the end: {load_avg()}", flush=True)


if __name__ == "__main__":
    main()
