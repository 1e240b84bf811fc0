"""Elasticsearch mappings and request bodies (pure functions, testable offline).

Works on a bare server (integ-test-zip 8.19 and 9.2: analyzers standard, simple,
whitespace, stop, keyword; tokenizer standard only; filters lowercase, stop,
shingle; no analysis-common, no painless). Text fields hold tokens the Python
analyzer produced and use the built-in ``whitespace`` analyzer; scoring uses
only BM25 and plain sorts. User text is never sent as query syntax: every
query string below is a whitespace-joined list of analyzer tokens given to
``combined_fields``/``term``/``terms``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from matching.fields import TermGroups, NEED_FACETS, NEED_TEXT_FIELDS, PATENT_FACETS, PATENT_TEXT_FIELDS
from matching.querying import SearchPlan
from matching.semantic import F32
from matching.text import AnalyzedQuery

_TEXT = {"type": "text", "analyzer": "whitespace", "norms": True}
_KW = {"type": "keyword"}


def _settings() -> dict[str, Any]:
    # Shards and replicas are the backend's to set (configured, or by the catalogue's size: ``es_backend``).
    return {"refresh_interval": "1s"}


def _vector_field(dim: int) -> dict[str, Any]:
    # Byte elements (each vector scaled by ``byte_vector``) in a plain HNSW graph. The graph is most of a
    # rebuild's CPU: int8_hnsw (the 8.x default for float vectors) builds it on the float vectors and
    # quantizes each segment again at flush and merge; bytes are a quarter of the floats to compare, send and
    # keep. 100,000 patents from memory: load 42.5 -> 36.1 s (server CPU 61.5 -> 51.0 s), index 409 -> 248 MB.
    # Only the candidate pools come from here (their cosines are computed again from the stored vectors).
    # Cosine, not dot_product: the scaled vectors are not unit length.
    # ef_construction 64 (pgvector's default; Elasticsearch's is 100): at 100,000 patents 64 rebuilt at 2,361
    # instead of 1,944 docs/s while the top 20s differ from 100's no more than two builds at 100 differ from
    # each other (bench/match_speed/rankings.py: 630 and 619 of 663 alike).
    return {"type": "dense_vector", "dims": dim, "element_type": "byte", "index": True, "similarity": "cosine",
            "index_options": {"type": "hnsw", "m": 16, "ef_construction": 64}}


def byte_vector(vector: F32) -> list[int] | None:
    """``vector`` as byte elements, scaled so its largest component is ±127; None for a zero vector (no direction).

    Cosine ignores the scale, so each vector gets its own, the finest it allows: on 20,000 patents the
    cosine of two scaled vectors is within 0.0041 of the float one (mean 0.0007), and 99.2 % of an exact
    top 20 stays the same.
    """
    peak = float(np.abs(vector).max(initial=0.0))
    if not peak:
        return None
    scaled: list[int] = np.rint(vector * (127.0 / peak)).astype(np.int8).tolist()
    return scaled


def patent_index_body(dim: int = 256) -> dict[str, Any]:
    props: dict[str, Any] = {f"{f}_t": dict(_TEXT) for f in PATENT_TEXT_FIELDS}
    props.update({f: dict(_KW) for f in (*PATENT_FACETS, "mode", "number", "ipc")})
    props.update({
        "id": {"type": "long"},
        "published": {"type": "boolean"},
        "application_date": {"type": "date", "format": "strict_date"},
        "grade_rank": {"type": "integer"},
        "doc": {"type": "object", "enabled": False},
        "vec": _vector_field(dim),
    })
    return {"settings": _settings(), "mappings": _mappings(props)}


def _mappings(props: dict[str, Any]) -> dict[str, Any]:
    # Token fields and the indexed vector are derived data: keep them out of _source
    # (the document's own packed vector travels inside ``doc``).
    return {"dynamic": "strict", "_source": {"excludes": ["*_t", "vec"]}, "properties": props}


def need_index_body(dim: int = 256) -> dict[str, Any]:
    props: dict[str, Any] = {f"{f}_t": dict(_TEXT) for f in NEED_TEXT_FIELDS}
    props.update({f: dict(_KW) for f in NEED_FACETS})
    props.update({
        "id": {"type": "long"},
        "public": {"type": "boolean"},
        "status": dict(_KW),
        "valid_until": {"type": "date", "format": "strict_date"},
        "doc": {"type": "object", "enabled": False},
        "vec": _vector_field(dim),
    })
    return {"settings": _settings(), "mappings": _mappings(props)}


def _fields(weights: dict[str, float]) -> list[str]:
    return [f"{f}_t^{w:g}" for f, w in weights.items()]


def _combined(tokens: Sequence[str], weights: dict[str, float], operator: str = "or", boost: float = 1.0) -> dict[str, Any]:
    """BM25F over all text fields (field weights scale term frequency), like FTS5's bm25()."""
    body: dict[str, Any] = {"query": " ".join(dict.fromkeys(tokens)), "fields": _fields(weights), "operator": operator}
    if boost != 1.0:
        body["boost"] = boost
    return {"combined_fields": body}


