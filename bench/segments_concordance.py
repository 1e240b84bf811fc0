"""Check the IPC → segment concordance against real patents whose IPC is true.

Reads ``cn_patents_with_abstract.jsonl`` and ``cn_patents_title_only.jsonl``
from the shared data folder (``--data``, default ``../shared/data`` next to the
repository), keeps the records whose ``ipc_source`` gives real IPC codes
(file grouping, the record's own 分类号, the dataset's true subclasses; not a
section letter alone, not a missing source), and prints:

- coverage: how many get at least one suggested segment, and from which basis
  (a row of the CNIPA 2021 table, or a subclass/class rule);
- the IPC subclasses seen that no entry covers, by frequency;
- the segments suggested, by frequency;
- a seeded random sample of titles with their IPC and suggested segments, to
  read and judge by eye (the figures above cannot say whether a segment fits).

    python -m bench.segments_concordance --data /work/shared/data --sample 40
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace.segments.concordance import ipc_key, load  # noqa: E402
from marketplace.segments.taxonomy import Taxonomy  # noqa: E402

FILES = ("cn_patents_with_abstract.jsonl", "cn_patents_title_only.jsonl")


def true_ipc(record: dict) -> list[str]:
    """The record's IPC codes when its source gives real ones, else []."""
    source = record.get("ipc_source") or ""
    if not source or "section letter" in source:
        return []
    return [code for code in record.get("ipc") or [] if len(ipc_key(code)) >= 4]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sample", type=int, default=40)
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()

    taxonomy = Taxonomy.load()
    _catalogue, concordance = load(taxonomy)
    rows: list[tuple[str, str, list[str], list]] = []
    skipped = 0
    for name in FILES:
        for line in (args.data / "patents" / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            codes = true_ipc(record)
            if not codes:
                skipped += 1
                continue
            rows.append((name, record["title"], codes, concordance.suggest(codes)))

    covered = [row for row in rows if row[3]]
    by_basis = Counter("sei2021" if any(s.basis == "sei2021" for s in row[3]) else "rule" for row in covered)
    print(f"records with true IPC: {len(rows):,} (skipped {skipped:,} without)")
    print(f"with >= 1 suggested segment: {len(covered):,} = {len(covered) / len(rows):.1%}")
    for basis in ("sei2021", "rule"):
        print(f"  from a CNIPA 2021 table row ({basis}):" if basis == "sei2021" else f"  from rules only ({basis}):",
              f"{by_basis[basis]:,} = {by_basis[basis] / len(rows):.1%}")
    for name in FILES:
        part = [row for row in rows if row[0] == name]
        if part:
            print(f"  {name}: {sum(1 for row in part if row[3]) / len(part):.1%} of {len(part):,}")

    other = [row for row in rows if not all(ipc_key(code).startswith("A01") for code in row[2])]
    print(f"  outside A01 (agriculture dominates the data): {sum(1 for row in other if row[3]) / len(other):.1%} "
          f"of {len(other):,}, from a table row {sum(1 for row in other if any(s.basis == 'sei2021' for s in row[3])) / len(other):.1%}")

    subclasses = Counter(ipc_key(code)[:4] for row in rows for code in row[2])
    uncovered = Counter({sub: n for sub, n in subclasses.items() if concordance.entry_for(sub) is None})
    print(f"IPC subclasses seen: {len(subclasses)}, covered by an entry: {len(subclasses) - len(uncovered)}")
    print("most frequent uncovered:", ", ".join(f"{sub} {n}" for sub, n in uncovered.most_common(15)))
    segments = Counter(s.segment for row in rows for s in row[3])
    print("segments suggested:", ", ".join(f"{taxonomy.label(code)} {n}" for code, n in segments.most_common(15)))

    print(f"\nsample of {args.sample} (seed {args.seed}):")
    for _file, title, codes, found in random.Random(args.seed).sample(rows, min(args.sample, len(rows))):
        labels = "、".join(taxonomy.label(s.segment) for s in found) or "—"
        print(f"  {title[:40]:<40} | {' '.join(codes[:3]):<28} | {labels}")


if __name__ == "__main__":
    main()
