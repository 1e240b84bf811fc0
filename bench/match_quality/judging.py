"""The judging workspace: hand out blind batches, check label files, merge them.

    python3 -m bench.match_quality.judging status
    python3 -m bench.match_quality.judging next --judge NAME     # claim (or resume) a batch
    python3 -m bench.match_quality.judging check batch_007       # validate one label file
    python3 -m bench.match_quality.judging merge                 # all valid label files -> judgments.jsonl
    python3 -m bench.match_quality.judging setup [--ready]       # copy README/RUBRIC into the workspace

The workspace (``$JUDGING_DIR``, default ``/work/judging``) holds
``pairs.jsonl`` (pair id -> need id, doc id, batch; never shown to judges),
``batches/batch_NNN.md`` (what a judge reads), ``claims/batch_NNN`` (who took
a batch) and ``labels/batch_NNN.jsonl`` (what a judge writes: one line per
pair, ``{"pair": "…", "grade": 0|1|2, "reason": "…"}``).

Some batches repeat pairs of other batches under new pair ids, to measure
agreement between judges; ``next`` gives such a batch only to a judge who did
not judge the originals, once they are judged. ``merge`` writes the primary
labels to ``judgments.jsonl`` and the repeated ones to ``agreement.jsonl``.
Standard library only, so any ``python3`` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).parent
ROOT = Path(os.environ.get("JUDGING_DIR", "/work/judging"))
JUDGMENTS = HERE / "judgments.jsonl"
AGREEMENT = HERE / "agreement.jsonl"
GRADES = (0, 1, 2)


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    os.replace(tmp, path)


class Workspace:
    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self.pairs = {p["pair"]: p for p in read_jsonl(root / "pairs.jsonl")}
        self.batches: dict[str, list[str]] = defaultdict(list)
        for p in self.pairs.values():
            self.batches[p["batch"]].append(p["pair"])

    def batch_names(self) -> list[str]:
        return sorted(self.batches)

    def label_path(self, batch: str) -> Path:
        return self.root / "labels" / f"{batch}.jsonl"

    def claim_path(self, batch: str) -> Path:
        return self.root / "claims" / batch

    def claimed_by(self, batch: str) -> str | None:
        p = self.claim_path(batch)
        return p.read_text("utf-8").split("\t")[0].strip() if p.exists() else None

    def sources(self, batch: str) -> set[str]:
        """Batches whose pairs this (repeat) batch repeats."""
        return {self.pairs[self.pairs[pid]["repeat_of"]]["batch"] for pid in self.batches[batch]
                if self.pairs[pid].get("repeat_of")}

    def check(self, batch: str) -> tuple[list[dict], list[str]]:
        """(labels, errors) of a batch's label file; labels carry need, doc and judge."""
        path = self.label_path(batch)
        if batch not in self.batches:
            return [], [f"{batch}: no such batch"]
        if not path.exists():
            return [], [f"{batch}: {path} does not exist"]
        errors, seen, out = [], set(), []
        claim = self.claimed_by(batch)
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{batch} line {n}: not JSON ({exc.msg})")
                continue
            if not isinstance(row, dict):
                errors.append(f"{batch} line {n}: not a JSON object")
                continue
            pid, grade, reason = row.get("pair"), row.get("grade"), row.get("reason")
            judge = row.get("judge") or claim
            if pid not in self.pairs or self.pairs[pid]["batch"] != batch:
                errors.append(f"{batch} line {n}: pair {pid!r} is not in this batch")
                continue
            if pid in seen:
                errors.append(f"{batch} line {n}: pair {pid} labelled twice")
                continue
            seen.add(pid)
            if type(grade) is not int or grade not in GRADES:
                errors.append(f"{batch} line {n}: grade must be 0, 1 or 2 (got {grade!r})")
            if not isinstance(reason, str) or not reason.strip():
                errors.append(f"{batch} line {n}: reason is missing")
            if not judge:
                errors.append(f"{batch} line {n}: no judge (claim the batch with `next --judge NAME`)")
            p = self.pairs[pid]
            out.append({"pair": pid, "need": p["need"], "doc": p["doc"], "grade": grade,
                        "reason": (reason or "").strip(), "judge": judge, "batch": batch,
                        "repeat_of": p.get("repeat_of")})
        missing = [pid for pid in self.batches[batch] if pid not in seen]
        if missing:
            errors.append(f"{batch}: {len(missing)} pair(s) not labelled: {', '.join(missing[:8])}"
                          + (" …" if len(missing) > 8 else ""))
        return out, errors

    def done(self, batch: str) -> bool:
        return self.label_path(batch).exists() and not self.check(batch)[1]

    def judges_of(self, batch: str) -> set[str]:
        labels, errors = self.check(batch)
        return {r["judge"] for r in labels} if not errors else set()


