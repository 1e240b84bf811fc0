"""The SearchBackend interface and the backend-independent parts of it.

A backend implements storage primitives (index, delete, rebuild) and four
retrieval primitives; searching and matching are implemented here once, on
top of them, so both backends validate, score, explain and highlight the
same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar

from matching.documents import Analysis, NeedDoc, PatentDoc
from matching import calibration as _calibration
from matching.evidence import (
    Coverage, KeyMatcher, KeyWord, WordStats, key_words, retrieval_groups, sentences, text_bigrams,
)
from matching.fields import NEED_FACETS, PATENT_FACETS, TermGroups, patent_facets
from matching.highlight import snippet
from matching.normalize import normalize
from matching.querying import NeedQuery, PatentQuery, SearchPlan, plan
from matching.results import (
    Explanation, FacetValue, NeedHit, NeedMatch, PatentHit, PatentMatch, RebuildReport, SearchPage,
)
from matching.scoring import (
    Scored, Weights, explicit_ipc_profile, inferred_ipc_profile, score_need_for_patent, score_patent_for_need,
)
from matching.semantic import (
    F32, StaticEmbedder, default_embedder, need_text_for_vector, pack, patent_text_for_vector, unpack,
)
from matching.text import Analyzer

# Candidates retrieved by text before re-scoring; a second, segment-filtered
# retrieval makes sure same-segment documents are in the pool.
POOL = 60
SEGMENT_POOL = 30
FACET_SIZE = 100

Candidates = list[tuple[PatentDoc, float]]
NeedCandidates = list[tuple[NeedDoc, float]]
Facets = dict[str, list[FacetValue]]
# Told ("patent" or "need", [(document id, analysis made)]) per chunk an index or rebuild had to analyse.
AnalysisSink = Callable[[str, list[tuple[int, Analysis]]], None]


class SearchBackend(ABC):
    """Search and matching over patents and needs. Errors: SearchUnavailable, QueryTooLong."""

    name: str = "abstract"

    def __init__(self, analyzer: Analyzer, weights: Weights | None = None,
                 calibration: _calibration.Calibration | None = None) -> None:
        self.analyzer = analyzer
        self.weights = weights or Weights()
        self.calibration = calibration or _calibration.default()
        self._embedder: StaticEmbedder | None = None
        self._stats: WordStats | None = None

    # ---- storage -----------------------------------------------------------
    @abstractmethod
    def ensure_indices(self) -> None:
        """Create empty indices/aliases if none exist (idempotent)."""

    @abstractmethod
    def index_patents(self, docs: Iterable[PatentDoc], keep: AnalysisSink | None = None) -> int:
        """Add or replace patents (upsert by id); returns how many were written. ``keep``: as for ``rebuild``."""

    @abstractmethod
    def index_needs(self, docs: Iterable[NeedDoc], keep: AnalysisSink | None = None) -> int:
        """Add or replace needs (upsert by id); returns how many were written. ``keep``: as for ``rebuild``."""

    @abstractmethod
    def delete_patent(self, patent_id: int) -> None:
        """Remove a patent; deleting a missing id is not an error."""

    @abstractmethod
    def delete_need(self, need_id: int) -> None:
        """Remove a need; deleting a missing id is not an error."""

    @abstractmethod
    def rebuild(self, patents: Iterable[PatentDoc], needs: Iterable[NeedDoc],
                keep: AnalysisSink | None = None) -> RebuildReport:
        """Build fresh versioned indices, load them, swap the aliases atomically, drop the old ones.

        Documents without a current ``analysis`` are analysed (in worker processes for a bulk load) and
        ``keep`` is handed each chunk's new analyses, so the caller can store them for the next rebuild.
        """

    @abstractmethod
    def refresh(self) -> None:
        """Make all writes so far visible to searches (tests, batch jobs)."""

    @abstractmethod
    def ping(self) -> bool:
        """True when the backend answers (health checks); never raises."""

    @abstractmethod
    def drop(self) -> None:
        """Delete every index of this backend's prefix (tests, teardown)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    # ---- retrieval primitives ---------------------------------------------
    @abstractmethod
    def _patent_page(self, plan: SearchPlan) -> tuple[Candidates, int, Facets]:
        """Listed patents satisfying every query unit and filter: one page, total, facets."""

    @abstractmethod
    def _need_page(self, plan: SearchPlan, today: date) -> tuple[NeedCandidates, int, Facets]:
        """Open, public, unexpired needs satisfying the plan: one page, total, facets."""

    @abstractmethod
    def _patent_candidates(self, groups: TermGroups, segments: Sequence[str], k: int) -> Candidates:
        """Top-k matchable patents by Σ weight × BM25F(OR of group terms), optionally within segments."""

    def _patent_pools(self, groups: TermGroups, segments: Sequence[str]) -> Candidates:
        """The general pool plus, for a need with segments, a same-segment pool (merged)."""
        pools = [self._patent_candidates(groups, (), POOL)]
        if segments:
            pools.append(self._patent_candidates(groups, segments, SEGMENT_POOL))
        return merge_pools(*pools)

    @abstractmethod
    def _need_candidates(self, groups: TermGroups, segments: Sequence[str], k: int, today: date) -> NeedCandidates:
        """Top-k open unexpired needs (public or not), scored like ``_patent_candidates``."""

    def _need_pools(self, groups: TermGroups, segments: Sequence[str], today: date) -> NeedCandidates:
        """The general pool plus, for a patent with segments, a same-segment pool (merged)."""
        pools = [self._need_candidates(groups, (), POOL, today)]
        if segments:
            pools.append(self._need_candidates(groups, segments, SEGMENT_POOL, today))
        return merge_pools(*pools)

    # ---- shared behaviour ---------------------------------------------------
    def search_patents(self, query: PatentQuery) -> SearchPage[PatentHit]:
        """Faceted search. When no patent has every word of the query, the best partial
        matches are returned (``mode="partial"``, the words no hit has in ``missing_terms``);
        when none has any word, the patents nearest in meaning (``mode="similar"``)."""
        p = plan(query, self.analyzer)
        if p.match_nothing:
            return SearchPage([], 0, p.page, p.per_page, {f: [] for f in PATENT_FACETS})
        rows, total, facets = self._patent_page(p)
        mode = p.lookup or "all"
        if total == 0 and len(p.query.units) > 1:
            p = replace(p, any_unit=True)
            rows, total, facets = self._patent_page(p)
            mode = "partial"
        if total == 0 and p.query.units and query.q.strip() and p.page == 1:
            rows, mode = self._similar(query.q, p), "similar"
            total = len(rows)
        phrases = _phrases(p)
        hits = [PatentHit(doc, score, _patent_highlights(doc, phrases)) for doc, score in rows]
        missing = _missing(p, hits, self.analyzer) if mode == "partial" else []
        return SearchPage(hits, total, p.page, p.per_page, facets, mode, missing)

    def _similar(self, text: str, p: SearchPlan) -> Candidates:
        """Patents nearest in meaning to ``text`` that pass the filters (a small, unpaged list)."""
        vector = self.embedder.embed(text)
        if not vector.any():
            return []
        rows = self._patent_knn(vector, p.filters.get("segment", ()), max(p.per_page, 20))
        allowed = _passes_filters(p.filters)
        return [(doc, s) for doc, s in rows if allowed(doc) and s >= SIMILAR_MIN][: p.per_page]

    def search_needs(self, query: NeedQuery, today: date | None = None) -> SearchPage[NeedHit]:
        p = plan(query, self.analyzer)
        if p.match_nothing:
            return SearchPage([], 0, p.page, p.per_page, {f: [] for f in NEED_FACETS})
        rows, total, facets = self._need_page(p, today or date.today())
        phrases = _phrases(p)
        hits = [NeedHit(doc, score, _need_highlights(doc, phrases)) for doc, score in rows]
        return SearchPage(hits, total, p.page, p.per_page, facets)

    def warm(self) -> None:
        """Load what a process's first search would otherwise load on a user's request: the word segmenter's
        dictionary and the word vector table (the embedded index adds its in-memory tables)."""
        self.embedder.embed("专利技术 patent")

    # ---- semantic parts ----------------------------------------------------
    @property
    def embedder(self) -> StaticEmbedder:
        if self._embedder is None:
            self._embedder = default_embedder(self.analyzer)
        return self._embedder

    @property
    def stats(self) -> WordStats:
        if self._stats is None:
            e = self.embedder
            self._stats = WordStats({w: float(e.freq[i]) for w, i in e.index.items()})
        return self._stats

    def patent_vector(self, doc: PatentDoc) -> F32:
        """The patent's stored vector when it is of this table, else computed now."""
        if doc.vector and doc.vector_model == self.embedder.name:
            return unpack(doc.vector)
        return self.embedder.embed(patent_text_for_vector(doc.title, doc.abstract, doc.first_claim))

    def need_vector(self, doc: NeedDoc) -> F32:
        if doc.vector and doc.vector_model == self.embedder.name:
            return unpack(doc.vector)
        return self.embedder.embed(need_text_for_vector(doc.title, doc.description, doc.keywords))

    def with_vector(self, doc: D) -> D:
        """``doc`` carrying its vector (computed when missing or of another table)."""
        if doc.vector and doc.vector_model == self.embedder.name:
            return doc
        vec = self.patent_vector(doc) if isinstance(doc, PatentDoc) else self.need_vector(doc)
        return replace(doc, vector=pack(vec), vector_model=self.embedder.name)

    def need_keys(self, need: NeedDoc) -> list[KeyWord]:
        return _need_keys(self, need.title, tuple(need.keywords), need.description)

    def need_matcher(self, need: NeedDoc) -> KeyMatcher:
        """The need's evidence measure: its key words and the bigrams of its whole text."""
        text = "。".join(t for t in (need.title, " ".join(need.keywords), need.description) if t)
        return _matcher(tuple(self.need_keys(need)), text_bigrams(text))

    @abstractmethod
    def _patent_knn(self, vector: F32, segments: Sequence[str], k: int) -> Candidates:
        """Top-k matchable patents by cosine to ``vector`` (optionally within segments)."""

    @abstractmethod
    def _need_knn(self, vector: F32, segments: Sequence[str], k: int, today: date) -> NeedCandidates:
        """Top-k open unexpired needs by cosine to ``vector``."""

    def _patent_retrieval(self, groups: TermGroups, vector: F32, segments: Sequence[str],
                          mode: str) -> tuple[Candidates, Candidates]:
        """(lexical pool, semantic pool); a backend may fetch both in one round trip."""
        lexical = self._patent_pools(groups, segments) if mode != "semantic" else []
        semantic: Candidates = []
        if mode != "lexical" and vector.any():
            semantic = self._patent_knn(vector, (), POOL)
            if segments:
                semantic = merge_pools(semantic, self._patent_knn(vector, segments, SEGMENT_POOL))
        return lexical, semantic

    # ---- matching ------------------------------------------------------------
    def match_patents(self, need: NeedDoc, limit: int = 20, *, mode: str = "hybrid",
                      floor: float | None = None) -> list[PatentMatch]:
        """Best matchable patents for a need, each with its explanation.

        ``mode``: "hybrid" (lexical and semantic candidates, calibrated
        relevance), "lexical" (BM25F candidates in BM25F order) or
        "semantic" (nearest vectors in cosine order). ``floor``: lowest
        relevance listed (default: the calibrated floor; 0 lists all).
        """
        keys = self.need_keys(need)
        vector = self.need_vector(need)
        if not keys and not vector.any():
            return []
        groups = retrieval_groups(keys) if keys else ()
        lexical, semantic = self._patent_retrieval(groups, vector, need.segments, mode)
        pool = merge_pools(lexical, semantic)
        if not pool:
            return []
        order = _pool_order(mode, lexical, semantic)
        evidence = self._evidence(self.need_matcher(need), vector, [doc for doc, _ in pool])
        by_rel = sorted(pool, key=lambda r: -evidence[r[0].id][0])
        inferred = not need.ipc_codes
        profile = inferred_ipc_profile([(d, evidence[d.id][0]) for d, _ in by_rel]) if inferred \
            else explicit_ipc_profile(need.ipc_codes)
        rows = []
        for patent, _ in pool if order is not None else self._contenders(pool, evidence, floor, limit):
            rel, cos, cov = evidence[patent.id]
            s = score_patent_for_need(need, patent, rel, profile, inferred, self.weights)
            rows.append((s, cos, cov, patent))
        out: list[PatentMatch] = []
        for s, cos, cov, patent in self._shortlist(rows, order, floor, limit):
            best = self._best_sentence(vector, patent.abstract, keys)
            out.append(PatentMatch(patent, s.score, _explain(s, cos, cov, best, keys, {
                "title": snippet(patent.title, _marks(keys, cov), max_chars=200),
                "abstract": snippet(patent.abstract, _marks(keys, cov)),
                "first_claim": snippet(patent.first_claim, _marks(keys, cov)),
            })))
        return out

    def match_needs(self, patent: PatentDoc, limit: int = 20, today: date | None = None, *,
                    mode: str = "hybrid", floor: float | None = None,
                    orgs: Collection[int] | None = None) -> list[NeedMatch]:
        """Best open needs (public or private, for pushes) for a patent.

        The relevance of a pair is the same whichever side asks: it is
        measured with the need's words in the patent's text. ``orgs``: only
        the candidates of these organisations are scored and listed (a push
        asks for its subscribers' needs); a pair's score does not depend on
        the other candidates, so each listed match is the one the unrestricted
        call gives.
        """
        day = today or date.today()
        vector = self.patent_vector(patent)
        keys = key_words([(patent.title, True), (" ".join(patent.tags), True), (patent.abstract, False)],
                         self.analyzer, self.stats)
        if not keys and not vector.any():
            return []
        groups = retrieval_groups(keys) if keys else ()
        lexical: NeedCandidates = []
        semantic: NeedCandidates = []
        if mode != "semantic" and groups:
            lexical = self._need_pools(groups, patent.segments, day)
        if mode != "lexical" and vector.any():
            semantic = self._need_knn(vector, (), POOL, day)
        pool = merge_pools(lexical, semantic)
        if orgs is not None:
            pool = [row for row in pool if row[0].org_id in orgs]
        order = _pool_order(mode, lexical, semantic)
        text = _patent_body(patent)
        rows = []
        for need, _ in pool:
            cov = self.need_matcher(need).coverage(patent.title, text)
            cos = float(vector @ self.need_vector(need))
            rel = self.calibration.relevance(cos, cov.share, cov.focus_share, cov.title_share, cov.tf, cov.bigram)
            s = score_need_for_patent(patent, need, rel, self.weights)
            rows.append((s, cos, cov, need))
        out: list[NeedMatch] = []
        for s, cos, cov, need in self._shortlist(rows, order, floor, limit):
            need_keys = self.need_keys(need)
            marks = _marks(need_keys, cov)
            out.append(NeedMatch(need, s.score, _explain(s, cos, cov, self._best_sentence(
                self.need_vector(need), patent.abstract, need_keys), need_keys, {
                "title": snippet(need.title, marks, max_chars=200),
                "description": snippet(need.description, marks),
            })))
        return out

    def _contenders(self, pool: Candidates, evidence: dict[int, tuple[float, float, Coverage]],
                    floor: float | None, limit: int) -> Candidates:
        """The candidates that can reach the first ``limit`` places of a list ranked by score.

        Only candidates at or above the floor are listed, and business factors move a
        relevance by at most ``min(band, band_share × relevance)`` points, so a candidate
        whose best case falls below the ``limit``-th best worst case cannot be listed
        either: the factors of neither are computed (most of a hybrid pool). The list is
        the one scoring every candidate gives.
        """
        low = self.calibration.floor if floor is None else floor
        w = self.weights

        def reach(sign: float, rel: float) -> float:
            return rel + sign * min(w.band, w.band_share * rel)

        listable = [row for row in pool if evidence[row[0].id][0] >= low]
        worst = sorted((reach(-1, evidence[doc.id][0]) for doc, _ in listable), reverse=True)
        if len(worst) < limit or limit <= 0:
            return listable
        bar = worst[limit - 1]
        return [row for row in listable if reach(1, evidence[row[0].id][0]) >= bar]

    def _shortlist(self, rows: list[Any], order: dict[int, int] | None, floor: float | None,
                   limit: int) -> list[Any]:
        """The first ``limit`` ranked rows at or above the floor (the calibrated one unless given)."""
        low = self.calibration.floor if floor is None else floor
        return [row for row in _rank(rows, order) if row[0].relevance >= low][:limit]

    def _evidence(self, matcher: KeyMatcher, vector: F32,
                  patents: Sequence[PatentDoc]) -> dict[int, tuple[float, float, Coverage]]:
        """Patent id → (calibrated relevance, cosine, coverage) for each candidate (one pass over all)."""
        covs = matcher.coverage_many([(p.title, _patent_body(p)) for p in patents])
        out = {}
        for patent, cov in zip(patents, covs):
            cos = float(vector @ self.patent_vector(patent)) if vector.any() else 0.0
            out[patent.id] = (self.calibration.relevance(cos, cov.share, cov.focus_share, cov.title_share, cov.tf,
                                                         cov.bigram), cos, cov)
        return out

    def _best_sentence(self, vector: F32, text: str, keys: Sequence[KeyWord]) -> str:
        """The sentence of ``text`` closest to the need: the most of its key words' weight, else the
        closest vector (only then are sentences embedded: segmenting every sentence of every result
        would cost more than the whole retrieval)."""
        parts = sentences(text)
        if len(parts) <= 1:
            return parts[0] if parts else ""
        norm = [normalize(p) for p in parts]
        weight = [sum(k.weight for k in keys if any(f in s for f in k.forms)) for s in norm]
        if max(weight) > 0:
            return parts[max(range(len(parts)), key=lambda i: (weight[i], -i))]
        if not vector.any():
            return ""
        sims = [float(vector @ self.embedder.embed(p)) for p in parts[:8]]
        return parts[max(range(len(sims)), key=lambda i: (sims[i], -i))]


