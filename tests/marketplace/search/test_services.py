"""Search and matching through the app: outbox indexing, visibility, stored matches."""
import pytest
from sqlalchemy import select

from marketplace.core import transaction
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.needs import services as needs
from marketplace.patents import services as patents
from marketplace.search import services
from marketplace.search.models import Match, MatchStatus
from tests import factories


def titles(page):
    return [hit.patent.title for hit in page.hits]


def test_published_patents_are_indexed_after_commit_and_drafts_never(ctx, listed):
    page = services.search_patents({"q": ["锂离子电池"]})
    found = titles(page)
    assert "锂离子电池新能源应用在插秧机上的动力装置" in found
    assert "锂离子电池新能源应用在抛秧机上的动力装置" not in found  # the draft
    assert all(hit.patent.published for hit in page.hits)


def test_unpublishing_removes_from_search(ctx, listed, university):
    services.search_patents({"q": ["插秧机"]})
    patents.set_published(university.load(), [listed["lithium_planter"].id], False)
    transaction.commit()
    assert "锂离子电池新能源应用在插秧机上的动力装置" not in titles(services.search_patents({"q": ["插秧机"]}))


def test_facets_count_the_filtered_documents(ctx, listed):
    page = services.search_patents({})
    grades = {f.value: f.count for f in page.facets["grade"]}
    assert grades == {"A": 2, "B": 1, "C": 1}
    filtered = services.search_patents({"grade": ["A"]})
    assert filtered.total == 2 and {h.patent.grade for h in filtered.hits} == {"A"}
    by_parent = services.search_patents({"segment": ["TM-E"]})  # parent of TM-E1 and TM-E5
    assert by_parent.total == 2


@pytest.mark.parametrize("params, field", [({"q": ["锂" * 2001]}, "q"), ({"sort": ["price"]}, "sort"),
                                           ({"per_page": ["1000"]}, "per_page"), ({"page": ["x"]}, "page")])
def test_bad_search_input_names_the_field(ctx, params, field):
    with pytest.raises(ValidationFailed) as caught:
        services.search_patents(params)
    assert field in caught.value.fields


def test_punctuation_only_and_pages_past_the_end(ctx, listed):
    assert services.search_patents({"q": ["！？。…"]}).total == 0
    beyond = services.search_patents({"page": ["50"]})
    assert beyond.hits == [] and beyond.total == 4


def test_need_matches_rank_relevant_patents_first_with_reasons(ctx, listed, company):
    need_id = factories.make_need(company, title="插秧机锂电池动力系统", segments=["TM-F1"],
                                  description="我们需要用锂离子电池替代柴油机为插秧机提供动力的技术", modes=["license"])
    need, matches = services.matches_for_need(company.load(), need_id)
    assert matches, "a fitting patent exists"
    first_match, first = matches[0]
    assert first.patent.title == "锂离子电池新能源应用在插秧机上的动力装置"
    assert "<mark>" in str(first.explanation.highlights)
    assert "TM-F1" in first.explanation.shared_segments
    assert {f.code for f in first.explanation.factors} >= {"segment_match"}
    assert first_match is None, "nobody acted on the pair yet"
    assert db.session.scalar(select(Match).where(Match.need_id == need.id)) is None, "listing stores nothing"
    saved = services.save_match(company.load(), need.id, first.patent.id)
    assert saved.reasons["shared_segments"] and saved.source == "need"
    _need, again = services.matches_for_need(company.load(), need_id)
    assert again[0][0] is saved and services.save_match(company.load(), need.id, first.patent.id) is saved


def test_saving_a_match_needs_a_ranked_pair_the_user_may_see(ctx, listed, company, university, other_university):
    need_id = factories.make_need(company, title="插秧机锂电池动力系统", segments=["TM-F1"],
                                  description="我们需要用锂离子电池替代柴油机为插秧机提供动力的技术")
    planter, bridge = listed["lithium_planter"].id, listed["bridge"].id
    with pytest.raises(NotFound):  # the engine does not rank a bridge for this need: no match
        services.save_match(company.load(), need_id, bridge)
    with pytest.raises(NotFound):  # neither the need's nor the patent's party
        services.save_match(other_university.load(), need_id, planter)
    owner_side = services.save_match(university.load(), need_id, planter)  # the patent's owner, from its list
    assert (owner_side.need_id, owner_side.patent_id, owner_side.source) == (need_id, planter, "patent")


