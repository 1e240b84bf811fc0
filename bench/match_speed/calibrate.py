"""Fit the relevance calibration (``matching/data/calibration.json``) on the relevance set's DEV split only.

    python -m bench.match_speed.calibrate --judgments bench/match_quality/judgments.jsonl \
        --split bench/match_quality/needs_split.jsonl --data ../shared/data [--write]

For every judged (need, candidate) pair of a dev need, the match evidence
is computed exactly as the engine computes it (``SearchBackend.need_keys``,
``evidence.coverage``, the static vectors' cosine); a logistic regression
then predicts "graded ≥ 1" from (cosine, key-word share, focus share,
title share). Relevance = 100 × that probability. Thresholds, on the same
dev pairs:

* push: the lowest score whose pairs at or above it have precision
  (graded ≥ 1) ≥ 0.6;
* floor: the lowest score whose pairs at or above it have precision ≥ 0.3
  (a list may show a weaker match, never one that is mostly noise).

Test-split needs are never read. ``--judgments`` may also be the judging
folder's ``pairs.jsonl`` + ``labels/`` (``--judging-dir``) before a merge.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from bench.match_quality.corpus import DEFAULT_DATA, read_jsonl
from matching import NeedDoc, create_backend
from matching.calibration import Calibration
from matching.evidence import coverage
from matching.semantic import need_text_for_vector, patent_text_for_vector

OUT = Path(__file__).resolve().parents[2] / "matching" / "data" / "calibration.json"


def judgments(path: Path | None, judging_dir: Path | None) -> list[dict]:
    if path is not None:
        return read_jsonl(path)
    assert judging_dir is not None
    pairs = {p["pair"]: p for p in read_jsonl(judging_dir / "pairs.jsonl")}
    out: dict[tuple[str, str], dict] = {}
    for f in sorted((judging_dir / "labels").glob("batch_*.jsonl")):
        for line in f.read_text("utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            p = pairs.get(row.get("pair"))
            if p and row.get("grade") in (0, 1, 2):
                out.setdefault((p["need"], p["doc"]), {"need": p["need"], "doc": p["doc"], "grade": row["grade"]})
    return list(out.values())


def texts(data: Path) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    docs: dict[str, tuple[str, str]] = {}
    for row, r in enumerate(read_jsonl(data / "techmarket" / "achievements.jsonl")):
        docs[f"a:{row}"] = (" ".join((r.get("name") or "").split()), " ".join((r.get("context") or "").split()))
    for row, r in enumerate(read_jsonl(data / "patents" / "cn_eval_sample.jsonl")):
        docs[f"p:{row}"] = (" ".join((r.get("title") or "").split()), " ".join((r.get("abstract") or "").split()))
    needs = {r["id"]: (" ".join((r.get("name") or "").split()), " ".join((r.get("context") or "").split()))
             for r in read_jsonl(data / "techmarket" / "needs.jsonl")}
    return docs, needs


def features(rows: list[dict], data: Path) -> tuple[np.ndarray, np.ndarray]:
    docs, needs = texts(data)
    backend = create_backend(None, str(Path(tempfile.mkdtemp()) / "calibrate.sqlite3"))
    e = backend.embedder
    x, y = [], []
    for r in rows:
        title, body = needs[r["need"]]
        need = NeedDoc(id=0, org_id=0, org_name="", title=title, description=body)
        keys = backend.need_keys(need)
        dt, db = docs[r["doc"]]
        cov = coverage(keys, dt, db)
        cos = float(e.embed(need_text_for_vector(title, body)) @ e.embed(patent_text_for_vector(dt, db)))
        x.append([cos, cov.share, cov.focus_share, cov.title_share])
        y.append(1.0 if r["grade"] >= 1 else 0.0)
    return np.array(x), np.array(y)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method (intercept first), lightly L2-regularised."""
    a = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(a.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(a @ w)))
        grad = a.T @ (p - y) + l2 * np.r_[0, w[1:]]
        hess = (a * (p * (1 - p))[:, None]).T @ a + l2 * np.diag(np.r_[0, np.ones(len(w) - 1)])
        w -= np.linalg.solve(hess, grad)
    return w


def threshold(scores: np.ndarray, y: np.ndarray, precision: float) -> float:
    """Lowest score s such that the pairs scoring ≥ s have at least ``precision`` relevant."""
    order = np.argsort(-scores)
    hits = np.cumsum(y[order])
    prec = hits / np.arange(1, len(y) + 1)
    ok = np.where(prec >= precision)[0]
    return float(scores[order][ok.max()]) if len(ok) else 100.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--judgments", type=Path)
    ap.add_argument("--judging-dir", type=Path)
    ap.add_argument("--split", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()

    dev = {r["need"] for r in read_jsonl(args.split) if r["split"] == "dev"}
    rows = [r for r in judgments(args.judgments, args.judging_dir) if r["need"] in dev]
    x, y = features(rows, args.data)
    w = fit(x, y)
    cal = Calibration(bias=float(w[0]), cos=float(w[1]), share=float(w[2]), focus=float(w[3]), title=float(w[4]))
    rel = np.array([cal.relevance(*f) for f in x])
    push, floor = threshold(rel, y, 0.6), threshold(rel, y, 0.3)
    cal = Calibration(**{**cal.to_dict(), "push": round(push, 1), "floor": round(min(floor, push), 1),
                         "fitted_on": f"dev split: {len(rows)} judged pairs of {len({r['need'] for r in rows})} "
                                      f"needs, {int(y.sum())} graded ≥ 1 ({date.today().isoformat()})"})
    above = rel >= cal.push
    print(json.dumps(cal.to_dict(), ensure_ascii=False, indent=1))
    print(f"dev pairs at or above push {cal.push}: {int(above.sum())}, precision "
          f"{y[above].mean() if above.any() else float('nan'):.3f}; above floor {cal.floor}: "
          f"{int((rel >= cal.floor).sum())}, precision {y[rel >= cal.floor].mean():.3f}")
    if args.write:
        OUT.write_text(json.dumps(cal.to_dict(), ensure_ascii=False, indent=1) + "\n", "utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