D = TypeVar("D", PatentDoc, NeedDoc)


@lru_cache(maxsize=4096)
def _need_keys_cached(analyzer: Analyzer, stats_id: int, title: str, keywords: tuple[str, ...],
                      description: str, stats: WordStats) -> tuple[KeyWord, ...]:
    return tuple(key_words([(title, True), (" ".join(keywords), True), (description, False)], analyzer, stats))


def _need_keys(backend: SearchBackend, title: str, keywords: tuple[str, ...], description: str) -> list[KeyWord]:
    stats = backend.stats
    return list(_need_keys_cached(backend.analyzer, id(stats), title, keywords, description, stats))


@lru_cache(maxsize=1024)
def _matcher(keys: tuple[KeyWord, ...], bigrams: tuple[tuple[str, float], ...]) -> KeyMatcher:
    return KeyMatcher(keys, bigrams)


def _pool_order(mode: str, lexical: list[Any], semantic: list[Any]) -> dict[int, int] | None:
    """The rank a single-signal mode sorts by (None: hybrid sorts by score)."""
    if mode == "lexical":
        return {doc.id: i for i, (doc, _) in enumerate(lexical)}
    if mode == "semantic":
        return {doc.id: i for i, (doc, _) in enumerate(semantic)}
    return None


def _rank(rows: list[Any], order: dict[int, int] | None) -> list[Any]:
    if order is not None:
        return sorted(rows, key=lambda r: (order.get(r[3].id, 10**9), r[3].id))
    return sorted(rows, key=lambda r: (-r[0].score, -r[0].relevance, -r[1], r[3].id))


