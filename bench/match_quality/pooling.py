"""Pools and blind batches: what judges read.

For every need, the union of the systems' top 10; pairs not judged yet and
not already waiting in a batch become new batches under
``$JUDGING_DIR/batches`` (blocks of ~20 needs, pairs shuffled within a block
across needs and systems, ~40 pairs per batch, no rank, score or system
shown). ``pools.jsonl`` (committed) keeps every system's top 10 per need and
round, so one can tell which system brought which pair.

    python -m bench.match_quality repool [--systems bigram_bm25 lexical semantic] [--needs all|calibration|dev|test]
    python -m bench.match_quality.pooling repeats [--count 60]   # agreement batches (once)
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from bench.match_quality.judging import JUDGMENTS, ROOT, Workspace, read_jsonl, write_jsonl
from bench.match_quality.select_needs import load_split
from bench.match_quality.supply import Doc, Need, needs_by_id, supply_by_id

HERE = Path(__file__).parent
POOLS = HERE / "pools.jsonl"
POOL_DEPTH = 10
BLOCK_NEEDS = 20
BATCH_PAIRS = 40
NEED_CHARS = 400
DOC_CHARS = 500
_SENTENCE_END = re.compile(r"[。！？；;!?]")


def trim(text: str, limit: int) -> str:
    """At most ~limit characters, cut after a sentence end when one is in the second half."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= limit // 2:
        return head[:ends[-1]] + " …"
    return head.rstrip("，,、 ") + "…"


def need_block(n: Need) -> str:
    body = "" if (not n.text or n.text in n.title) else n.text
    return f"**{n.title}**" + (f"\n\n{trim(body, max(80, NEED_CHARS - len(n.title)))}" if body else "")


def doc_block(d: Doc) -> str:
    return f"**{d.title}**" + (f"\n\n{trim(d.text, max(100, DOC_CHARS - len(d.title)))}" if d.text else "")


def pair_id(need: str, doc: str, salt: str = "") -> str:
    return hashlib.sha1(f"relevance|{need}|{doc}|{salt}".encode()).hexdigest()[:8]


def chosen_needs(which: str) -> list[str]:
    rows = load_split()
    if which == "calibration":
        rows = [r for r in rows if r["calibration"]]
    elif which in ("dev", "test"):
        rows = [r for r in rows if r["split"] == which]
    elif which == "rest":
        rows = [r for r in rows if not r["calibration"]]
    elif which != "all":
        ids = set(which.split(","))
        rows = [r for r in rows if r["need"] in ids]
    return [r["need"] for r in rows]


