"""Bulk loading: chunks analysed in worker processes index exactly what in-process analysis does."""

from __future__ import annotations

import os
import pickle
import zlib
from dataclasses import replace
from importlib import resources

import orjson
import pytest

from matching import PatentQuery, fields, parallel
from matching.documents import Analysis, PatentDoc
from matching.synonyms import SynonymTable
from matching.text import Analyzer

from conftest import make_backend


def _scaled(factor: int, chunk: list[int]) -> list[tuple[int, int]]:
    return [(factor * x, os.getpid()) for x in chunk]


def test_small_input_stays_in_process():
    out = list(parallel.map_chunks(_scaled, 3, range(10), size=4))
    assert [len(c) for c in out] == [4, 4, 2]
    assert {pid for c in out for _, pid in c} == {os.getpid()}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the pool needs two CPUs")
def test_large_input_uses_workers_and_keeps_order(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 20)
    out = list(parallel.map_chunks(_scaled, 3, iter(range(103)), size=4))
    assert [len(c) for c in out] == [4] * 25 + [3]
    assert [v for c in out for v, _ in c] == [3 * x for x in range(103)]
    assert {pid for c in out for _, pid in c} - {os.getpid()}, "no chunk ran in a worker"


def test_analyzer_survives_pickling():
    """Platforms without fork send the analyzer to spawned workers."""
    analyzer = Analyzer.default()
    copy = pickle.loads(pickle.dumps(analyzer))
    text = "一种锂离子电池正极材料的制备方法，用于UAV"
    assert copy.tokens(text) == analyzer.tokens(text)
    assert copy.tokens(text, segment=False) == analyzer.tokens(text, segment=False)


@pytest.mark.es
def test_es_rebuild_through_worker_processes(monkeypatch, corpus, tmp_path):
    from matching import es_backend

    patents, needs = corpus
    monkeypatch.setattr(es_backend, "BULK_CHUNK", 8)
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 16)
    pooled, inline = make_backend("elasticsearch", tmp_path), make_backend("elasticsearch", tmp_path)
    try:
        report = pooled.rebuild(patents, needs)
        monkeypatch.setattr(parallel, "MIN_PARALLEL", 10**6)
        inline.rebuild(patents, needs)
        pooled.refresh()
        inline.refresh()
        assert (report.patents, report.needs) == (len(patents), len(needs))
        for q in ("", "材料", "锂电池 正极", "无人机"):
            a, b = pooled.search_patents(PatentQuery(q=q, per_page=50)), inline.search_patents(PatentQuery(q=q, per_page=50))
            assert a.total == b.total and a.facets == b.facets
            assert [(h.patent.id, round(h.score, 4)) for h in a.hits] == [(h.patent.id, round(h.score, 4)) for h in b.hits]
        assert pooled.search_patents(PatentQuery()).total == sum(p.matchable for p in patents)
    finally:
        for b in (pooled, inline):
            b.drop()
            b.close()


def test_embedded_rebuild_through_worker_processes(monkeypatch, corpus, tmp_path):
    """Chunks analysed in workers and written a statement per chunk index what one document at a time did;
    an id met twice keeps its last version."""
    from dataclasses import replace

    from matching import embedded

    patents, needs = corpus
    twice = replace(patents[0], title="重复编号的专利 无人机")
    monkeypatch.setattr(embedded, "WRITE_CHUNK", 8)
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 16)
    pooled, inline = make_backend("embedded", tmp_path), make_backend("embedded", tmp_path)
    report = pooled.rebuild([*patents, twice], needs)
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 10**6)
    inline.rebuild(patents[1:], needs)
    inline.index_patents([twice])
    assert (report.patents, report.needs) == (len(patents) + 1, len(needs))
    for q in ("", "材料", "锂电池 正极", "无人机", "重复编号"):
        a, b = pooled.search_patents(PatentQuery(q=q, per_page=50)), inline.search_patents(PatentQuery(q=q, per_page=50))
        assert a.total == b.total and a.facets == b.facets
        assert [(h.patent.id, round(h.score, 4)) for h in a.hits] == [(h.patent.id, round(h.score, 4)) for h in b.hits]
    assert pooled.search_patents(PatentQuery(q="重复编号")).total == 1
    need = next(n for n in needs if n.status == "open")
    assert ([(m.patent.id, round(m.score, 4)) for m in pooled.match_patents(need, floor=0)]
            == [(m.patent.id, round(m.score, 4)) for m in inline.match_patents(need, floor=0)])
    pooled.close()
    inline.close()