def _patent_body(patent: PatentDoc) -> str:
    """The text key words and bigrams are sought in besides the title."""
    return f"{patent.abstract}\n{patent.first_claim}\n{'、'.join(patent.tags)}"


def _marks(keys: Sequence[KeyWord], cov: Coverage) -> tuple[str, ...]:
    """Phrases to mark: the key words found, in every form."""
    found = set(cov.found)
    return tuple(sorted({f for k in keys for f in k.forms if found & set(k.forms)}))


def merge_pools(*pools: list[tuple[Any, float]]) -> list[tuple[Any, float]]:
    """Union of candidate lists by document id (max score), best first."""
    best: dict[int, tuple[Any, float]] = {}
    for pool in pools:
        for doc, score in pool:
            if doc.id not in best or score > best[doc.id][1]:
                best[doc.id] = (doc, score)
    return sorted(best.values(), key=lambda r: (-r[1], r[0].id))


# Lowest cosine a meaning-only search hit must reach (below it, nothing is shown).
SIMILAR_MIN = 0.45


def _passes_filters(filters: dict[str, list[str]]) -> Any:
    def ok(doc: PatentDoc) -> bool:
        values = patent_facets(doc)
        return all(set(values.get(f, [])) & set(vs) for f, vs in filters.items())
    return ok


