"""The SearchBackend interface and the backend-independent parts of it.

A backend implements storage primitives (index, delete, rebuild) and four
retrieval primitives; searching and matching are implemented here once, on
top of them, so both backends validate, score, explain and highlight the
same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import date
from typing import TypeVar

from matching.documents import NeedDoc, PatentDoc
from matching.fields import NEED_FACETS, PATENT_FACETS, MatchTerms, TermGroups, need_match_terms, patent_match_terms
from matching.highlight import matched_phrases, snippet
from matching.querying import NeedQuery, PatentQuery, SearchPlan, plan
from matching.results import (
    Explanation, FacetValue, NeedHit, NeedMatch, PatentHit, PatentMatch, RebuildReport, SearchPage,
)
from matching.scoring import (
    Scored, Weights, explicit_ipc_profile, inferred_ipc_profile, score_need_for_patent, score_patent_for_need,
)
from matching.text import Analyzer

# Candidates retrieved by text before re-scoring; a second, segment-filtered
# retrieval makes sure same-segment documents are in the pool.
POOL = 60
SEGMENT_POOL = 30
FACET_SIZE = 100

_D = TypeVar("_D", PatentDoc, NeedDoc)
Candidates = list[tuple[PatentDoc, float]]
NeedCandidates = list[tuple[NeedDoc, float]]
Facets = dict[str, list[FacetValue]]


class SearchBackend(ABC):
    """Search and matching over patents and needs. Errors: SearchUnavailable, QueryTooLong."""

    name: str = "abstract"

    def __init__(self, analyzer: Analyzer, weights: Weights | None = None) -> None:
        self.analyzer = analyzer
        self.weights = weights or Weights()

    # ---- storage -----------------------------------------------------------
    @abstractmethod
    def ensure_indices(self) -> None:
        """Create empty indices/aliases if none exist (idempotent)."""

    @abstractmethod
    def index_patents(self, docs: Iterable[PatentDoc]) -> int:
        """Add or replace patents (upsert by id); returns how many were written."""

    @abstractmethod
    def index_needs(self, docs: Iterable[NeedDoc]) -> int:
        """Add or replace needs (upsert by id); returns how many were written."""

    @abstractmethod
    def delete_patent(self, patent_id: int) -> None:
        """Remove a patent; deleting a missing id is not an error."""

    @abstractmethod
    def delete_need(self, need_id: int) -> None:
        """Remove a need; deleting a missing id is not an error."""

    @abstractmethod
    def rebuild(self, patents: Iterable[PatentDoc], needs: Iterable[NeedDoc]) -> RebuildReport:
        """Build fresh versioned indices, load them, swap the aliases atomically, drop the old ones."""

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

    # ---- shared behaviour ---------------------------------------------------
    def search_patents(self, query: PatentQuery) -> SearchPage[PatentHit]:
        p = plan(query, self.analyzer)
        if p.match_nothing:
            return SearchPage([], 0, p.page, p.per_page, {f: [] for f in PATENT_FACETS})
        rows, total, facets = self._patent_page(p)
        phrases = _phrases(p)
        hits = [PatentHit(doc, score, _patent_highlights(doc, phrases)) for doc, score in rows]
        return SearchPage(hits, total, p.page, p.per_page, facets)

    def search_needs(self, query: NeedQuery, today: date | None = None) -> SearchPage[NeedHit]:
        p = plan(query, self.analyzer)
        if p.match_nothing:
            return SearchPage([], 0, p.page, p.per_page, {f: [] for f in NEED_FACETS})
        rows, total, facets = self._need_page(p, today or date.today())
        phrases = _phrases(p)
        hits = [NeedHit(doc, score, _need_highlights(doc, phrases)) for doc, score in rows]
        return SearchPage(hits, total, p.page, p.per_page, facets)

    def match_patents(self, need: NeedDoc, limit: int = 20) -> list[PatentMatch]:
        """Best matchable patents for a need, each with its explanation."""
        terms = need_match_terms(need, self.analyzer)
        if not terms.terms:
            return []
        pool = self._patent_pools(terms.groups, need.segments)
        if not pool:
            return []
        top = pool[0][1] or 1.0
        inferred = not need.ipc_codes
        profile = inferred_ipc_profile(pool) if inferred else explicit_ipc_profile(need.ipc_codes)
        scored = []
        for patent, text_score in pool:
            s = score_patent_for_need(need, patent, text_score / top, profile, inferred, self.weights)
            scored.append((s.score, text_score, patent, s))
        scored.sort(key=lambda r: (-r[0], -r[1], r[2].id))
        return [PatentMatch(patent, score, _explain(s, _patent_highlights(patent, terms.phrases), terms,
                                                    [patent.title, patent.abstract, patent.first_claim]))
                for score, _, patent, s in scored[:limit]]

    def match_needs(self, patent: PatentDoc, limit: int = 20, today: date | None = None) -> list[NeedMatch]:
        """Best open needs (public or private, for pushes) for a patent."""
        terms = patent_match_terms(patent, self.analyzer)
        if not terms.terms:
            return []
        day = today or date.today()
        pool = merge_pools(self._need_candidates(terms.groups, (), POOL, day),
                      self._need_candidates(terms.groups, patent.segments, SEGMENT_POOL, day) if patent.segments else [])
        if not pool:
            return []
        top = pool[0][1] or 1.0
        scored = []
        for need, text_score in pool:
            s = score_need_for_patent(patent, need, text_score / top, self.weights)
            scored.append((s.score, text_score, need, s))
        scored.sort(key=lambda r: (-r[0], -r[1], r[2].id))
        return [NeedMatch(need, score, _explain(s, _need_highlights(need, terms.phrases), terms,
                                                [need.title, need.description, " ".join(need.keywords)]))
                for score, _, need, s in scored[:limit]]


def merge_pools(*pools: list[tuple[_D, float]]) -> list[tuple[_D, float]]:
    """Union of candidate lists by document id (max score), best first."""
    best: dict[int, tuple[_D, float]] = {}
    for pool in pools:
        for doc, score in pool:
            if doc.id not in best or score > best[doc.id][1]:
                best[doc.id] = (doc, score)
    return sorted(best.values(), key=lambda r: (-r[1], r[0].id))


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


def _explain(s: Scored, highlights: dict[str, str], terms: MatchTerms, texts: list[str]) -> Explanation:
    matched: dict[str, None] = {}
    for text in texts:
        for phrase in matched_phrases(text, terms.phrases):
            matched.setdefault(phrase)
    return Explanation(
        matched_terms=list(matched)[:12],
        highlights=highlights,
        shared_segments=s.shared_segments,
        shared_ipc=s.shared_ipc,
        factors=sorted(s.factors, key=lambda f: -abs(f.contribution)),
    )