def cmd_status(ws: Workspace, _args: argparse.Namespace) -> int:
    names = ws.batch_names()
    done, claimed, invalid, free = [], [], [], []
    per_judge: Counter[str] = Counter()
    for b in names:
        if ws.label_path(b).exists():
            labels, errors = ws.check(b)
            if errors:
                invalid.append(b)
            else:
                done.append(b)
                per_judge.update(r["judge"] for r in labels)
        elif ws.claimed_by(b):
            claimed.append(b)
        else:
            free.append(b)
    pairs_done = sum(len(ws.batches[b]) for b in done)
    print(f"{len(names)} batches, {len(ws.pairs)} pairs in {ws.root}")
    print(f"  judged:   {len(done)} batches, {pairs_done} pairs"
          + (f" ({', '.join(f'{j}: {k}' for j, k in per_judge.most_common())})" if per_judge else ""))
    print(f"  claimed, not yet judged: {len(claimed)}"
          + (f" ({', '.join(f'{b} by {ws.claimed_by(b)}' for b in claimed)})" if claimed else ""))
    if invalid:
        print(f"  label file present but invalid: {', '.join(invalid)}  (run `check BATCH`)")
    print(f"  unclaimed: {len(free)}" + (f" ({', '.join(free)})" if free else ""))
    return 0