def test_a_stored_analysis_decodes_to_the_tokens_it_saves_analysing(corpus):
    patents, needs = corpus
    analyzer = Analyzer.default()
    for doc in patents[:20]:
        stored = replace(doc, analysis=pickle.loads(pickle.dumps(fields.analysis(doc, analyzer))))  # as sent to workers
        assert fields.patent_text(stored, analyzer) == fields.patent_text(doc, analyzer)
    need = needs[0]
    assert fields.need_text(replace(need, analysis=fields.analysis(need, analyzer)), analyzer) == \
        fields.need_text(need, analyzer)


SYNONYM_LINES = resources.files("matching").joinpath("data/synonyms.txt").read_text("utf-8").splitlines()


def _forged(doc: PatentDoc, analyzer: Analyzer) -> Analysis:
    """An analysis that says "zzforged" wherever the real one says anything: shows whether it was used."""
    text = {f: "zzforged" for f in fields.PATENT_TEXT_FIELDS}
    return Analysis(analyzer.fingerprint, fields.analysis_inputs(doc), zlib.compress(orjson.dumps(text)))


def test_a_stored_analysis_serves_only_while_its_analyzer_and_text_are_unchanged(corpus):
    doc = corpus[0][0]
    analyzer = Analyzer.default()
    assert fields.patent_text(replace(doc, analysis=_forged(doc, analyzer)), analyzer)["title"] == "zzforged"
    edited = replace(doc, title=doc.title + "及其制备方法", analysis=_forged(doc, analyzer))
    assert fields.patent_text(edited, analyzer) == fields.patent_text(replace(edited, analysis=None), analyzer)
    other = Analyzer(SynonymTable.from_lines([*SYNONYM_LINES, "锂电池, 锂离子蓄电池"]), analyzer.stopwords)
    assert other.fingerprint != analyzer.fingerprint == Analyzer.default().fingerprint
    assert fields.patent_text(replace(doc, analysis=_forged(doc, analyzer)), other)["title"] != "zzforged"
    assert "analysis" not in replace(doc, analysis=_forged(doc, analyzer)).to_dict()  # never in an index's copy


@pytest.mark.parametrize("kind", ["embedded", pytest.param("elasticsearch", marks=pytest.mark.es)])
def test_both_backends_index_a_documents_stored_analysis(kind, corpus, tmp_path):
    backend = make_backend(kind, tmp_path)
    try:
        doc = corpus[0][0]
        backend.rebuild([replace(doc, analysis=_forged(doc, backend.analyzer))], [])
        backend.refresh()
        assert [hit.patent.id for hit in backend.search_patents(PatentQuery(q="zzforged")).hits] == [doc.id]
    finally:
        backend.drop()
        backend.close()


@pytest.mark.parametrize("kind", ["embedded", pytest.param("elasticsearch", marks=pytest.mark.es)])
def test_a_rebuild_hands_back_the_analyses_it_had_to_make(kind, corpus, tmp_path, monkeypatch):
    """Documents without a current analysis are analysed (in worker processes for a bulk load) and their analyses
    handed to ``keep``; documents that carry one are not analysed again."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 8)
    patents, needs = corpus
    backend = make_backend(kind, tmp_path)
    try:
        listed = [p for p in patents if p.matchable]
        carried = {d.id: fields.analysis(d, backend.analyzer) for d in listed[::2]}
        kept: dict[str, dict[int, Analysis]] = {"patent": {}, "need": {}}
        backend.rebuild([replace(p, analysis=carried.get(p.id)) for p in patents], needs,
                        keep=lambda k, made: kept[k].update(made))
        assert set(kept["patent"]) == {d.id for d in listed} - set(carried)
        assert kept["patent"] == {d.id: fields.analysis(d, backend.analyzer) for d in listed if d.id not in carried}
        assert set(kept["need"]) == {n.id for n in needs if n.status == "open"}
    finally:
        backend.drop()
        backend.close()
