"""bench.match_speed: the synthetic corpus made on demand, and a rebuild that stops at its time budget."""

from __future__ import annotations

import pytest

from bench.match_speed.__main__ import Reading, match_growth, rebuild, stored_analyses
from bench.match_speed.synth import SyntheticPatents
from matching import NeedDoc, PatentDoc, PatentQuery, create_backend
from matching.text import Analyzer

BASE = [PatentDoc(id=10 + i, application_number=f"CN20171060186{i}", title=f"一种锂电池正极材料{i}",
                  abstract=f"正极材料由磷酸铁锂制成。提高锂电池的循环寿命{i}。适用于储能。", segments=[f"seg{i}"])
        for i in range(3)]


def test_synthetic_patents_are_made_when_read_and_always_the_same() -> None:
    docs = SyntheticPatents(BASE, 7, vectors=["v0", "v1", "v2"], vector_model="table")
    assert len(docs) == 7 and len(list(docs)) == 7
    assert [d.id for d in docs] == list(range(1, 8))
    assert docs[4] == docs[4] and docs[4] is not docs[4]  # made anew, equal each time
    assert docs[-1] == docs[6] and [d.id for d in docs[5:]] == [6, 7]
    assert docs[4].title == BASE[1].title and docs[4].segments == ["seg1"]  # the title's record ...
    assert (docs[4].vector, docs[4].vector_model) == ("v1", "table")  # ... and its vector
    assert docs[4].abstract and docs[4].abstract != BASE[1].abstract  # sentences of two other records
    try:
        docs[7]
    except IndexError:
        pass
    else:
        raise AssertionError("past the end")
    assert SyntheticPatents(BASE, 2)[0].vector is None


def test_reading_stops_at_the_first_progress_line_past_the_budget(capsys) -> None:
    docs = SyntheticPatents(BASE, 10)
    assert len(list(Reading(docs, every=4))) == 10
    reading = Reading(docs, every=4, budget=0.0)
    assert [d.id for d in reading] == [1, 2, 3, 4] and reading.count == 4
    out = capsys.readouterr().out
    assert "read 4 docs" in out and "load budget of 0 s reached" in out


def test_rebuild_indexes_what_the_budget_let_it_read(tmp_path, capsys) -> None:
    backend = create_backend(None, str(tmp_path / "speed.sqlite3"))
    assert rebuild(backend, SyntheticPatents(BASE, 10), every=3, budget=0.0, stored=None) == 3
    assert backend.search_patents(PatentQuery(q="锂电池")).total == 3
    assert "rebuild with stored vectors: 3 docs" in capsys.readouterr().out
    backend.close()


def test_the_rebuilds_re_send_analyses_made_once_before_them(tmp_path, capsys, monkeypatch) -> None:
    backend = create_backend(None, str(tmp_path / "speed.sqlite3"))
    docs = SyntheticPatents(BASE, 10)
    stored = stored_analyses(backend, docs)
    assert len(stored) == 10 and "analysis of every document, once" in capsys.readouterr().out
    monkeypatch.setattr(Analyzer, "index_text", lambda *a, **k: pytest.fail("the rebuild analysed a document"))
    assert rebuild(backend, docs, every=100, budget=None, stored=stored) == 10
    monkeypatch.undo()
    assert backend.search_patents(PatentQuery(q="锂电池")).total == 10
    assert "rebuild with stored vectors and analyses: 10 docs" in capsys.readouterr().out
    backend.close()


def test_growth_matches_each_need_on_both_indices_and_prints_the_ratio_with_its_target(tmp_path, capsys) -> None:
    small, big = (create_backend(None, str(tmp_path / f"{name}.sqlite3")) for name in ("small", "big"))
    docs = SyntheticPatents(BASE, 12)
    small.rebuild(docs[:4], [])
    big.rebuild(docs, [])
    calls: list[tuple[str, int]] = []
    for name, backend in (("small", small), ("big", big)):
        original = backend.match_patents

        def counted(need: NeedDoc, *a: object, _name: str = name, _original=original, **k: object) -> object:
            calls.append((_name, need.id))
            return _original(need, *a, **k)

        backend.match_patents = counted  # type: ignore[method-assign]
    needs = [NeedDoc(id=i, org_id=1, org_name="甲", title="锂电池正极材料", description="提高循环寿命") for i in (1, 2, 3)]
    match_growth(small, big, 4, 12, needs)
    # one warm-up each, then every need on the small index and right after on the big one
    assert calls == [("small", 1), ("big", 1)] + [(b, i) for i in (1, 2, 3) for b in ("small", "big")]
    line = capsys.readouterr().out
    assert "growth from 4 to 12 patents" in line and "× (target ≤ 2×: " in line
    for backend in (small, big):
        backend.close()