def unit_query(query: AnalyzedQuery, weights: dict[str, float], any_unit: bool = False) -> dict[str, Any]:
    """Every unit must match (its word, or all its bigrams, or its synonym token); ``any_unit``: at least one."""
    clauses = []
    for unit in query.units:
        if unit.prefix:
            alts: list[dict[str, Any]] = [{"prefix": {f"{f}_t": unit.word}} for f in weights]
        else:
            alts = [_combined([unit.word], weights)]
            if unit.bigrams:
                alts.append(_combined(unit.bigrams, weights, operator="and"))
            if unit.synonym and unit.synonym != unit.word:
                alts.append(_combined([unit.synonym], weights))
        clauses.append({"bool": {"should": alts, "minimum_should_match": 1}})
    if any_unit:
        return {"bool": {"should": clauses, "minimum_should_match": 1}}
    return {"bool": {"must": clauses}}


def groups_query(groups: TermGroups, weights: dict[str, float]) -> dict[str, Any]:
    """Σ weight × BM25F(OR of group terms): ranked retrieval for matching."""
    return {"bool": {"should": [_combined(terms, weights, boost=w) for terms, w in groups if terms],
                     "minimum_should_match": 1}}


def _filters(filters: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [{"terms": {field: values}} for field, values in filters.items()]


def _aggs(facets: Sequence[str], size: int) -> dict[str, Any]:
    # Ties by key ascending, as in the embedded backend.
    return {f: {"terms": {"field": f, "size": size, "order": [{"_count": "desc"}, {"_key": "asc"}]}} for f in facets}


def _search(query: dict[str, Any], filters: list[dict[str, Any]], sort: list[Any], plan: SearchPlan,
            facets: Sequence[str], facet_size: int) -> dict[str, Any]:
    return {
        "query": {"bool": {"must": [query], "filter": filters}},
        "sort": sort,
        "from": plan.offset,
        "size": plan.per_page,
        "track_total_hits": True,
        "_source": ["doc"],
        "aggs": _aggs(facets, facet_size),
    }


def patent_search(plan: SearchPlan, facet_size: int) -> dict[str, Any]:
    has_q = bool(plan.query.units)
    query = unit_query(plan.query, PATENT_TEXT_FIELDS, plan.any_unit) if has_q else {"match_all": {}}
    newest: list[Any] = [{"application_date": {"order": "desc", "missing": "_last"}}, {"id": "desc"}]
    rel: list[Any] = [{"_score": "desc"}, {"id": "asc"}] if has_q else newest
    sort = {
        "relevance": rel,
        "application_date_desc": [{"application_date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
        "application_date_asc": [{"application_date": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
        "grade": [{"grade_rank": "asc"}, *rel],
    }[plan.sort]
    filters = [{"term": {"published": True}}, *_filters(plan.filters)]
    return _search(query, filters, sort, plan, PATENT_FACETS, facet_size)


def _open_need_filters(today: date) -> list[dict[str, Any]]:
    return [
        {"term": {"status": "open"}},
        {"bool": {"should": [{"bool": {"must_not": {"exists": {"field": "valid_until"}}}},
                             {"range": {"valid_until": {"gte": today.isoformat()}}}],
                  "minimum_should_match": 1}},
    ]


def need_search(plan: SearchPlan, facet_size: int, today: date) -> dict[str, Any]:
    has_q = bool(plan.query.units)
    query = unit_query(plan.query, NEED_TEXT_FIELDS, plan.any_unit) if has_q else {"match_all": {}}
    sort: list[Any] = [{"_score": "desc"}, {"id": "asc"}] if has_q and plan.sort == "relevance" else [{"id": "desc"}]
    filters = [{"term": {"public": True}}, *_open_need_filters(today), *_filters(plan.filters)]
    return _search(query, filters, sort, plan, NEED_FACETS, facet_size)


# Documents a cheap first stage hands to the exact rescoring, per document wanted.
RESCORE_FACTOR = 2


def _ranked(groups: TermGroups, first: TermGroups | None, weights: dict[str, float],
            filters: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """Top-k by ``groups_query(groups)``.

    ``combined_fields`` has no per-block score bounds, so Elasticsearch scores
    every document containing any query term; a common bigram alone makes that
    tens of thousands at 100k documents. With ``first`` (the groups reduced to
    their selective terms, ``bm25.selective_groups``) those find the best
    ``RESCORE_FACTOR × k`` documents, which ``groups`` then scores exactly — as
    the embedded backend does. Ties keep index order (a rescored request
    cannot sort); callers order by (score, id) afterwards.
    """
    body: dict[str, Any] = {"size": k, "_source": ["doc"], "track_total_hits": False}
    if first and first != groups:
        body["query"] = {"bool": {"must": [groups_query(first, weights)], "filter": filters}}
        body["rescore"] = {"window_size": RESCORE_FACTOR * k,
                           "query": {"rescore_query": groups_query(groups, weights),
                                     "query_weight": 0.0, "rescore_query_weight": 1.0}}
    else:
        body["query"] = {"bool": {"must": [groups_query(groups, weights)], "filter": filters}}
        body["sort"] = [{"_score": "desc"}, {"id": "asc"}]
    return body


def patent_candidates(groups: TermGroups, segments: Sequence[str], k: int,
                      first: TermGroups | None = None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"term": {"published": True}}]
    if segments:
        filters.append({"terms": {"segment": list(segments)}})
    return _ranked(groups, first, PATENT_TEXT_FIELDS, filters, k)


def need_candidates(groups: TermGroups, segments: Sequence[str], k: int, today: date,
                    first: TermGroups | None = None) -> dict[str, Any]:
    filters = _open_need_filters(today)
    if segments:
        filters.append({"terms": {"segment": list(segments)}})
    return _ranked(groups, first, NEED_TEXT_FIELDS, filters, k)


def term_stats_request(terms: Sequence[str], weights: dict[str, float]) -> dict[str, Any]:
    """A ``_termvectors`` request for an artificial document: the index's document frequency of each term."""
    text = " ".join(terms)
    return {"doc": {f"{f}_t": text for f in weights}, "term_statistics": True, "field_statistics": True,
            "positions": False, "offsets": False, "payloads": False}


def doc_freqs(resp: dict[str, Any]) -> tuple[dict[str, int], int]:
    """(term → documents containing it in its most frequent field, documents with text) of a term-stats answer."""
    df: dict[str, int] = {}
    n_docs = 0
    for stats in resp.get("term_vectors", {}).values():
        n_docs = max(n_docs, stats.get("field_statistics", {}).get("doc_count", 0))
        for term, info in stats.get("terms", {}).items():
            df[term] = max(df.get(term, 0), info.get("doc_freq", 0))
    return df, n_docs


def knn_search(vector: F32, k: int, filters: list[dict[str, Any]]) -> dict[str, Any]:
    """Approximate nearest vectors (HNSW), ``k`` of them, among documents passing ``filters``.

    ``num_candidates`` is explored per segment; a rebuilt index has one segment per shard,
    where 3 × k finds the nearest vectors as the ~20 segments of a bulk load did with 2 × k
    (dev nDCG@10 0.4551 on Elasticsearch; 2 × k on one segment: 0.4549).
    """
    return {"knn": {"field": "vec", "query_vector": byte_vector(vector), "k": k, "num_candidates": max(100, 3 * k),
                    "filter": filters},
            "size": k, "_source": ["doc"], "track_total_hits": False}


def patent_knn(vector: F32, segments: Sequence[str], k: int) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"term": {"published": True}}]
    if segments:
        filters.append({"terms": {"segment": list(segments)}})
    return knn_search(vector, k, filters)


def need_knn(vector: F32, segments: Sequence[str], k: int, today: date) -> dict[str, Any]:
    filters = _open_need_filters(today)
    if segments:
        filters.append({"terms": {"segment": list(segments)}})
    return knn_search(vector, k, filters)


def cosine(es_score: float) -> float:
    """Elasticsearch reports a cosine kNN hit as (1 + cos) / 2."""
    return 2.0 * es_score - 1.0
