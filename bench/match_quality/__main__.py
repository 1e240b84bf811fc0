"""Match quality: nDCG@10, recall@20, MRR of need → achievement matching.

    python -m bench.match_quality [--data ../shared/data] [--es-url http://127.0.0.1:9200]

Compares a naive baseline (Elasticsearch ``match`` on the title field with the
default standard analyzer, queried with the need's title; and a variant
queried with title + description), the embedded backend and the
Elasticsearch backend. Labels: labels.jsonl (see README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.match_quality.corpus import DEFAULT_DATA, achievement_doc, load, need_doc
from bench.match_quality.metrics import mrr, ndcg_at, recall_at
from matching import SearchBackend, create_backend

HERE = Path(__file__).parent


def evaluate(name: str, rank: Callable[[dict], list[str]], labelled: list[tuple[dict, set[str]]]) -> dict[str, float]:
    nd, rc, rr, took = [], [], [], []
    for need, relevant in labelled:
        t = time.perf_counter()
        ranked = rank(need)
        took.append(time.perf_counter() - t)
        nd.append(ndcg_at(ranked, relevant, 10))
        rc.append(recall_at(ranked, relevant, 20))
        rr.append(mrr(ranked, relevant))
    out = {"ndcg@10": statistics.mean(nd), "recall@20": statistics.mean(rc), "mrr": statistics.mean(rr),
           "ms/query": 1000 * statistics.mean(took)}
    print(f"{name:<34} nDCG@10 {out['ndcg@10']:.4f}  recall@20 {out['recall@20']:.4f}  MRR {out['mrr']:.4f}"
          f"  ({out['ms/query']:.1f} ms/query)")
    return out


def backend_ranker(backend: SearchBackend, ach_ids: list[str]) -> Callable[[dict], list[str]]:
    def rank(need: dict) -> list[str]:
        return [ach_ids[m.patent.id] for m in backend.match_patents(need["doc"], limit=20)]
    return rank


def baseline(es_url: str, prefix: str, achievements: list[dict]) -> tuple[Callable, Callable, Callable[[], None]]:
    from elasticsearch import Elasticsearch, helpers

    es = Elasticsearch(es_url, request_timeout=60)
    index = f"{prefix}-baseline"
    es.indices.create(index=index, settings={"number_of_shards": 1, "number_of_replicas": 0},
                      mappings={"properties": {"title": {"type": "text"}}})  # default: standard analyzer
    helpers.bulk(es, ({"_index": index, "_id": a["id"], "_source": {"title": a["name"]}} for a in achievements),
                 refresh=True)

    def by(text_of: Callable[[dict], str]) -> Callable[[dict], list[str]]:
        def rank(need: dict) -> list[str]:
            resp = es.search(index=index, query={"match": {"title": text_of(need)}}, size=20, _source=False)
            return [h["_id"] for h in resp["hits"]["hits"]]
        return rank

    return (by(lambda n: n["raw"]["name"]), by(lambda n: n["raw"]["name"] + " " + n["raw"]["context"][:1000]),
            lambda: es.indices.delete(index=index))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--es-url", default=os.environ.get("ES_URL"))
    args = ap.parse_args()

    achievements, needs = load(args.data)
    ach_ids = [a["id"] for a in achievements]
    docs = [achievement_doc(i, a) for i, a in enumerate(achievements)]
    by_id = {n["id"]: (i, n) for i, n in enumerate(needs)}
    labels = [json.loads(line) for line in (HERE / "labels.jsonl").read_text("utf-8").splitlines() if line]
    labelled = []
    for row in labels:
        i, raw = by_id[row["need"]]
        labelled.append(({"raw": raw, "doc": need_doc(i, raw)}, set(row["relevant"])))
    print(f"corpus: {len(docs)} achievements; {len(labelled)} labelled needs, "
          f"{sum(len(r) for _, r in labelled)} relevant pairs")

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        emb = create_backend(None, str(Path(tmp) / "quality.sqlite3"))
        emb.rebuild(docs, [])
        if args.es_url:
            prefix = f"benchq-{uuid.uuid4().hex[:6]}"
            base_title, base_text, cleanup = baseline(args.es_url, prefix, achievements)
            try:
                results["baseline"] = evaluate("baseline: title match (need title)", base_title, labelled)
                results["baseline_text"] = evaluate("baseline: title match (title+desc)", base_text, labelled)
                es = create_backend(args.es_url, "", index_prefix=prefix, request_timeout=60)
                es.rebuild(docs, [])
                try:
                    results["elasticsearch"] = evaluate("elasticsearch backend", backend_ranker(es, ach_ids), labelled)
                finally:
                    es.drop()
            finally:
                cleanup()
        else:
            print("ES_URL/--es-url not set: baseline and Elasticsearch backend skipped")
        results["embedded"] = evaluate("embedded backend", backend_ranker(emb, ach_ids), labelled)
        emb.close()

    if "baseline" in results:
        best = max(results["baseline"]["ndcg@10"], results["baseline_text"]["ndcg@10"])
        for name in ("embedded", "elasticsearch"):
            print(f"{name}: nDCG@10 / best baseline = {results[name]['ndcg@10'] / best:.2f}x (target >= 1.3x)")
        e, s = results["embedded"]["ndcg@10"], results["elasticsearch"]["ndcg@10"]
        print(f"embedded vs elasticsearch nDCG@10 difference: {abs(e - s) / max(e, s):.1%} (target <= 5%)")


if __name__ == "__main__":
    main()
