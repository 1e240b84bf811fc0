"""The embedded backend's connection pool: a fixed number of connections whatever the thread count."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from matching import NeedDoc, NeedQuery, PatentQuery
from matching import embedded
from matching.embedded import EmbeddedBackend, _Pool, _Vectors
from matching.errors import SearchUnavailable
from matching.text import Analyzer
from tests.matching.conftest import TODAY


@pytest.fixture(scope="module")
def small(corpus, tmp_path_factory) -> EmbeddedBackend:
    patents, needs = corpus
    backend = EmbeddedBackend(str(tmp_path_factory.mktemp("pool") / "pool.sqlite3"), Analyzer.default(), pool_size=2,
                              cache_kib=1024)
    backend.rebuild(patents, needs)
    return backend


def test_many_threads_share_a_fixed_number_of_connections(small: EmbeddedBackend, monkeypatch) -> None:
    words = ["电池", "装置", "方法", "锂", "材料", "系统"] * 8
    expected = {w: [h.patent.id for h in small.search_patents(PatentQuery(q=w)).hits] for w in words}
    small.close()
    opened = []
    original = _Pool._open

    def counting(pool: _Pool):
        opened.append(threading.get_ident())
        return original(pool)

    monkeypatch.setattr(_Pool, "_open", counting)
    with ThreadPoolExecutor(12) as ex:
        got = list(ex.map(lambda w: [h.patent.id for h in small.search_patents(PatentQuery(q=w)).hits], words))
    assert got == [expected[w] for w in words]
    assert 1 <= len(opened) <= 2
    for conn in list(small._connections()._idle.queue):
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -1024


def test_a_connection_comes_back_even_when_the_work_fails(small: EmbeddedBackend) -> None:
    for _ in range(5):  # more failures than connections: each one must have been returned
        with pytest.raises(RuntimeError):
            with small._tx() as conn:
                conn.execute("SELECT 1")
                raise RuntimeError("boom")
    assert small.search_patents(PatentQuery(q="电池")).total > 0
    assert not any(c.in_transaction for c in small._connections()._idle.queue)


def test_close_then_use_again(small: EmbeddedBackend) -> None:
    small.close()
    assert small.ping()
    assert small.search_patents(PatentQuery(q="电池")).total > 0


def test_unreachable_file_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    backend = EmbeddedBackend(str(blocker / "sub" / "index.sqlite3"), Analyzer.default())
    assert not backend.ping()
    with pytest.raises(SearchUnavailable):
        backend.search_patents(PatentQuery(q="电池"))


@pytest.mark.parametrize("q", ["", "方法", "电池", "装置 系统"])
def test_facets_counted_in_memory_equal_sqlite(corpus, tmp_path, monkeypatch, q: str) -> None:
    """Large hit sets are counted from the in-memory facet rows: same counts, same order; a write is seen."""
    from dataclasses import replace

    from matching import embedded

    patents, needs = corpus
    backend = EmbeddedBackend(str(tmp_path / "f.sqlite3"), Analyzer.default())
    backend.rebuild(patents, needs)

    def both() -> tuple[object, object]:
        monkeypatch.setattr(embedded, "FACETS_IN_MEMORY", 10**9)
        by_sql = [backend.search_patents(PatentQuery(q=q, page=2)), backend.search_needs(NeedQuery(q=q))]
        monkeypatch.setattr(embedded, "FACETS_IN_MEMORY", 0)
        in_memory = [backend.search_patents(PatentQuery(q=q, page=2)), backend.search_needs(NeedQuery(q=q))]
        return [(p.total, p.facets) for p in by_sql], [(p.total, p.facets) for p in in_memory]

    sql, mem = both()
    assert sql == mem
    assert any(values for _, facets in sql for values in facets.values())
    listed = next(p for p in patents if p.matchable)
    backend.index_patents([replace(listed, segments=["新增细分领域"], title=f"{listed.title} 方法 电池 装置 系统")])
    sql_after, mem_after = both()
    assert sql_after == mem_after
    assert sql_after != sql
    backend.close()


def test_date_sorted_page_carries_the_same_scores(small: EmbeddedBackend) -> None:
    """A date-sorted search scores only its page's hits: each score equals the one the relevance sort gives."""
    by_relevance = small.search_patents(PatentQuery(q="方法", per_page=100))
    scores = {h.patent.id: h.score for h in by_relevance.hits}
    assert by_relevance.total <= 100 and len(scores) > 5
    for sort in ("application_date_desc", "application_date_asc"):
        page = small.search_patents(PatentQuery(q="方法", sort=sort, per_page=7, page=2))
        assert page.hits and page.total == by_relevance.total
        assert [h.score for h in page.hits] == pytest.approx([scores[h.patent.id] for h in page.hits])
        assert all(h.score > 0 for h in page.hits)


