"""Query building: user text reaches the backends only as analyzer tokens."""

from __future__ import annotations

import json
from datetime import date

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
