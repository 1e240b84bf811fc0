"""Match quality on graded relevance judgments: nDCG@10, recall@20, MRR, judged@10 per system.

    python -m bench.match_quality [--es-url URL] [--split dev|test|all] [--systems …] [--labels graded|lexical]
    python -m bench.match_quality repool [--systems bigram_bm25 lexical semantic] [--needs all|calibration|dev|test|rest]
    python -m bench.match_quality systems      # the registry

Labels: judgments.jsonl (need, doc, grade 0/1/2, reason, judge), judged by
reading both texts against RUBRIC.md, blind to rank and system; method in
README.md. ``--labels lexical`` reports the old lexical label set
(labels.jsonl: a hand-picked term in both texts, binary, achievements only)
as a secondary figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench.match_quality.judging import AGREEMENT, JUDGMENTS, read_jsonl
from bench.match_quality.metrics import agreement, judged_at, mrr, ndcg_at, recall_at
from bench.match_quality.select_needs import load_split
from bench.match_quality.systems import POOLING, SYSTEMS, Run

HERE = Path(__file__).parent
BASELINE = "bigram_bm25"


def graded_labels(split: str) -> dict[str, dict[str, int]]:
    """need -> {doc: grade} for every judged need of the split (with or without a relevant document)."""
    splits = {r["need"]: r["split"] for r in load_split()}
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for r in read_jsonl(JUDGMENTS):
        if r["need"] in splits and split in ("all", splits[r["need"]]):
            out[r["need"]][r["doc"]] = r["grade"]
    return dict(out)


def with_relevant(labels: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """The needs that have at least one judged relevant document (grade >= 1): the ones metrics average over."""
    return {n: g for n, g in labels.items() if any(v >= 1 for v in g.values())}


def lexical_labels() -> dict[str, dict[str, int]]:
    """The old lexical set: relevant = a listed achievement (grade 1), everything else 0."""
    from bench.match_quality.supply import supply

    by_source = {d.source_id: d.id for d in supply() if d.kind == "achievement"}
    return {r["need"]: {by_source[a]: 1 for a in r["relevant"]} for r in read_jsonl(HERE / "labels.jsonl")}


def evaluate(name: str, rank, labels: dict[str, dict[str, int]]) -> dict[str, float]:
    from bench.match_quality.supply import needs_by_id

    by_id = needs_by_id()
    nd, rc, rr, jd, took = [], [], [], [], []
    for nid, grades in labels.items():
        t = time.perf_counter()
        ranked = rank(by_id[nid])
        took.append(time.perf_counter() - t)
        nd.append(ndcg_at(ranked, grades, 10))
        rc.append(recall_at(ranked, grades, 20))
        rr.append(mrr(ranked, grades, 20))
        jd.append(judged_at(ranked, grades, 10))
    return {"ndcg@10": statistics.mean(nd), "recall@20": statistics.mean(rc), "mrr": statistics.mean(rr),
            "judged@10": statistics.mean(jd), "ms/query": 1000 * statistics.mean(took)}


def report_agreement() -> None:
    rows = read_jsonl(AGREEMENT)
    if not rows:
        print("agreement: no pair judged twice yet")
        return
    a = agreement([(r["grade_a"], r["grade_b"]) for r in rows])
    print(f"agreement on {a['n']} pairs judged twice by different judges: exact {a['exact']:.0%}, "
          f"relevant-or-not {a['binary']:.0%}, linearly weighted Cohen's kappa {a['kappa_w']:.2f}")


def cmd_eval(args: argparse.Namespace) -> int:
    if args.labels == "lexical":
        labels = lexical_labels()
        print(f"LEXICAL labels (secondary figure): {len(labels)} needs, {sum(len(v) for v in labels.values())} "
              "relevant pairs (a hand-picked term in both texts; binary; achievements only; no split)")
    else:
        judged = graded_labels(args.split)
        labels = with_relevant(judged)
        if not labels:
            print(f"no judged relevant pairs for split {args.split!r} yet (judgments.jsonl)")
            return 1
        pairs = sum(len(v) for v in judged.values())
        total = sum(1 for r in load_split() if args.split in ("all", r["split"]))
        grades = [g for v in judged.values() for g in v.values()]
        print(f"graded labels, split {args.split}: {len(judged)} of {total} needs judged, {pairs} judged pairs "
              f"(grade 2: {grades.count(2)}, 1: {grades.count(1)}, 0: {grades.count(0)}); metrics average over the "
              f"{len(labels)} needs with at least one relevant candidate ({len(judged) - len(labels)} have none)")
    names = args.systems or [s for s in ("bigram_bm25", "semantic", "embedded", "elasticsearch")
                             if s != "elasticsearch" or args.es_url]
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        print(f"unknown system(s): {', '.join(unknown)}; known: {', '.join(SYSTEMS)}")
        return 2
    run = Run(es_url=args.es_url)
    results: dict[str, dict[str, float]] = {}
    try:
        print(f"{'system':<16} {'nDCG@10':>8} {'recall@20':>10} {'MRR':>7} {'judged@10':>10} {'ms/query':>9}")
        for name in names:
            spec = SYSTEMS[name]
            if spec.needs_es and not args.es_url:
                print(f"{name:<16} skipped (no --es-url / ES_URL)")
                continue
            rank = spec.build(run)
            r = results[name] = evaluate(name, rank, labels)
            judged = "n/a" if args.labels == "lexical" else f"{r['judged@10']:.0%}"
            print(f"{name:<16} {r['ndcg@10']:>8.4f} {r['recall@20']:>10.4f} {r['mrr']:>7.4f} "
                  f"{judged:>10} {r['ms/query']:>9.1f}", flush=True)
    finally:
        run.close()
    if BASELINE in results and results[BASELINE]["ndcg@10"]:
        base = results[BASELINE]["ndcg@10"]
        for name, r in results.items():
            if name != BASELINE:
                print(f"{name}: nDCG@10 / {BASELINE} = {r['ndcg@10'] / base:.2f}x")
    if "embedded" in results and "elasticsearch" in results:
        e, s = results["embedded"]["ndcg@10"], results["elasticsearch"]["ndcg@10"]
        print(f"embedded vs elasticsearch nDCG@10 difference: {abs(e - s) / max(e, s, 1e-9):.1%}")
    if args.labels != "lexical" and min((r["judged@10"] for r in results.values()), default=1) < 1:
        print("note: judged@10 < 100% means unjudged candidates were counted as grade 0; run `repool`.")
    if args.labels != "lexical":
        report_agreement()
    return 0


def cmd_repool(args: argparse.Namespace) -> int:
    from bench.match_quality.pooling import chosen_needs, new_pairs, record_pools, run_pools, write_batches

    need_ids = chosen_needs(args.needs)
    run = Run(es_url=args.es_url)
    try:
        rankers = {n: SYSTEMS[n].build(run) for n in args.systems}
        pools = run_pools(rankers, need_ids)
    finally:
        run.close()
    record_pools(pools, f"{args.needs}:{'+'.join(args.systems)}")
    pairs = new_pairs(pools)
    names = write_batches(pairs, args.seed)
    print(f"{len(need_ids)} needs, systems {', '.join(args.systems)}: {len(pairs)} new pairs to judge"
          + (f" in {names[0]}…{names[-1]} ({len(names)} batches)" if names else ""))
    return 0


def cmd_systems(_args: argparse.Namespace) -> int:
    for s in SYSTEMS.values():
        print(f"{s.name:<16} {s.help}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m bench.match_quality", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--es-url", default=os.environ.get("ES_URL"))
    if argv[:1] == ["repool"]:
        ap.add_argument("cmd")
        ap.add_argument("--systems", nargs="+", default=list(POOLING), choices=sorted(SYSTEMS))
        ap.add_argument("--needs", default="all", help="all | calibration | rest | dev | test | need ids, comma-separated")
        ap.add_argument("--seed", type=int, default=11)
        return cmd_repool(ap.parse_args(argv))
    if argv[:1] == ["systems"]:
        return cmd_systems(None)
    ap.add_argument("--split", choices=("dev", "test", "all"), default="test")
    ap.add_argument("--systems", nargs="+")
    ap.add_argument("--labels", choices=("graded", "lexical"), default="graded")
    return cmd_eval(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
