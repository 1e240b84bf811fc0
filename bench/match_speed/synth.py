"""Scale the real corpus up to N documents by recombination (for speed only).

Document i takes its title from one real record and its abstract from the
sentences of two other real records of the pool (achievements +
patents with abstracts), plus the segments/IPC of the title's record. The
text is therefore real Chinese technical language with a realistic
vocabulary and length distribution, but the combinations are synthetic:
use these documents for timing, never for quality figures.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bench.match_quality.corpus import achievement_doc, load, read_jsonl
from matching import PatentDoc

_SENT = re.compile(r"[^。；;！!？?]+[。；;！!？?]?")
_GRADES = ("A", "B", "C", "D", None)


def pool(data_dir: Path) -> list[PatentDoc]:
    achievements, _ = load(data_dir)
    docs = [achievement_doc(i, a) for i, a in enumerate(achievements)]
    for r in read_jsonl(data_dir / "patents" / "cn_patents_with_abstract.jsonl"):
        if r.get("abstract"):
            codes = [c for c in (r.get("ipc") or []) if len(c) > 3]
            docs.append(PatentDoc(id=len(docs), application_number=r.get("app_no") or r["id"], title=r["title"],
                                  abstract=r["abstract"], ipc_codes=codes, ipc_main=r.get("ipc_main")))
    return docs


def synthesize(base: list[PatentDoc], n: int) -> list[PatentDoc]:
    sentences = [[s for s in _SENT.findall(d.abstract) if s.strip()] or [d.abstract] for d in base]
    m = len(base)
    out = []
    for i in range(n):
        head = base[i % m]
        a, b = sentences[(i * 7919 + 13) % m], sentences[(i * 104729 + 7) % m]
        abstract = "".join(a[: max(1, len(a) // 2 + 1)] + b[len(b) // 2:])[:600]
        out.append(PatentDoc(
            id=i + 1, application_number=f"SYN{i:07d}", title=head.title, abstract=abstract,
            ipc_codes=head.ipc_codes, ipc_main=head.ipc_main, owner_id=1 + i % 400, owner_name=f"高校{i % 400}",
            patent_type="invention" if i % 5 else "utility_model", legal_status="granted" if i % 9 else "pending",
            grade=_GRADES[i % 5], segments=head.segments, segment_names=head.segment_names, modes=head.modes,
            maturity=head.maturity, open_license=i % 4 == 0, application_date=date(2005 + i % 19, 1 + i % 12, 1 + i % 28),
        ))
    return out
