"""Per-need evidence of the product's hybrid matcher, and the calibration fitted on it (DEV split only).

    python -m bench.match_quality.analyze dump --split dev --out /tmp/dev.pkl   # pools + evidence + grades
    python -m bench.match_quality.analyze fit --out /tmp/dev.pkl [--write]     # matching/data/calibration.json

For every need of the split: the candidate pool the embedded backend builds
(lexical + semantic retrieval), each candidate's evidence (static cosine,
key-word share / focus / title share, calibrated relevance, business
adjustment, lexical and semantic rank) and its judged grade. The reference
e5 cosine is added when its cache exists. Test needs are never dumped
unless asked (report-only).
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

from bench.match_quality.__main__ import graded_labels
from bench.match_quality.supply import needs_by_id
from bench.match_quality.systems import Run, _backend, need_doc


def dump(split: str, out: Path) -> None:
    from matching.backend import merge_pools
    from matching.evidence import retrieval_groups
    from matching.scoring import inferred_ipc_profile, explicit_ipc_profile, score_patent_for_need

    labels = graded_labels(split)
    run = Run()
    rows = []
    try:
        b = _backend("embedded", run)
        ids = [d.id for d in run.docs]
        by_id = needs_by_id()
        try:
            from bench.match_quality.semantic import doc_vectors, query_vectors
            eids, emat = doc_vectors()
            epos = {d: i for i, d in enumerate(eids)}
        except Exception:  # noqa: BLE001 - the reference cache is optional
            emat = None
        for nid, grades in labels.items():
            need = need_doc(by_id[nid])
            keys = b.need_keys(need)
            vec = b.need_vector(need)
            groups = retrieval_groups(keys) if keys else ()
            lex, sem = b._patent_retrieval(groups, vec, need.segments, "hybrid")
            pool = merge_pools(lex, sem)
            matcher = b.need_matcher(need)
            lr = {d.id: i for i, (d, _) in enumerate(lex)}
            ev = b._evidence(matcher, vec, [d for d, _ in pool])
            by_rel = sorted(pool, key=lambda r: -ev[r[0].id][0])
            profile = inferred_ipc_profile([(d, ev[d.id][0]) for d, _ in by_rel]) if not need.ipc_codes \
                else explicit_ipc_profile(need.ipc_codes)
            qv = query_vectors([nid])[0] if emat is not None else None
            sr = {d.id: i for i, (d, _) in enumerate(sem)}
            ls = {d.id: s for d, s in lex}
            cands = []
            for d, _ in pool:
                rel, cos, cov = ev[d.id]
                s = score_patent_for_need(need, d, rel, profile, not need.ipc_codes, b.weights)
                doc = ids[d.id]
                cands.append(dict(doc=doc, rel=rel, cos=cos, share=cov.share, focus=cov.focus_share,
                                  title=cov.title_share, adjust=s.score - rel, score=s.score,
                                  lex_rank=lr.get(d.id), sem_rank=sr.get(d.id), lex_score=ls.get(d.id),
                                  found=cov.found, e5=float(emat[epos[doc]] @ qv) if qv is not None else None,
                                  tf=cov.tf, bigram=cov.bigram, grade=grades.get(doc)))
            rows.append(dict(need=nid, title=need.title, keys=[(k.word, round(k.weight, 2), k.focus) for k in keys],
                             grades=grades, cands=cands))
    finally:
        run.close()
    out.write_bytes(pickle.dumps(rows))
    print(f"{len(rows)} needs dumped to {out}")


GRID = ((6, 10, 14, 20), (0, 2, 4), (0, 2, 4, 6), (0, 3, 5), (8, 16, 32), (0, 20, 40, 80))
FEATURES = ("cos", "share", "focus", "title", "tf", "bigram")
STEPS = (0.0, 0.25, 0.5, 0.75, 0.9, 1.1, 1.25, 1.5, 2.0, 3.0)


def _ndcg(rows: list[dict], w: tuple[float, ...]) -> float:
    import numpy as np

    from bench.match_quality.metrics import ndcg_at

    out = []
    for r in rows:
        if "_x" not in r:
            r["_x"] = np.array([[c[f] for f in FEATURES] for c in r["cands"]])
            r["_docs"] = np.array([c["doc"] for c in r["cands"]])
        top = np.lexsort((r["_docs"], -(r["_x"] @ np.asarray(w))))[:10]
        out.append(ndcg_at([str(r["_docs"][i]) for i in top], r["grades"], 10))
    return sum(out) / len(out)


def _direction(rows: list[dict]) -> tuple[float, tuple[float, ...]]:
    """Best coefficients' ratios on DEV nDCG@10 over the pools: a coarse grid, then coordinate ascent
    (each coefficient multiplied by STEPS in turn, kept when nDCG@10 rises) until nothing improves."""
    import itertools

    best = max((_ndcg(rows, w), w) for w in itertools.product(*GRID))
    improved = True
    while improved:
        improved = False
        for j, m in itertools.product(range(len(FEATURES)), STEPS):
            w = list(best[1])
            w[j] = w[j] * m if w[j] else m * 3
            v = _ndcg(rows, tuple(w))
            if v > best[0] + 1e-6:
                best, improved = (v, tuple(w)), True
    return best


def fit(path: Path, write: bool) -> None:
    """Direction of the relevance (coefficients' ratios) by ``_direction`` on DEV nDCG@10 over the pools;
    then its scale and bias by logistic regression on the judged DEV pairs (P(grade >= 1)), so the
    ranking is the tuned one and the 0-100 figure is a calibrated probability; thresholds as in
    ``bench.match_speed.calibrate``."""
    import json
    from datetime import date

    import numpy as np

    from bench.match_speed.calibrate import OUT, threshold
    from bench.match_speed.calibrate import fit as logistic
    from matching.calibration import Calibration

    rows = pickle.loads(path.read_bytes())
    scored = [r for r in rows if any(g >= 1 for g in r["grades"].values())]
    best = _direction(scored)
    print(f"direction {dict(zip(FEATURES, best[1]))}: dev nDCG@10 over the pools {best[0]:.4f}")
    pairs = [c for r in rows for c in r["cands"] if c["grade"] is not None]
    z = np.array([[sum(wi * c[f] for wi, f in zip(best[1], FEATURES))] for c in pairs])
    y = np.array([1.0 if c["grade"] >= 1 else 0.0 for c in pairs])
    a, b = logistic(z, y)
    coef = {f: float(b * wi) for f, wi in zip(FEATURES, best[1])}
    cal = Calibration(bias=float(a), **coef)
    rel = np.array([cal.relevance(*(c[f] for f in FEATURES)) for c in pairs])
    push, floor = threshold(rel, y, 0.6), threshold(rel, y, 0.3)
    cal = Calibration(**{**cal.to_dict(), "push": round(push, 1), "floor": round(min(floor, push), 1),
                         "fitted_on": f"dev split: ranking direction by dev nDCG@10 over {len(scored)} needs' pools; "
                                      f"scale on {len(pairs)} judged pairs of {len(rows)} needs, {int(y.sum())} "
                                      f"graded >= 1 ({date.today().isoformat()})"})
    print(json.dumps(cal.to_dict(), ensure_ascii=False, indent=1))
    above = rel >= cal.push
    print(f"dev pairs at or above push {cal.push}: {int(above.sum())}, precision "
          f"{y[above].mean() if above.any() else float('nan'):.3f}; above floor {cal.floor}: "
          f"{int((rel >= cal.floor).sum())}, precision {y[rel >= cal.floor].mean():.3f}")
    if write:
        OUT.write_text(json.dumps(cal.to_dict(), ensure_ascii=False, indent=1) + "\n", "utf-8")
        print(f"wrote {OUT}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=("dump", "fit"))
    ap.add_argument("--split", default="dev", choices=("dev",), help="tuning reads the dev split only")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("/tmp/match_quality_dev.pkl"))
    a = ap.parse_args(argv)
    if a.cmd == "dump":
        dump(a.split, a.out)
    else:
        fit(a.out, a.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