def test_dismissed_pairs_leave_the_list(ctx, listed, company):
    need_id = factories.make_need(company, title="插秧机锂电池动力系统", segments=["TM-F1"],
                                  description="我们需要用锂离子电池替代柴油机为插秧机提供动力的技术")
    planter = listed["lithium_planter"].id
    services.save_match(company.load(), need_id, planter).status = MatchStatus.DISMISSED
    _need, matches = services.matches_for_need(company.load(), need_id)
    assert planter not in [m.patent.id for _match, m in matches]


def test_private_needs_are_matched_but_never_listed(ctx, listed, company, university):
    factories.make_need(company, title="插秧机用锂电池动力", public=False, segments=["TM-F1"])
    assert factories.make_need(company, title="公开的锂电池插秧机需求", segments=["TM-F1"])
    page = services.search_needs(university.load(), {"q": ["锂电池"]})
    assert [h.need.title for h in page.hits] == ["公开的锂电池插秧机需求"]
    _patent, matches = services.matches_for_patent(university.load(), listed["lithium_planter"].id)
    assert "插秧机用锂电池动力" not in [m.need.title for _match, m in matches]
    pushed = services.record_need_matches(listed["lithium_planter"].load(), include_private=True)
    assert "插秧机用锂电池动力" in [m.need.title for _match, m in pushed]


def test_match_lists_are_private_to_their_owners(ctx, listed, company, other_university):
    need_id = factories.make_need(company, title="锂电池", public=False)
    with pytest.raises(NotFound):
        services.matches_for_need(other_university.load(), need_id)
    with pytest.raises(NotFound):
        services.matches_for_patent(company.load(), listed["lithium_planter"].id)


def test_need_search_is_for_the_supply_side(ctx, company):
    from marketplace.core.errors import Forbidden
    with pytest.raises(Forbidden):
        services.search_needs(company.load(), {})


def test_closing_a_need_removes_it_from_search(ctx, company, university):
    need_id = factories.make_need(company, title="土壤重金属修复技术")
    assert services.search_needs(university.load(), {"q": ["土壤"]}).total == 1
    needs.close_need(company.load(), need_id)
    transaction.commit()
    assert services.search_needs(university.load(), {"q": ["土壤"]}).total == 0


def test_a_rebuild_reports_its_progress_row_by_row_up_to_every_patent_and_need(ctx, listed, app):
    """``flask reindex`` shows a progress bar over ``rows_to_read()``: it advances as the backend takes rows."""
    from marketplace.needs.models import Need
    from marketplace.patents.models import Patent
    from marketplace.search.documents import rows_to_read
    from marketplace.search.indexing import rebuild_indices

    rows = db.session.scalar(select(db.func.count()).select_from(Patent)) + db.session.scalar(
        select(db.func.count()).select_from(Need))
    assert rows_to_read() == rows > 4  # drafts and needs too: every row is read
    taken: list[int] = []
    report, _ = rebuild_indices(progress=taken.append)
    assert taken and sum(taken) == rows
    assert report.patents == 4
    result = app.test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "patents and needs indexed" in result.output and "indexed 4 patents" in result.output