def cmd_next(ws: Workspace, args: argparse.Namespace) -> int:
    judge = args.judge.strip()
    if not judge or "\t" in judge:
        print("give a judge name: next --judge NAME", file=sys.stderr)
        return 2
    (ws.root / "claims").mkdir(exist_ok=True)
    for b in ws.batch_names():  # resume one's own unfinished batch first
        if ws.claimed_by(b) == judge and not ws.done(b):
            return _hand_out(ws, b, judge, resumed=True)
    for b in ws.batch_names():
        if ws.claimed_by(b) or ws.label_path(b).exists():
            continue
        sources = ws.sources(b)
        if sources:  # a repeat batch: originals judged, by someone else
            if not all(ws.done(s) for s in sources) or any(judge in ws.judges_of(s) for s in sources):
                continue
        try:
            fd = os.open(ws.claim_path(b), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{judge}\t{time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        return _hand_out(ws, b, judge, resumed=False)
    print("no batch left for you: everything is judged or claimed (run `status`)")
    return 1


def _hand_out(ws: Workspace, batch: str, judge: str, resumed: bool) -> int:
    print(f"{'resume' if resumed else 'claimed'} {batch} for {judge}: {len(ws.batches[batch])} pairs")
    print(f"  read:  {ws.root / 'batches' / (batch + '.md')}")
    print(f"  write: {ws.label_path(batch)}")
    print(f"  then:  python3 -m bench.match_quality.judging check {batch}")
    return 0


def cmd_check(ws: Workspace, args: argparse.Namespace) -> int:
    bad = 0
    for b in args.batches:
        b = Path(b).stem  # accept a path or a name
        labels, errors = ws.check(b)
        for e in errors:
            print(e)
        if errors:
            bad += 1
        else:
            grades = Counter(r["grade"] for r in labels)
            print(f"{b}: OK, {len(labels)} pairs (grade 2: {grades[2]}, 1: {grades[1]}, 0: {grades[0]})")
    return 1 if bad else 0


def cmd_merge(ws: Workspace, args: argparse.Namespace) -> int:
    out = Path(args.out)
    agree_out = Path(args.agreement)
    existing = {(r["need"], r["doc"]): r for r in read_jsonl(out)}
    primary: dict[tuple[str, str], dict] = {}
    repeats: list[dict] = []
    skipped = []
    for b in ws.batch_names():
        if not ws.label_path(b).exists():
            continue
        labels, errors = ws.check(b)
        if errors:
            skipped.append(b)
            for e in errors[:5]:
                print(e)
            continue
        for r in labels:
            if r["repeat_of"]:
                repeats.append(r)
            else:
                primary[(r["need"], r["doc"])] = {"need": r["need"], "doc": r["doc"], "grade": r["grade"],
                                                  "reason": r["reason"], "judge": r["judge"], "batch": r["batch"]}
    changed = sum(1 for k, r in primary.items() if k in existing and existing[k]["grade"] != r["grade"])
    merged = {**existing, **primary}
    rows = sorted(merged.values(), key=lambda r: (int(r["need"].split("-")[1]), r["doc"][0],
                                                  int(r["doc"].split(":")[1])))
    write_jsonl(out, rows)
    by_pair = {(r["need"], r["doc"]): r for r in rows}
    agree = []
    for r in repeats:
        first = by_pair.get((r["need"], r["doc"]))
        if first:
            agree.append({"need": r["need"], "doc": r["doc"], "grade_a": first["grade"], "judge_a": first["judge"],
                          "grade_b": r["grade"], "judge_b": r["judge"], "reason_b": r["reason"]})
    agree.sort(key=lambda r: (int(r["need"].split("-")[1]), r["doc"]))
    write_jsonl(agree_out, agree)
    print(f"{out}: {len(rows)} judged pairs ({len(primary)} from label files, {changed} grade(s) changed); "
          f"{agree_out}: {len(agree)} double-judged pairs"
          + (f"; skipped invalid: {', '.join(skipped)}" if skipped else ""))
    return 1 if skipped else 0


def cmd_setup(ws: Workspace, args: argparse.Namespace) -> int:
    """Copy the judge instructions and the rubric into the workspace; with --ready, write READY."""
    ws.root.mkdir(parents=True, exist_ok=True)
    for d in ("batches", "labels", "claims"):
        (ws.root / d).mkdir(exist_ok=True)
    (ws.root / "README.md").write_text((HERE / "JUDGING.md").read_text("utf-8"), "utf-8")
    (ws.root / "RUBRIC.md").write_text((HERE / "RUBRIC.md").read_text("utf-8"), "utf-8")
    print(f"wrote {ws.root / 'README.md'} and {ws.root / 'RUBRIC.md'}")
    if args.ready:
        repeats = sum(1 for b in ws.batch_names() if ws.sources(b))
        text = (f"batches: {len(ws.batches)}\npairs: {len(ws.pairs)}\n"
                f"agreement batches (repeats): {repeats}\n"
                f"judged so far: {sum(1 for b in ws.batch_names() if ws.done(b))} batches\n")
        (ws.root / "READY").write_text(text, "utf-8")
        print(text, end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=ROOT, help="judging workspace (default %(default)s)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("status", help="which batches are judged, claimed, free")
    p = sub.add_parser("next", help="claim the next free batch (or resume yours)")
    p.add_argument("--judge", required=True, help="your judge name")
    p = sub.add_parser("check", help="validate label files")
    p.add_argument("batches", nargs="+")
    p = sub.add_parser("setup", help="copy README.md (judge instructions) and RUBRIC.md into the workspace")
    p.add_argument("--ready", action="store_true", help="also write READY (numbers of batches and pairs)")
    p = sub.add_parser("merge", help="merge every valid label file into the committed labels")
    p.add_argument("--out", default=str(JUDGMENTS))
    p.add_argument("--agreement", default=str(AGREEMENT))
    args = ap.parse_args(argv)
    ws = Workspace(args.root)
    cmds = {"status": cmd_status, "next": cmd_next, "check": cmd_check, "merge": cmd_merge, "setup": cmd_setup}
    return cmds[args.cmd](ws, args)


if __name__ == "__main__":
    sys.exit(main())
