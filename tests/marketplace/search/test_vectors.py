"""Semantic matching through the app: vectors stored by the indexing job, reused by a rebuild; the floor on the page."""
from sqlalchemy import select

from marketplace.core import transaction
from marketplace.extensions import db
from marketplace.search import indexing, services
from marketplace.search.backend import search_backend
from marketplace.search.models import SearchVector
from marketplace.patents import services as patents
from tests import factories


def test_published_patents_get_a_stored_vector_of_the_current_table(ctx, listed):
    rows = db.session.scalars(select(SearchVector).where(SearchVector.entity_type == "patent")).all()
    published = {ref.id for name, ref in listed.items() if name != "draft_lithium"}
    assert {r.entity_id for r in rows} >= published
    assert {r.model for r in rows} == {search_backend().embedder.name}
    assert all(len(r.vector) == 2 * search_backend().embedder.dim for r in rows)


def test_rebuild_reuses_stored_vectors(ctx, listed, monkeypatch):
    embedder = search_backend().embedder
    calls: list[str] = []
    original = embedder.embed
    monkeypatch.setattr(embedder, "embed", lambda text: calls.append(text) or original(text))
    report, _ = indexing.rebuild_indices()
    assert report.patents == 4 and calls == []  # nothing recomputed


def test_changed_text_gets_a_new_vector(ctx, listed, other_university):
    ref = listed["drone"]
    before = db.session.scalar(select(SearchVector.text_hash).where(SearchVector.entity_id == ref.id,
                                                                  SearchVector.entity_type == "patent"))
    patents.update_patent(other_university.load(), ref.id, {"title": "一种无人机机载多功能盒（改进型）"})
    transaction.commit()  # the outbox's indexing job recomputes the vector of the new text
    db.session.expire_all()
    after = db.session.scalar(select(SearchVector.text_hash).where(SearchVector.entity_id == ref.id,
                                                                 SearchVector.entity_type == "patent"))
    assert before and after and after != before


def test_english_search_finds_the_battery_patents(ctx, listed):
    page = services.search_patents({"q": ["lithium battery"]})
    assert page.total >= 1 and "锂离子电池" in page.hits[0].patent.title


def test_application_number_lookup_through_the_app(ctx, listed):
    number = listed["lithium_planter"].application_number
    for form in (number, f"ZL{number}", f"CN{number}", number.replace(".", "")):
        page = services.search_patents({"q": [form]})
        assert page.mode == "number" and [h.patent.id for h in page.hits] == [listed["lithium_planter"].id], form


def test_need_page_says_when_nothing_is_relevant_enough(client, listed, company, login):
    with client.application.app_context():
        need_id = factories.make_need(company, title="跨境支付清算服务平台",
                                      description="面向中小银行的跨境支付清算与反洗钱风控服务")
    login(company)
    page = client.get(f"/needs/{need_id}/matches").data.decode()
    assert 'id="no-fitting-patent"' in page and "/subscriptions" in page
    assert "锂离子电池新能源应用在插秧机上的动力装置" not in page


def test_match_page_explains_in_one_language(client, listed, company, login):
    with client.application.app_context():
        need_id = factories.make_need(company, title="插秧机锂电池动力系统", segments=["TM-F1"],
                                      description="用锂离子电池替代柴油机为插秧机提供动力", modes=["license"])
    login(company)
    zh = client.get(f"/needs/{need_id}/matches").data.decode()
    planter = f'/patents/{listed["lithium_planter"].id}"'
    assert zh.index(planter) < zh.index("/patents/", zh.index(planter) + 1)  # ranked first
    assert "共同关键词" in zh and "<mark>锂离子电池</mark>" in zh and "相关度" in zh and "最相近的一句" in zh
    assert "TM-F1" not in zh.split("<main", 1)[-1]  # segments by name, never by code
    client.get("/lang/en")
    en = client.get(f"/needs/{need_id}/matches").data.decode()
    assert "Relevance" in en or "relevance" in en
    assert " / " not in "".join(line for line in en.splitlines() if "badge" in line)