def _missing(p: SearchPlan, hits: Sequence[PatentHit], analyzer: Analyzer) -> list[str]:
    """Query words none of the hits contains (what the partial match left out)."""
    texts = [normalize(f"{h.patent.title} {h.patent.abstract} {h.patent.first_claim} {' '.join(h.patent.tags)}")
             for h in hits]
    out = []
    for unit in p.query.units:
        forms = {unit.word} | {m for m, c in analyzer.synonyms.canonical.items() if unit.synonym and c == unit.synonym}
        if not any(any(f in t for f in forms) or (unit.bigrams and all(b in t for b in unit.bigrams))
                   for t in texts):
            out.append(unit.word)
    return out


def _phrases(p: SearchPlan) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*p.query.phrases, *p.query.terms()]))


def _patent_highlights(doc: PatentDoc, phrases: Sequence[str]) -> dict[str, str]:
    out = {
        "title": snippet(doc.title, phrases, max_chars=200),
        "abstract": snippet(doc.abstract, phrases),
        "first_claim": snippet(doc.first_claim, phrases),
        "tags": snippet("、".join(doc.tags), phrases),
    }
    return {k: v for k, v in out.items() if v}


def _need_highlights(doc: NeedDoc, phrases: Sequence[str]) -> dict[str, str]:
    out = {
        "title": snippet(doc.title, phrases, max_chars=200),
        "description": snippet(doc.description, phrases),
        "keywords": snippet("、".join(doc.keywords), phrases),
    }
    return {k: v for k, v in out.items() if v}


def _explain(s: Scored, cos: float, cov: Coverage, best: str, keys: Sequence[KeyWord],
             highlights: dict[str, str | None]) -> Explanation:
    return Explanation(
        matched_terms=list(cov.found)[:12],
        highlights={k: v for k, v in highlights.items() if v},
        shared_segments=s.shared_segments,
        shared_ipc=s.shared_ipc,
        factors=[s.factors[0], *sorted(s.factors[1:], key=lambda f: -abs(f.contribution))],
        relevance=s.relevance,
        similarity=cos,
        best_sentence=best,
    )