def test_indexing_keeps_each_documents_analysis_and_a_rebuild_re_sends_it(ctx, listed, university, company,
                                                                         monkeypatch):
    """The indexing job stores each listed patent's and open need's analysed fields, and a rebuild those it had
    to make; the next rebuild analyses nothing (the analyzer would fail) yet finds by words, and an edited title
    is analysed afresh."""
    from marketplace.search.backend import search_backend
    from marketplace.search.indexing import rebuild_indices
    from marketplace.search.models import SearchAnalysis
    from matching.text import Analyzer

    factories.make_need(company, title="土壤重金属修复技术需求")
    assert db.session.scalar(select(db.func.count()).select_from(SearchAnalysis))  # stored by the indexing job
    db.session.execute(db.delete(SearchAnalysis))  # as before an upgrade: the rebuild analyses and keeps them
    rebuild_indices()
    transaction.commit()
    analyses = {(r.entity_type, r.entity_id): r for r in db.session.scalars(select(SearchAnalysis))}
    listed_ids = {ref.id for name, ref in listed.items() if name != "draft_lithium"}
    assert {i for kind, i in analyses if kind == "patent"} == listed_ids
    assert any(kind == "need" for kind, _ in analyses)
    assert all(r.analyzer == search_backend().analyzer.fingerprint for r in analyses.values())
    planter = listed["lithium_planter"].id
    before = analyses[("patent", planter)].text_hash

    def no_analysis(*args, **kwargs):
        raise AssertionError("a rebuild analysed a document whose analysis was stored")

    with monkeypatch.context() as patched:
        for name in ("index_text", "label_text", "tokens"):
            patched.setattr(Analyzer, name, no_analysis)
        report, _ = rebuild_indices()
    assert report.patents == 4
    assert "锂离子电池新能源应用在插秧机上的动力装置" in titles(services.search_patents({"q": ["插秧机"]}))

    patents.update_patent(university.load(), planter, {"title": "锂离子电池驱动的水稻插秧机"})
    transaction.commit()
    db.session.expire_all()
    row = db.session.scalar(select(SearchAnalysis).where(SearchAnalysis.entity_type == "patent",
                                                         SearchAnalysis.entity_id == planter))
    assert row is not None and row.text_hash != before
    assert "锂离子电池驱动的水稻插秧机" in titles(services.search_patents({"q": ["水稻插秧机"]}))


def test_a_rebuild_commits_the_vectors_and_analyses_it_makes_batch_by_batch(ctx, listed, company, monkeypatch):
    """A rebuild's vectors and analyses are caches, committed with each batch: one transaction for all of them
    held SQLite's write lock (every other writer of a ``make run`` install waited) for a whole first rebuild. A
    rebuild that fails after its patents keeps what it made for them."""
    from marketplace.core import sqlite
    from marketplace.search import documents, indexing
    from marketplace.search.models import SearchAnalysis, SearchVector

    factories.make_need(company, title="土壤重金属修复技术需求")
    db.session.execute(db.delete(SearchAnalysis))
    db.session.execute(db.delete(SearchVector))
    transaction.commit()

    def needs_fail(*args, **kwargs):
        raise RuntimeError("the database went away while the needs were read")
        yield  # a generator, as the real one

    writing: list[bool] = []  # SQLite begins each transaction as the context says: a writer's, or a reader's
    original = documents.patents_to_index

    def spied(patents_read):
        writing.append(sqlite._writing.get())
        return original(patents_read)

    monkeypatch.setattr(documents, "patents_to_index", spied)
    monkeypatch.setattr(indexing, "iter_need_documents", needs_fail)
    with pytest.raises(RuntimeError):
        indexing.rebuild_indices()
    # a batch's transaction reads, then writes: begun as a reader it would fail at once on SQLite when another
    # writer committed in between (SQLITE_BUSY, no timeout helps), so it begins as a writer
    assert writing == [True]
    db.session.rollback()  # undoes what was not committed
    listed_ids = {ref.id for name, ref in listed.items() if name != "draft_lithium"}
    for model in (SearchVector, SearchAnalysis):
        kept = set(db.session.scalars(select(model.entity_id).where(model.entity_type == "patent")))
        assert kept == listed_ids, model.__tablename__


def test_rebuild_replays_changes_made_while_it_ran(ctx, listed, university, monkeypatch):
    """A patent published during the rebuild is searchable after the alias swap."""
    from marketplace.search import indexing
    from marketplace.search.backend import search_backend

    backend = search_backend()
    original = backend.rebuild

    def rebuild_while_someone_publishes(patents_docs, needs_docs, keep):
        documents = list(patents_docs)  # the rebuild has read the database...
        patents.set_published(university.load(), [listed["draft_lithium"].id], True)
        transaction.commit()  # ...when a university publishes (indexed into the old index)
        return original(documents, needs_docs, keep)

    monkeypatch.setattr(backend, "rebuild", rebuild_while_someone_publishes)
    report, replayed = indexing.rebuild_indices()
    assert report.patents == 4 and replayed >= 1
    backend.refresh()
    assert "锂离子电池新能源应用在抛秧机上的动力装置" in titles(services.search_patents({"q": ["抛秧机"]}))