def run_pools(systems: dict[str, Callable[[Need], list[str]]], need_ids: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    by_id = needs_by_id()
    out: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for name, rank in systems.items():
        t = time.perf_counter()
        for nid in need_ids:
            out[nid][name] = rank(by_id[nid])[:POOL_DEPTH]
        print(f"  {name}: top {POOL_DEPTH} of {len(out)} needs in {time.perf_counter() - t:.0f} s")
    return out


def record_pools(pools: dict[str, dict[str, list[str]]], label: str) -> None:
    rows = read_jsonl(POOLS)
    rnd = max((r["round"] for r in rows), default=0) + 1
    for nid, per in pools.items():
        for system, top in per.items():
            rows.append({"round": rnd, "label": label, "need": nid, "system": system, "top10": top})
    write_jsonl(POOLS, rows)


def new_pairs(pools: dict[str, dict[str, list[str]]], root: Path = ROOT) -> list[tuple[str, str]]:
    """(need, doc) in any top 10, neither judged (judgments.jsonl) nor already in a batch."""
    judged = {(r["need"], r["doc"]) for r in read_jsonl(JUDGMENTS)}
    waiting = {(p["need"], p["doc"]) for p in read_jsonl(root / "pairs.jsonl") if not p.get("repeat_of")}
    out = []
    for nid, per in pools.items():
        for doc in dict.fromkeys(d for top in per.values() for d in top):
            if (nid, doc) not in judged and (nid, doc) not in waiting:
                out.append((nid, doc))
    return out


def write_batches(pairs: list[tuple[str, str]], seed: int, root: Path = ROOT,
                  repeat_of: dict[tuple[str, str], str] | None = None) -> list[str]:
    """Shuffle pairs in blocks of needs, cut into batches, write them and the manifest; returns batch names."""
    if not pairs:
        return []
    (root / "batches").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(exist_ok=True)
    (root / "claims").mkdir(exist_ok=True)
    rng = random.Random(seed)
    manifest = read_jsonl(root / "pairs.jsonl")
    taken = {p["pair"] for p in manifest}
    last = max((int(p["batch"].split("_")[1]) for p in manifest), default=0)
    by_need: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for p in pairs:
        by_need[p[0]].append(p)
    need_order = sorted(by_need, key=lambda n: int(n.split("-")[1]))
    rng.shuffle(need_order)
    blocks = [need_order[i:i + BLOCK_NEEDS] for i in range(0, len(need_order), BLOCK_NEEDS)]
    if len(blocks) > 1 and len(blocks[-1]) < BLOCK_NEEDS // 2:  # fold a small last block into the previous one
        blocks[-2].extend(blocks.pop())
    names = []
    for block in blocks:
        items = [p for n in block for p in by_need[n]]
        rng.shuffle(items)
        k = max(1, round(len(items) / BATCH_PAIRS))
        for j in range(k):
            part = items[j * len(items) // k:(j + 1) * len(items) // k]
            last += 1
            name = f"batch_{last:03d}"
            rows = []
            for nid, doc in part:
                salt = "repeat" if repeat_of else ""
                pid = pair_id(nid, doc, salt)
                while pid in taken:
                    salt += "+"
                    pid = pair_id(nid, doc, salt)
                taken.add(pid)
                row = {"pair": pid, "need": nid, "doc": doc, "batch": name}
                if repeat_of:
                    row["repeat_of"] = repeat_of[(nid, doc)]
                rows.append(row)
            _write_batch_file(root, name, rows)
            manifest.extend(rows)
            names.append(name)
    write_jsonl(root / "pairs.jsonl", manifest)
    return names


def _write_batch_file(root: Path, name: str, rows: list[dict]) -> None:
    needs, docs = needs_by_id(), supply_by_id()
    out = [f"# {name} — {len(rows)} pairs\n",
           "Grade every pair with `RUBRIC.md` (0, 1 or 2) and write one line per pair to "
           f"`{root / 'labels' / (name + '.jsonl')}`:\n",
           '`{"pair": "<pair id>", "grade": 0, "reason": "<one short sentence>"}`\n',
           "Read both texts completely. See `README.md` in this folder.\n"]
    for i, r in enumerate(rows, 1):
        out.append(f"\n---\n\n## {i}. pair `{r['pair']}`\n")
        out.append(f"### 需求 NEED\n\n{need_block(needs[r['need']])}\n")
        out.append(f"### 候选 CANDIDATE\n\n{doc_block(docs[r['doc']])}\n")
    (root / "batches" / f"{name}.md").write_text("\n".join(out), "utf-8")


def repeats(count: int, seed: int, root: Path = ROOT, batches_of: int = 20) -> list[str]:
    """Agreement batches: ~count pairs re-shown under new ids, judged by someone else.

    One batch repeats pairs of the calibration batches (judged by the relevance helper,
    spread over its grades); the others (half as large) each repeat pairs of one ordinary batch.
    """
    ws = Workspace(root)
    rng = random.Random(seed)
    primary = {pid: p for pid, p in ws.pairs.items() if not p.get("repeat_of")}
    if any(p.get("repeat_of") for p in ws.pairs.values()):
        raise SystemExit("agreement batches exist already")
    calib = set(chosen_needs("calibration"))
    judged = {(r["need"], r["doc"]): r for r in read_jsonl(JUDGMENTS)}
    cal_pairs = [p for p in primary.values() if p["need"] in calib and (p["need"], p["doc"]) in judged]
    by_grade: dict[int, list[dict]] = defaultdict(list)
    for p in sorted(cal_pairs, key=lambda p: p["pair"]):
        by_grade[judged[(p["need"], p["doc"])]["grade"]].append(p)
    picks: list[list[dict]] = []
    want = {2: batches_of // 3, 1: batches_of // 3}
    want[0] = batches_of - sum(want.values())
    first = []
    for g, k in want.items():
        rng.shuffle(by_grade[g])
        first.extend(by_grade[g][:k])
    picks.append(first)
    # the rest: small batches, each repeating pairs of ONE ordinary batch, so that any judge
    # other than that batch's judge can take it
    ordinary = sorted({p["batch"] for p in primary.values() if p["need"] not in calib})
    per = max(1, batches_of // 2)
    n_more = max(0, round((count - len(first)) / per))
    for b in rng.sample(ordinary, min(len(ordinary), n_more)):
        members = sorted((p for p in primary.values() if p["batch"] == b), key=lambda p: p["pair"])
        picks.append(rng.sample(members, min(len(members), per)))
    names = []
    for j, group in enumerate(picks):
        mapping = {(p["need"], p["doc"]): p["pair"] for p in group}
        names += _write_repeat_batch(root, group, mapping, rng)
    return names


def _write_repeat_batch(root: Path, group: list[dict], mapping: dict, rng: random.Random) -> list[str]:
    items = [(p["need"], p["doc"]) for p in group]
    rng.shuffle(items)
    manifest = read_jsonl(root / "pairs.jsonl")
    taken = {p["pair"] for p in manifest}
    last = max(int(p["batch"].split("_")[1]) for p in manifest) + 1
    name = f"batch_{last:03d}"
    rows = []
    for nid, doc in items:
        salt = "repeat"
        pid = pair_id(nid, doc, salt)
        while pid in taken:
            salt += "+"
            pid = pair_id(nid, doc, salt)
        taken.add(pid)
        rows.append({"pair": pid, "need": nid, "doc": doc, "batch": name, "repeat_of": mapping[(nid, doc)]})
    _write_batch_file(root, name, rows)
    write_jsonl(root / "pairs.jsonl", manifest + rows)
    return [name]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("repeats", help="write the agreement batches (once, after the calibration part is merged)")
    p.add_argument("--count", type=int, default=60)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--root", type=Path, default=ROOT)
    args = ap.parse_args()
    if args.cmd == "repeats":
        names = repeats(args.count, args.seed, args.root)
        ws = Workspace(args.root)
        print(f"agreement batches: {', '.join(f'{n} ({len(ws.batches[n])} pairs)' for n in names)}")


if __name__ == "__main__":
    main()