@pytest.mark.parametrize("sort", ["application_date_desc", "application_date_asc", "grade", "relevance"])
def test_an_unfiltered_search_sorted_in_memory_orders_like_sql(small: EmbeddedBackend, corpus, monkeypatch,
                                                                sort: str) -> None:
    """Without a filter, dates and grades come from the in-memory sort keys; with a filter every patent
    passes, from SQL's ORDER BY over the joined rows: the pages must be the same."""
    from matching.embedded import _SortKeys

    used = []
    original = _SortKeys.page
    monkeypatch.setattr(_SortKeys, "page", lambda self, hits, plan: used.append(1) or original(self, hits, plan))
    every_type = sorted({p.patent_type for p in corpus[0]})
    assert any(p.application_date is None for p in corpus[0] if p.matchable)
    for q in ("电池", "方法", ""):
        for page in (1, 2, 3):
            fast = small.search_patents(PatentQuery(q=q, sort=sort, page=page, per_page=4))
            by_sql = small.search_patents(PatentQuery(q=q, sort=sort, page=page, per_page=4, patent_types=every_type))
            assert fast.total == by_sql.total
            assert [(h.patent.id, h.score) for h in fast.hits] == [(h.patent.id, h.score) for h in by_sql.hits]
    assert used  # the in-memory path ran


def test_documents_are_decoded_once_until_their_index_is_written(corpus, tmp_path, monkeypatch) -> None:
    """A push ranks the same open needs for patent after patent: each is decoded once, until a write to the
    needs index, whose documents are then read afresh."""
    patents, needs = corpus
    backend = EmbeddedBackend(str(tmp_path / "docs.sqlite3"), Analyzer.default())
    backend.rebuild(patents, needs)
    decoded: list[int] = []
    original = NeedDoc.from_dict.__func__

    def counting(cls, data):
        decoded.append(data["id"])
        return original(cls, data)

    monkeypatch.setattr(NeedDoc, "from_dict", classmethod(counting))
    first = backend.match_needs(patents[0], today=TODAY, floor=0)
    assert first and len(decoded) >= len(first)
    before = len(decoded)
    assert [m.need.id for m in backend.match_needs(patents[0], today=TODAY, floor=0)] == [m.need.id for m in first]
    assert len(decoded) == before  # the second ranking decoded nothing
    need = next(n for n in needs if n.id == first[0].need.id)
    backend.index_needs([replace(need, title=need.title + "（已更新）")])
    again = {m.need.id: m.need.title for m in backend.match_needs(patents[0], today=TODAY, floor=0)}
    assert again[need.id] == need.title + "（已更新）" and len(decoded) > before
    # Patents are many and a page shows a few: their documents are decoded each time, never kept.
    assert backend.search_patents(PatentQuery(q="电池")).hits
    assert backend._doc_cache and all(version.startswith("n") for version in backend._doc_cache)


def test_a_matrix_read_in_blocks_holds_every_stored_vector_in_order(small: EmbeddedBackend, monkeypatch) -> None:
    monkeypatch.setattr(embedded, "VECTOR_BLOCK", 3)  # the corpus's patents span several blocks and a partial one
    with small._tx() as conn:
        v = small._alias(conn, "patents")
        stored = conn.execute(f"SELECT id, vec FROM {v}_vec").fetchall()
        built = _Vectors.load(conn, f"{v}_vec", gen=7)
        conn.execute("CREATE TEMP TABLE no_vec (id INTEGER PRIMARY KEY, vec BLOB)")
        empty = _Vectors.load(conn, "temp.no_vec", gen=7)
    assert len(stored) > 3 and len(stored) % 3
    assert built.ids.tolist() == [i for i, _ in stored]
    expected = np.stack([np.frombuffer(b, np.float16) for _, b in stored]).astype(np.float32)
    assert built.matrix.dtype == np.float32 and np.array_equal(built.matrix, expected)
    assert len(empty.ids) == 0 and empty.matrix.shape == (0, 0)


def test_warm_loads_the_tables_a_first_search_would(small: EmbeddedBackend) -> None:
    fresh = EmbeddedBackend(small.path, Analyzer.default(), pool_size=1, cache_kib=1024)
    try:
        assert fresh._embedder is None and not fresh._vectors and fresh._sort_cache is None and not fresh._facet_cache
        fresh.warm()
        with fresh._tx() as conn:
            v = fresh._alias(conn, "patents")
        assert fresh._embedder is not None
        assert list(fresh._vectors) == [v] and len(fresh._vectors[v].ids) > 0
        assert fresh._sort_cache is not None and fresh._sort_cache.version == v
        assert [key.split(":")[0] for key in fresh._facet_cache] == [v]
    finally:
        fresh.close()


def test_the_top_k_within_a_filter_is_the_brute_force_top_k() -> None:
    rng = np.random.default_rng(7)
    ids = rng.permutation(np.arange(1000, 1400, dtype=np.int64))  # rows not in id order, as after updates
    matrix = rng.normal(size=(len(ids), 8)).astype(np.float32)
    matrix[5] = matrix[9]  # a tie, broken by id
    vectors = _Vectors(ids, matrix, gen=1)
    scores = vectors.scores(rng.normal(size=8).astype(np.float32))

    def brute(k: int, allowed: frozenset[int] | None) -> list[tuple[int, float]]:
        pairs = [(int(i), float(s)) for i, s in zip(ids, scores) if allowed is None or int(i) in allowed]
        return sorted(pairs, key=lambda p: (-p[1], p[0]))[:k]

    some = frozenset(int(i) for i in ids[::7]) | {int(ids[5]), int(ids[9]), 99_999}  # and an id with no vector
    for k, allowed in ((10, None), (400, None), (10, some), (len(some) + 5, some), (3, frozenset()),
                       (10, frozenset({int(ids[0])}))):
        assert vectors.top(scores, k, allowed) == brute(k, allowed)
    assert vectors.top(scores, 10, some) == brute(10, some)  # the filter's rows, found once, serve again
    assert list(vectors.positions) == [some, frozenset(), frozenset({int(ids[0])})]
