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
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import overload

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


class SyntheticPatents(Sequence[PatentDoc]):
    """The ``n`` synthetic patents, each made when it is read (a list of 1,000,000 would hold gigabytes).

    Document i (id i + 1) is always the same; iterating twice makes the
    documents twice. ``vectors`` (one packed vector per base record, in
    ``base``'s order) gives each document its title record's vector.
    """

    def __init__(self, base: list[PatentDoc], n: int, vectors: list[str] | None = None,
                 vector_model: str | None = None) -> None:
        self.base, self.n = base, n
        self.vectors, self.vector_model = vectors, vector_model
        self._sentences = [[s for s in _SENT.findall(d.abstract) if s.strip()] or [d.abstract] for d in base]

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> PatentDoc: ...

    @overload
    def __getitem__(self, i: slice) -> list[PatentDoc]: ...

    def __getitem__(self, i: int | slice) -> PatentDoc | list[PatentDoc]:
        if isinstance(i, slice):
            return [self.doc(j) for j in range(*i.indices(self.n))]
        j = i + self.n if i < 0 else i
        if not 0 <= j < self.n:
            raise IndexError(i)
        return self.doc(j)

    def __iter__(self) -> Iterator[PatentDoc]:
        return map(self.doc, range(self.n))

    def doc(self, i: int) -> PatentDoc:
        m = len(self.base)
        head = self.base[i % m]
        a, b = self._sentences[(i * 7919 + 13) % m], self._sentences[(i * 104729 + 7) % m]
        abstract = "".join(a[: max(1, len(a) // 2 + 1)] + b[len(b) // 2:])[:600]
        return PatentDoc(
            id=i + 1, application_number=f"SYN{i:07d}", title=head.title, abstract=abstract,
            ipc_codes=head.ipc_codes, ipc_main=head.ipc_main, owner_id=1 + i % 400, owner_name=f"高校{i % 400}",
            patent_type="invention" if i % 5 else "utility_model", legal_status="granted" if i % 9 else "pending",
            grade=_GRADES[i % 5], segments=head.segments, segment_names=head.segment_names, modes=head.modes,
            maturity=head.maturity, open_license=i % 4 == 0, application_date=date(2005 + i % 19, 1 + i % 12, 1 + i % 28),
            vector=self.vectors[i % m] if self.vectors else None,
            vector_model=self.vector_model if self.vectors else None,
        )
