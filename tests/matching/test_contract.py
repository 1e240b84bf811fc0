"""Contract suite: both backends must behave the same on the same documents."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest

from matching import (
    NeedQuery, PatentQuery, QueryTooLong, SearchUnavailable, create_backend,
)
from matching.fields import PATENT_FACETS, patent_facets

from conftest import CATHODE_NEED, TODAY

HIDDEN_PATENTS = {9001, 9002}
HIDDEN_NEEDS = {9101, 9102, 9103}


def _listed(corpus):
    patents, _ = corpus
    return [p for p in patents if p.matchable]


def _expected_facets(docs) -> dict[str, Counter]:
    out: dict[str, Counter] = {f: Counter() for f in PATENT_FACETS}
    for doc in docs:
        for f, values in patent_facets(doc).items():
            if f in out:
                out[f].update(values)
    return out


def _as_counter(facet_values) -> Counter:
    return Counter({fv.value: fv.count for fv in facet_values})


def test_cathode_need_ranks_cathode_patents_first(loaded):
    matches = loaded.match_patents(CATHODE_NEED, limit=10)
    assert len(matches) >= 5
    for m in matches[:4]:
        text = m.patent.title + m.patent.abstract
        assert "正极" in text and "锂" in text, m.patent.title
    assert all(a.score >= b.score for a, b in zip(matches, matches[1:]))


def test_match_explanations(loaded):
    m = loaded.match_patents(CATHODE_NEED, limit=3)[0]
    codes = {f.code for f in m.explanation.factors}
    assert "text" in codes and "segment_match" in codes
    assert m.explanation.matched_terms
    assert any("<mark>" in h for h in m.explanation.highlights.values())
    assert abs(m.score - sum(f.contribution for f in m.explanation.factors)) < 1e-6
    json.dumps(m.to_dict(), ensure_ascii=False)


def test_hidden_documents_never_show(loaded):
    matches = loaded.match_patents(replace(CATHODE_NEED, description="锂硫电池正极材料 秘密配方 草稿 已终止"), limit=50, floor=0)
    assert not {m.patent.id for m in matches} & HIDDEN_PATENTS
    page = loaded.search_patents(PatentQuery(q="锂硫电池正极材料", per_page=100))
    assert page.total > 0 and not {h.patent.id for h in page.hits} & HIDDEN_PATENTS
    assert loaded.search_patents(PatentQuery(q="秘密配方")).total == 0
    needs = loaded.search_needs(NeedQuery(q="锂硫电池正极", per_page=100), today=TODAY)
    assert not {h.need.id for h in needs.hits} & HIDDEN_NEEDS
    browse = loaded.search_needs(NeedQuery(per_page=100), today=TODAY)
    assert not {h.need.id for h in browse.hits} & HIDDEN_NEEDS


def test_private_needs_are_matched_but_closed_and_expired_are_not(loaded, corpus):
    patent = next(p for p in corpus[0] if "锂硫电池正极材料" in p.title and p.matchable)
    ids = {m.need.id for m in loaded.match_needs(patent, limit=50, today=TODAY, floor=0)}
    assert 9101 in ids and not ids & {9102, 9103}


def test_needs_restricted_to_organisations_are_the_unrestricted_matches_of_those_organisations(loaded, corpus):
    """A push asks only for its subscribers' needs: the same matches, scores and explanations, never another's."""
    patents = [p for p in corpus[0] if p.matchable][:12]
    checked = 0
    for patent in patents:
        everyone = loaded.match_needs(patent, limit=500, today=TODAY, floor=0)
        orgs = {m.need.org_id for m in everyone[1::2]}  # every other organisation, so the best ones drop out too
        if not orgs:
            continue
        expected = [m for m in everyone if m.need.org_id in orgs][:3]
        got = loaded.match_needs(patent, limit=3, today=TODAY, floor=0, orgs=orgs)
        assert [(m.need.id, m.score, m.explanation.to_dict()) for m in got] == \
            [(m.need.id, m.score, m.explanation.to_dict()) for m in expected]
        checked += 1
    assert checked >= 5
    assert loaded.match_needs(patents[0], limit=5, today=TODAY, floor=0, orgs=set()) == []

def test_a_short_match_list_is_the_head_of_the_long_one(loaded, corpus):
    """Only candidates that can reach the first places get their business factors scored: the first k
    matches are those of a list long enough to score every candidate, with the same scores."""
    checked = 0
    for need in corpus[1]:
        for floor in (0, None, 20):
            full = loaded.match_patents(need, limit=500, floor=floor)
            if len(full) < 6 or {round(m.score - m.explanation.relevance, 6) for m in full} == {0.0}:
                continue  # too few candidates, or no business factor moved any of them
            for k in (1, 3, 5):
                assert [(m.patent.id, m.score) for m in loaded.match_patents(need, limit=k, floor=floor)] == \
                    [(m.patent.id, m.score) for m in full[:k]]
            checked += 1
    assert checked >= 3


def test_browse_facets_equal_listed_docs(loaded, corpus):
    listed = _listed(corpus)
    page = loaded.search_patents(PatentQuery(per_page=5))
    assert page.total == len(listed)
    expected = _expected_facets(listed)
    for facet in PATENT_FACETS:
        assert _as_counter(page.facets[facet]) == +expected[facet], facet


def test_filtered_facets_and_hierarchical_segments(loaded, corpus):
    docs = [p for p in _listed(corpus) if "新材料" in p.segments and p.grade in ("A", "B")]
    page = loaded.search_patents(PatentQuery(segments=["新材料"], grades=["A", "B"], per_page=100))
    assert page.total == len(docs) > 0
    assert {h.patent.id for h in page.hits} == {d.id for d in docs}
    # the parent code finds documents filed under its children
    assert any(s.startswith("新材料-") for h in page.hits for s in h.patent.segments)
    expected = _expected_facets(docs)
    for facet in PATENT_FACETS:
        assert _as_counter(page.facets[facet]) == +expected[facet], facet


def test_text_search_with_filters_counts(loaded):
    page = loaded.search_patents(PatentQuery(q="锂电池", open_license=True, per_page=100))
    assert page.total == len(page.hits)
    assert all(h.patent.open_license for h in page.hits)
    assert sum(v.count for v in page.facets["open_license"]) == page.total
    assert all("<mark>" in "".join(h.highlights.values()) for h in page.hits)


def test_unknown_facet_value_matches_nothing(loaded):
    assert loaded.search_patents(PatentQuery(segments=["不存在的领域"])).total == 0
    assert loaded.search_patents(PatentQuery(owner_ids=[424242])).total == 0


def test_pagination_past_the_end(loaded, corpus):
    total = len(_listed(corpus))
    page = loaded.search_patents(PatentQuery(page=1000, per_page=10))
    assert page.hits == [] and page.total == total
    seen = set()
    for n in range(1, -(-total // 10) + 1):
        seen |= {h.patent.id for h in loaded.search_patents(PatentQuery(page=n, per_page=10)).hits}
    assert len(seen) == total


def test_sorting(loaded):
    desc = [h.patent.application_date for h in loaded.search_patents(PatentQuery(sort="application_date_desc", per_page=100)).hits]
    dated = [d for d in desc if d]
    assert dated == sorted(dated, reverse=True) and desc[: len(dated)] == dated  # undated last
    asc = [h.patent.application_date for h in loaded.search_patents(PatentQuery(sort="application_date_asc", per_page=100)).hits]
    assert [d for d in asc if d] == sorted(dated)
    grades = [h.patent.grade for h in loaded.search_patents(PatentQuery(q="材料", sort="grade", per_page=100)).hits]
    rank = {"A": 0, "B": 1, "C": 2, "D": 3, None: 4}
    assert [rank[g] for g in grades] == sorted(rank[g] for g in grades)


def test_punctuation_and_hostile_queries(loaded):
    assert loaded.search_patents(PatentQuery(q="？！……***")).total == 0
    page = loaded.search_patents(PatentQuery(q='title:(a OR b)^3 AND * 正极"'))
    assert page.total >= 0  # plain text, no syntax error
    with pytest.raises(QueryTooLong):
        loaded.search_patents(PatentQuery(q="x" * 2001))


def test_need_search_facets(loaded, corpus):
    _, needs = corpus
    listed = [n for n in needs if n.public and n.is_open(TODAY)]
    page = loaded.search_needs(NeedQuery(per_page=100), today=TODAY)
    assert page.total == len(listed)
    assert _as_counter(page.facets["mode"]) == Counter(m for n in listed for m in set(n.modes))
    seg = loaded.search_needs(NeedQuery(segments=["制造业"], modes=["license"]), today=TODAY)
    assert seg.total == sum(1 for n in listed if "制造业" in n.segments and "license" in n.modes)


def test_synonym_search(loaded):
    a = {h.patent.id for h in loaded.search_patents(PatentQuery(q="锂离子电池", per_page=100)).hits}
    b = {h.patent.id for h in loaded.search_patents(PatentQuery(q="锂电池", per_page=100)).hits}
    assert a and a <= b


def test_index_upsert_and_delete(backend, corpus):
    patents, needs = corpus
    doc = next(p for p in patents if "锂硫电池正极材料" in p.title and p.matchable)
    backend.index_patents([doc])
    backend.index_needs([needs[0]])
    backend.refresh()
    assert backend.search_patents(PatentQuery(q="锂硫电池")).total == 1
    backend.index_patents([replace(doc, published=False)])  # unpublishing removes it
    backend.refresh()
    assert backend.search_patents(PatentQuery(q="锂硫电池")).total == 0
    backend.index_patents([doc])
    backend.refresh()
    backend.delete_patent(doc.id)
    backend.delete_patent(123456789)  # missing id: no error
    backend.delete_need(needs[0].id)
    backend.refresh()
    assert backend.search_patents(PatentQuery(q="锂硫电池")).total == 0
    assert backend.search_needs(NeedQuery(), today=TODAY).total == 0
    assert backend.match_patents(CATHODE_NEED) == []


def test_matches_see_needs_written_since_the_last_match(backend, corpus):
    """A need expired, then extended, after a match: the next match of the same patent follows each write
    (filters a backend keeps between matches must not outlive a write)."""
    patents, needs = corpus
    backend.rebuild(patents, needs)
    backend.refresh()
    patent = next(p for p in patents if "锂硫电池正极材料" in p.title and p.matchable)
    private = next(n for n in needs if n.id == 9101)

    def matched() -> set[int]:
        return {m.need.id for m in backend.match_needs(patent, limit=50, today=TODAY, floor=0)}

    assert 9101 in matched()
    backend.index_needs([replace(private, valid_until=date(2020, 1, 1))])
    backend.refresh()
    assert 9101 not in matched()
    backend.index_needs([private])
    backend.refresh()
    assert 9101 in matched()


def test_rebuild_swaps_without_empty_window(backend, corpus):
    patents, needs = corpus
    first = backend.rebuild(patents, needs)
    backend.refresh()
    totals: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def probe() -> None:
        while not stop.is_set():
            try:
                totals.append(backend.search_patents(PatentQuery(q="材料")).total)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    thread = threading.Thread(target=probe)
    thread.start()
    try:
        second = backend.rebuild(patents, needs)
        backend.rebuild(patents, needs)
    finally:
        stop.set()
        thread.join()
    assert not errors and totals and min(totals) > 0
    assert first.patent_index != second.patent_index
    assert backend.search_patents(PatentQuery(q="材料")).total == totals[0]


def test_es_unreachable_raises_search_unavailable():
    backend = create_backend("http://127.0.0.1:9", "", index_prefix="nowhere", request_timeout=2)
    with pytest.raises(SearchUnavailable):
        backend.search_patents(PatentQuery(q="锂电池"))
    with pytest.raises(SearchUnavailable):
        backend.index_patents([])
    with pytest.raises(SearchUnavailable):
        backend.match_patents(CATHODE_NEED)
    assert backend.ping() is False


def test_embedded_unusable_path_raises_search_unavailable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    backend = create_backend(None, str(blocker / "index.sqlite3"))
    with pytest.raises(SearchUnavailable):
        backend.search_patents(PatentQuery(q="锂电池"))
