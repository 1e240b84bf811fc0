"""Query building: user text reaches the backends only as analyzer tokens."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from matching import NeedQuery, PatentQuery, QueryTooLong
from matching import embedded_sql, es_queries
from matching.querying import plan
from matching.text import Analyzer

HOSTILE = 'title:(a OR b)^3 AND * "锂电池" -正极 {"script": 1} \\ ~2 /re.*/'


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.default()


def _strings(node):
    if isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    elif isinstance(node, str):
        yield node


def test_es_body_carries_plain_match_text(analyzer):
    p = plan(PatentQuery(q=HOSTILE), analyzer)
    body = es_queries.patent_search(p, facet_size=10)
    text = json.dumps(body, ensure_ascii=False)
    assert "query_string" not in text and "simple_query_string" not in text and "script" not in text.replace('"script"', "")
    queries = [mm["query"] for mm in _find(body, "combined_fields")]
    assert queries, "expected combined_fields clauses"
    for q in queries:
        assert all(tok.isalnum() for tok in q.split(" ")), q
    assert {"title", "锂电池", "正极"} <= {t for q in queries for t in q.split(" ")}


def test_es_body_has_no_scripts(analyzer):
    p = plan(PatentQuery(q="锂电池", sort="grade"), analyzer)
    for body in (es_queries.patent_search(p, 10), es_queries.patent_candidates(((("锂电池",), 2.0), (("锂电池", "正极"), 1.0)), ["SEI"], 50),
                 es_queries.need_candidates(((("锂电池",), 1.0),), [], 50, date(2024, 1, 1))):
        assert "script" not in set(_strings(body))
        assert "painless" not in json.dumps(body)


def test_es_mapping_uses_only_core_analysis():
    for body in (es_queries.patent_index_body(), es_queries.need_index_body()):
        assert "analysis" not in body["settings"]
        analyzers = {p.get("analyzer") for p in body["mappings"]["properties"].values()} - {None}
        assert analyzers == {"whitespace"}


def test_fts_expression_quotes_tokens(analyzer):
    p = plan(PatentQuery(q=HOSTILE), analyzer)
    expr = embedded_sql.unit_expression(p.query)
    for part in expr.replace("(", " ").replace(")", " ").split():
        assert part in ("AND", "OR") or (part.startswith('"') and part.endswith('"') and part[1:-1].isalnum())


def test_fts_refuses_non_token():
    with pytest.raises(ValueError):
        embedded_sql.any_expression(['a" OR "b'])


def test_unit_semantics(analyzer):
    p = plan(PatentQuery(q="锂电池"), analyzer)
    assert embedded_sql.unit_expression(p.query) == '("锂电池" OR ("锂电" AND "电池"))'


def test_query_too_long_names_field(analyzer):
    with pytest.raises(QueryTooLong) as err:
        plan(PatentQuery(q="锂" * 2001), analyzer)
    assert err.value.field == "q" and isinstance(err.value, ValueError)
    plan(PatentQuery(q="锂" * 2000), analyzer)


def test_punctuation_only_matches_nothing_and_empty_browses(analyzer):
    assert plan(PatentQuery(q="？！…*"), analyzer).match_nothing
    browse = plan(NeedQuery(q="   "), analyzer)
    assert not browse.match_nothing and browse.query.empty


def test_paging_is_clamped_and_sort_validated(analyzer):
    p = plan(PatentQuery(page=0, per_page=10_000), analyzer)
    assert (p.page, p.per_page) == (1, 100)
    with pytest.raises(ValueError):
        plan(PatentQuery(sort="price; DROP TABLE"), analyzer)


def test_filters_are_strings(analyzer):
    p = plan(PatentQuery(owner_ids=[7], open_license=True, ipc_sections=["h"]), analyzer)
    assert p.filters == {"owner_id": ["7"], "open_license": ["true"], "ipc_section": ["H"]}


def _find(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _find(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _find(v, key)


def test_candidates_rescore_selective_first_stage():
    groups = ((("锂电池",), 2.0), (("锂电池", "正极", "材料"), 1.0))
    first = ((("锂电池",), 2.0), (("锂电池", "正极"), 1.0))
    body = es_queries.patent_candidates(groups, ["SEI"], 30, first)
    assert body["size"] == 30 and "sort" not in body  # rescoring needs score order
    first_text = {c["query"] for c in _find(body["query"], "combined_fields")}
    assert first_text == {"锂电池", "锂电池 正极"}
    rescore = body["rescore"]
    assert rescore["window_size"] == es_queries.RESCORE_FACTOR * 30
    assert rescore["query"]["rescore_query"] == es_queries.groups_query(groups, es_queries.PATENT_TEXT_FIELDS)
    assert rescore["query"]["query_weight"] == 0.0
    exact = es_queries.patent_candidates(groups, ["SEI"], 30, groups)  # nothing to leave out: one exact pass
    assert "rescore" not in exact and exact["sort"][0] == {"_score": "desc"}


def test_doc_freqs_take_each_terms_most_frequent_field():
    resp = {"term_vectors": {
        "title_t": {"field_statistics": {"doc_count": 90}, "terms": {"锂电池": {"doc_freq": 5}, "正极": {"doc_freq": 1}}},
        "abstract_t": {"field_statistics": {"doc_count": 80}, "terms": {"锂电池": {"doc_freq": 9}, "材料": {}}},
    }}
    assert es_queries.doc_freqs(resp) == ({"锂电池": 9, "正极": 1, "材料": 0}, 90)
    request = es_queries.term_stats_request(["锂电池", "正极"], es_queries.PATENT_TEXT_FIELDS)
    assert request["doc"]["title_t"] == "锂电池 正极" and request["term_statistics"]


def test_selective_groups_may_keep_terms_of_unknown_frequency():
    from matching.bm25 import selective_groups

    groups = ((("的确", "锂电池", "新词"), 1.0),)
    df = {"的确": 900, "锂电池": 3}
    assert selective_groups(groups, df, 1000) == ((("锂电池",), 1.0),)
    assert selective_groups(groups, df, 1000, keep_absent=True) == ((("新词", "锂电池"), 1.0),)



def test_a_groups_walk_takes_its_rarest_terms_up_to_a_fixed_number_of_rows():
    """The top-k walk's cost must not grow with the corpus: at 100 times the documents, terms that each pass the
    2 % rule are walked, rarest first, only while their frequencies add up to WALK_ROWS; the rest still score."""
    from matching.bm25 import WALK_ROWS, selective_groups

    terms = ("锂电池", "正极", "电解液", "隔膜")
    small = {"锂电池": 10, "正极": 20, "电解液": 30, "隔膜": 40}
    assert selective_groups(((terms, 1.0),), small, 10_000) == ((("锂电池", "正极", "电解液", "隔膜"), 1.0),)
    large = {t: d * (WALK_ROWS // 40) for t, d in small.items()}  # the same shares of a corpus 100 times larger
    walked = selective_groups(((terms, 1.0),), large, 1_000_000)
    assert walked == ((("锂电池", "正极"), 1.0),)
    assert sum(large[t] for t in walked[0][0]) <= WALK_ROWS
    # the rarest term is walked even alone past the budget, so no group is left without candidates
    assert selective_groups(((("隔膜",), 1.0),), {"隔膜": 2 * WALK_ROWS}, 1_000_000) == ((("隔膜",), 1.0),)


def test_vectors_go_to_elasticsearch_as_bytes_scaled_to_their_largest_component():
    rng = np.random.default_rng(7)
    vector = rng.standard_normal(256).astype(np.float32)
    vector /= np.linalg.norm(vector)
    scaled = es_queries.byte_vector(vector)
    assert scaled is not None and all(isinstance(x, int) for x in scaled)
    assert max(abs(x) for x in scaled) == 127
    as_array = np.asarray(scaled, np.float32)
    assert float(as_array @ vector) / float(np.linalg.norm(as_array)) > 0.9999  # the direction is kept
    assert es_queries.byte_vector(np.zeros(256, np.float32)) is None
    body = es_queries.patent_knn(vector, ["新能源"], 20)
    assert body["knn"]["query_vector"] == scaled
    mapping = es_queries.patent_index_body(256)["mappings"]["properties"]["vec"]
    assert mapping["element_type"] == "byte" and mapping["similarity"] == "cosine"
