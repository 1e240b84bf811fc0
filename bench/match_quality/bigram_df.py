"""Build ``matching/data/bigram_df.txt``: document frequencies of character bigrams in a reference corpus.

    python -m bench.match_quality.bigram_df [--data ../shared/data]

The corpus is ``patents/cn_patents_with_abstract.jsonl`` (title + abstract)
minus the patents of the relevance benchmark's supply
(``patents/cn_eval_sample.jsonl``), so the statistics the matcher weighs
bigrams with were not counted on the documents it is measured on. Tokens
are ``matching.evidence.char_tokens`` of the normalised text; a token found
in one document only is left out (the matcher treats a missing token as
such). First line: ``docs<TAB>N``; then ``token<TAB>df``, most frequent first.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from bench.match_quality.corpus import DEFAULT_DATA, read_jsonl
from matching.evidence import BIGRAM_TABLE, char_tokens
from matching.normalize import normalize

OUT = Path(__file__).resolve().parents[2] / "matching" / BIGRAM_TABLE


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    a = ap.parse_args(argv)
    held_out = {r.get("app_no") or r["id"] for r in read_jsonl(a.data / "patents" / "cn_eval_sample.jsonl")}
    df: Counter[str] = Counter()
    docs = 0
    for r in read_jsonl(a.data / "patents" / "cn_patents_with_abstract.jsonl"):
        if (r.get("app_no") or r["id"]) in held_out:
            continue
        docs += 1
        df.update(set(char_tokens(normalize(f"{r.get('title') or ''}。{r.get('abstract') or ''}"))))
    rows = sorted(((t, f) for t, f in df.items() if f >= 2), key=lambda tf: (-tf[1], tf[0]))
    OUT.write_text(f"docs\t{docs}\n" + "".join(f"{t}\t{f}\n" for t, f in rows), "utf-8")
    print(f"{docs} documents ({len(held_out)} of the benchmark supply held out), {len(rows)} tokens → {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
