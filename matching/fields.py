"""What each backend stores for a document: token fields, filter/facet values.

Both backends index exactly these, so their recall and facets agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from matching import ipc
from matching.documents import PatentDoc, NeedDoc
from matching.text import Analyzer, ipc_tokens

# Field weights used by both backends for text relevance (BM25 per field).
PATENT_TEXT_FIELDS: dict[str, float] = {"title": 3.0, "tags": 2.0, "ipc": 1.0, "abstract": 1.0, "claim": 1.0}
NEED_TEXT_FIELDS: dict[str, float] = {"title": 3.0, "keywords": 2.0, "body": 1.0}

PATENT_FACETS = ("segment", "grade", "patent_type", "ipc_section", "owner_id", "open_license", "legal_status", "maturity")
NEED_FACETS = ("segment", "mode")
# Keyword fields a query may filter on (facets plus modes for patents).
PATENT_FILTERS = (*PATENT_FACETS, "mode")
NEED_FILTERS = NEED_FACETS

# How many query terms a match request may use: long need texts would
# otherwise produce hundreds of OR clauses and slow both backends down.
MAX_MATCH_TERMS = 24


def grade_rank(grade: str | None, order: tuple[str, ...]) -> int:
    """0 for the best grade; ungraded last."""
    return order.index(grade) if grade in order else len(order)


def patent_text(doc: PatentDoc, analyzer: Analyzer) -> dict[str, str]:
    return {
        "title": analyzer.index_text(doc.title),
        "tags": analyzer.label_text(*doc.tags, *doc.segment_names, doc.owner_name),
        "ipc": " ".join([t for code in doc.ipc_codes for t in ipc_tokens(code)]
                        + [analyzer.label_text(ipc.title_text(doc.ipc_codes), segment=False)]).strip(),
        "abstract": analyzer.index_text(doc.abstract, segment=False),
        "claim": analyzer.index_text(doc.first_claim, segment=False),
    }


def need_text(doc: NeedDoc, analyzer: Analyzer) -> dict[str, str]:
    return {
        "title": analyzer.index_text(doc.title),
        "keywords": analyzer.label_text(*doc.keywords, *doc.segment_names),
        "body": analyzer.index_text(doc.description, segment=False),
    }


def patent_facets(doc: PatentDoc) -> dict[str, list[str]]:
    codes = list(doc.ipc_codes) + ([doc.ipc_main] if doc.ipc_main else [])
    return {
        "segment": list(dict.fromkeys(doc.segments)),
        "grade": [doc.grade] if doc.grade else [],
        "patent_type": [doc.patent_type],
        "ipc_section": ipc.sections(codes),
        "owner_id": [str(doc.owner_id)] if doc.owner_id is not None else [],
        "open_license": ["true" if doc.open_license else "false"],
        "legal_status": [doc.legal_status],
        "maturity": [doc.maturity] if doc.maturity else [],
        "mode": sorted(doc.effective_modes),
    }


def need_facets(doc: NeedDoc) -> dict[str, list[str]]:
    return {"segment": list(dict.fromkeys(doc.segments)), "mode": list(dict.fromkeys(doc.modes))}


# Text score of a match = Σ weight × BM25F(group terms): the focus group
# (terms of the title/keywords, which state the topic) counts extra.
FOCUS_WEIGHT = 2.0

TermGroups = tuple[tuple[tuple[str, ...], float], ...]


@dataclass(frozen=True)
class MatchTerms:
    """Query tokens chosen for a match request plus phrases to highlight."""

    terms: tuple[str, ...]
    phrases: tuple[str, ...]
    focus: tuple[str, ...] = ()

    @property
    def groups(self) -> TermGroups:
        """Weighted term groups both backends score as Σ weight × BM25F(group)."""
        if not self.focus:
            return ((self.terms, 1.0),)
        return ((self.focus, FOCUS_WEIGHT), (self.terms, 1.0))


def select_terms(weighted_texts: list[tuple[str, float]], analyzer: Analyzer, n_focus: int = 0) -> MatchTerms:
    """Pick the most telling tokens of a long text for an OR-style retrieval.

    Weight = Σ over occurrences of (source weight × token-kind factor): whole
    words count more than bigrams, longer words more than short ones; stop
    words never count. No corpus statistics are needed, so both backends
    receive the very same terms. Selected terms from the first ``n_focus``
    texts form the focus group.
    """
    scores: defaultdict[str, float] = defaultdict(float)
    first_seen: dict[str, int] = {}
    focus: set[str] = set()
    for n, (text, weight) in enumerate(weighted_texts):
        for word_chunk in analyzer.analyze_query(text).units:
            for token in word_chunk.tokens():
                if token in analyzer.stopwords:
                    continue
                if n < n_focus:
                    focus.add(token)
                if token == word_chunk.word or token == word_chunk.synonym:
                    kind = 1.3 if len(token) > 2 else 1.0
                else:
                    kind = 0.5
                scores[token] += weight * kind
                first_seen.setdefault(token, len(first_seen))
    ranked = sorted(scores, key=lambda t: (-scores[t], first_seen[t]))[:MAX_MATCH_TERMS]
    phrases = set(ranked)
    canon = set(ranked)
    phrases.update(m for m, c in analyzer.synonyms.canonical.items() if c in canon)
    return MatchTerms(tuple(ranked), tuple(sorted(phrases)), tuple(t for t in ranked if t in focus))


def need_match_terms(need: NeedDoc, analyzer: Analyzer) -> MatchTerms:
    return select_terms(
        [(need.title, 3.0), (" ".join(need.keywords), 2.0), (need.description, 1.0), (" ".join(need.segment_names), 0.5)],
        analyzer, n_focus=2,
    )


def patent_match_terms(patent: PatentDoc, analyzer: Analyzer) -> MatchTerms:
    return select_terms(
        [(patent.title, 3.0), (" ".join(patent.tags), 2.0), (patent.abstract, 1.0), (patent.first_claim, 0.5),
         (" ".join(patent.segment_names), 0.5)],
        analyzer, n_focus=2,
    )
