"""Search requests, their validation, and the backend-neutral plan built from them.

User text is only ever analysed into tokens here; backends receive token
lists and keyword filters, never a query string with syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from matching import lookup
from matching.errors import QueryTooLong
from matching.fields import NEED_FILTERS, PATENT_FILTERS
from matching.text import AnalyzedQuery, Analyzer, has_word_chars

MAX_QUERY_CHARS = 2000
MAX_PER_PAGE = 100
PATENT_SORTS = ("relevance", "application_date_desc", "application_date_asc", "grade")
NEED_SORTS = ("relevance", "newest")


@dataclass
class PatentQuery:
    q: str = ""
    segments: Sequence[str] = ()
    grades: Sequence[str] = ()
    patent_types: Sequence[str] = ()
    ipc_sections: Sequence[str] = ()
    owner_ids: Sequence[int | str] = ()
    open_license: bool | None = None
    legal_statuses: Sequence[str] = ()
    maturities: Sequence[str] = ()
    modes: Sequence[str] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    def filters(self) -> dict[str, list[str]]:
        raw: dict[str, Sequence[object]] = {
            "segment": self.segments, "grade": self.grades, "patent_type": self.patent_types,
            "ipc_section": [s.upper() for s in self.ipc_sections], "owner_id": self.owner_ids,
            "legal_status": self.legal_statuses, "maturity": self.maturities, "mode": self.modes,
            "open_license": [] if self.open_license is None else ["true" if self.open_license else "false"],
        }
        return {k: [str(v) for v in vs] for k, vs in raw.items() if vs}


@dataclass
class NeedQuery:
    q: str = ""
    segments: Sequence[str] = ()
    modes: Sequence[str] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    def filters(self) -> dict[str, list[str]]:
        raw = {"segment": self.segments, "mode": self.modes}
        return {k: [str(v) for v in vs] for k, vs in raw.items() if vs}


@dataclass(frozen=True)
class SearchPlan:
    """What a backend executes: conjunctive query units + filters + paging."""

    query: AnalyzedQuery
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    match_nothing: bool = False  # punctuation-only text
    any_unit: bool = False       # relaxed: documents with at least one unit, most matched first
    lookup: str | None = None    # "number" | "ipc": an exact look-up (in ``filters``), no text query

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def plan(request: PatentQuery | NeedQuery, analyzer: Analyzer) -> SearchPlan:
    q = request.q or ""
    if len(q) > MAX_QUERY_CHARS:
        raise QueryTooLong("q", len(q), MAX_QUERY_CHARS)
    is_patent = isinstance(request, PatentQuery)
    sorts = PATENT_SORTS if is_patent else NEED_SORTS
    if request.sort not in sorts:
        raise ValueError(f"sort: unknown value {request.sort!r}; expected one of {', '.join(sorts)}")
    filters = request.filters()
    allowed = PATENT_FILTERS if is_patent else NEED_FILTERS
    assert set(filters) <= set(allowed)
    found = lookup.parse(q) if is_patent and q.strip() else None
    if found is not None:  # an application/publication number or an IPC code: exact, no text search
        filters = {**filters, found.kind: [found.key]}
        analyzed = AnalyzedQuery(())
    else:
        analyzed = analyzer.analyze_query(q) if q.strip() else AnalyzedQuery(())
    nothing = found is None and bool(q.strip()) and (not has_word_chars(q) or analyzed.empty)
    return SearchPlan(
        query=analyzed,
        filters=filters,
        sort=request.sort,
        page=max(1, int(request.page)),
        per_page=min(MAX_PER_PAGE, max(1, int(request.per_page))),
        match_nothing=nothing,
        lookup=found.kind if found else None,
    )
