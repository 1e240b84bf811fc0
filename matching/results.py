"""Plain, JSON-serialisable result types returned by every backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from matching.documents import NeedDoc, PatentDoc


@dataclass(frozen=True)
class Factor:
    """One reason a match moved up (positive) or down (negative)."""

    code: str  # text | segment_match | ipc_match | grade | maturity | open_license | mode_match | budget | legal_status
    contribution: float  # relevance points (the text factor: the relevance itself)
    label_zh: str
    label_en: str
    # What the factor is about (segment names, IPC code and title, modes …): the app
    # renders a factor from ``code`` + ``params`` through its message catalogue.
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "contribution": round(self.contribution, 2),
                "label_zh": self.label_zh, "label_en": self.label_en, "params": dict(self.params)}


@dataclass
class Explanation:
    # The need's words (or synonyms) found in the candidate, heaviest first: real words only.
    matched_terms: list[str] = field(default_factory=list)
    # field name -> HTML snippet; only <mark> is markup, the rest is escaped.
    highlights: dict[str, str] = field(default_factory=dict)
    shared_segments: list[str] = field(default_factory=list)
    shared_ipc: list[str] = field(default_factory=list)
    factors: list[Factor] = field(default_factory=list)
    relevance: float = 0.0          # calibrated, 0–100
    similarity: float = 0.0         # cosine of the two texts' vectors
    best_sentence: str = ""         # the candidate's sentence most similar to the need

    def to_dict(self) -> dict[str, Any]:
        return {
            "matched_terms": list(self.matched_terms),
            "highlights": dict(self.highlights),
            "shared_segments": list(self.shared_segments),
            "shared_ipc": list(self.shared_ipc),
            "factors": [f.to_dict() for f in self.factors],
            "relevance": round(self.relevance, 1),
            "similarity": round(self.similarity, 4),
            "best_sentence": self.best_sentence,
        }


@dataclass
class PatentMatch:
    patent: PatentDoc
    score: float  # 0–100: relevance plus the business factors (at most ± Weights.band)
    explanation: Explanation

    @property
    def relevance(self) -> float:
        return self.explanation.relevance

    def to_dict(self) -> dict[str, Any]:
        return {"patent": self.patent.to_dict(), "score": round(self.score, 2),
                "relevance": round(self.relevance, 1), "explanation": self.explanation.to_dict()}


@dataclass
class NeedMatch:
    need: NeedDoc
    score: float  # 0–100, as PatentMatch.score
    explanation: Explanation

    @property
    def relevance(self) -> float:
        return self.explanation.relevance

    def to_dict(self) -> dict[str, Any]:
        return {"need": self.need.to_dict(), "score": round(self.score, 2),
                "relevance": round(self.relevance, 1), "explanation": self.explanation.to_dict()}


@dataclass
class PatentHit:
    patent: PatentDoc
    score: float
    highlights: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"patent": self.patent.to_dict(), "score": round(self.score, 4), "highlights": dict(self.highlights)}


@dataclass
class NeedHit:
    need: NeedDoc
    score: float
    highlights: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"need": self.need.to_dict(), "score": round(self.score, 4), "highlights": dict(self.highlights)}


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "count": self.count}


H = TypeVar("H", PatentHit, NeedHit)


@dataclass
class SearchPage(Generic[H]):
    hits: list[H]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    # How the hits were found: "all" (every word matched), "partial" (no document has
    # every word: the best partial matches), "similar" (meaning only, no word matched),
    # "number" (application/publication number), "ipc" (IPC code or prefix).
    mode: str = "all"
    missing_terms: list[str] = field(default_factory=list)  # words no hit contains (partial)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_dict(self) -> dict[str, Any]:
        return {
            "hits": [h.to_dict() for h in self.hits],
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
            "facets": {k: [v.to_dict() for v in vs] for k, vs in self.facets.items()},
            "mode": self.mode,
            "missing_terms": list(self.missing_terms),
        }


@dataclass(frozen=True)
class RebuildReport:
    patents: int
    needs: int
    patent_index: str
    need_index: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"patents": self.patents, "needs": self.needs, "patent_index": self.patent_index,
                "need_index": self.need_index, "seconds": round(self.seconds, 3)}
