"""Write labels.jsonl: for each evaluated need, the achievements relevant to it.

Rule (see README.md): need N and achievement A are relevant when
  1. A's 国民经济行业 门类 (classification before "——") occurs in N's classification, and
  2. some topic term T from terms.txt occurs in N's title, and in A's title or
     at least twice in A's description.
Needs with 1..150 relevant achievements are kept; at most --max needs (seeded sample).
Usage: python -m bench.match_quality.build_labels [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from bench.match_quality.corpus import DEFAULT_DATA, load

HERE = Path(__file__).parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--max", type=int, default=300)
    args = ap.parse_args()
    terms = [t.strip() for t in (HERE / "terms.txt").read_text("utf-8").splitlines() if t.strip() and not t.startswith("#")]
    achievements, needs = load(args.data)
    rows = []
    for need in needs:
        n_terms = [t for t in terms if t.lower() in need["name"].lower()]
        if not n_terms or not need.get("classification"):
            continue
        relevant, why = [], {}
        for a in achievements:
            men = (a.get("classification") or "").split("——")[0]
            if not men or men not in need["classification"]:
                continue
            hit = [t for t in n_terms if t.lower() in a["name"].lower() or a["context"].lower().count(t.lower()) >= 2]
            if hit:
                relevant.append(a["id"])
                why[a["id"]] = hit
        if 1 <= len(relevant) <= 150:
            rows.append({"need": need["id"], "terms": n_terms, "relevant": relevant})
    random.Random(42).shuffle(rows)
    rows = sorted(rows[: args.max], key=lambda r: int(r["need"].split("-")[1]))
    with (HERE / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} needs labelled, {sum(len(r['relevant']) for r in rows)} relevant pairs")


if __name__ == "__main__":
    main()
