"""Pages, route by route: the public list and record, the inventory, forms and bulk actions."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.patents.vocab import PublicationState
from tests.factories import load_fixture, make_patent

SAMPLE = load_fixture("patents_sample.jsonl")
BY_NUMBER = {record["app_no"]: record for record in SAMPLE}
DRONE = BY_NUMBER["CN202121762003.0"]
TILLER = BY_NUMBER["CN200910098961.X"]


@pytest.fixture
def patents(app, university, other_university):
    """A published drone patent and a draft of the university, a published tiller of the other one."""
    with app.app_context():
        return {
            "drone": make_patent(university, DRONE, publish=True, grade="A", segments=["SEI-02"],
                                 modes=["license"], maturity="sample", price_min="200000", price_max="500000"),
            "draft": make_patent(university, BY_NUMBER["CN202211740332.4"], segments=["TM-A2"]),
            "tiller": make_patent(other_university, TILLER, publish=True, segments=["TM-H11"], grade="C"),
        }


def stored(app, ref) -> Patent | None:
    with app.app_context():
        patent = db.session.get(Patent, ref.id)
        if patent is not None:
            patent.segment_links  # noqa: B018 -- loaded before the session lets go of it
            db.session.expunge(patent)
        return patent


# --- public list ----------------------------------------------------------------------------

def test_list_shows_published_patents_with_their_facts(client, patents):
    page = client.get("/patents").get_data(as_text=True)
    assert DRONE["title"] in page and TILLER["title"] in page
    assert "一种基于图模型的新闻关键词抽取方法及装置" not in page  # the draft
    assert "¥200,000.00 – ¥500,000.00" in page
    assert "高端装备制造" in page and "已有样品" in page and "许可" in page
    assert "共 2 件专利" in page


def test_list_segment_filter_finds_children(client, patents):
    page = client.get("/patents?segment=TM-H").get_data(as_text=True)
    assert TILLER["title"] in page and DRONE["title"] not in page


def test_list_ignores_unknown_filter_values_and_says_which(client, patents):
    response = client.get("/patents?segment=NOPE&patent_type=bogus&sort=random")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert DRONE["title"] in page and TILLER["title"] in page
    notice = page.split("以下筛选条件无效，未应用：", 1)[1].split("</div>", 1)[0]
    assert "产业领域" in notice and "专利类型" in notice and "排序" in notice
    assert "分级" not in notice


def test_valid_filters_show_no_ignored_notice(client, patents):
    assert "未应用" not in client.get("/patents?segment=TM-H").get_data(as_text=True)


def test_list_filters_by_owner(client, patents, other_university):
    page = client.get(f"/patents?owner={other_university.organisation_id}").get_data(as_text=True)
    assert TILLER["title"] in page and DRONE["title"] not in page
    assert "权利人：另一所大学" in page


@pytest.fixture
def count_queries(app):
    """Counts the SQL statements the app sends while the ``with`` block runs."""
    class Counter:
        def __init__(self):
            self.count = 0

        def __enter__(self):
            event.listen(self.engine, "before_cursor_execute", self.hit)
            return self

        def __exit__(self, *exc):
            event.remove(self.engine, "before_cursor_execute", self.hit)

        def hit(self, *args):
            self.count += 1

    with app.app_context():
        Counter.engine = db.engine
    return Counter


def test_list_page_query_count_does_not_grow_with_rows(app, client, university, other_university, count_queries):
    def queries_for_list() -> int:
        with count_queries() as counter:
            assert client.get("/patents").status_code == 200
        return counter.count

    with app.app_context():
        for record in SAMPLE[:2]:
            make_patent(university, record, publish=True, segments=["TM-H11"])
    few = queries_for_list()
    with app.app_context():
        for index, record in enumerate(SAMPLE[2:16]):
            owner = university if index % 2 else other_university
            make_patent(owner, record, publish=True, segments=["TM-H11", "SEI-02"], tags="测试")
    many = queries_for_list()
    assert few == many
    assert many <= 4  # rows, owners, segments (the count is skipped on a short page)


# --- record page ----------------------------------------------------------------------------

def test_detail_shows_the_full_record(client, patents):
    page = client.get(f"/patents/{patents['drone'].id}").get_data(as_text=True)
    assert "202121762003.0" in page and "ZL202121762003.0" in page
    assert "B64C 39/02" in page and "主分类" in page
    assert "实用新型" in page and "有效" in page
    assert DRONE["abstract"][:30] in page and "测试大学" in page


def test_draft_is_visible_to_owner_and_admin_only(app, client, login, patents, university, other_university,
                                                  platform_admin):
    url = f"/patents/{patents['draft'].id}"
    assert client.get(url).status_code == 404
    login(other_university)
    assert client.get(url).status_code == 404
    admin = app.test_client()
    login(platform_admin, admin)
    assert admin.get(url).status_code == 200
    owner = app.test_client()
    login(university, owner)
    assert "发布" in owner.get(url).get_data(as_text=True)


def test_missing_patent_is_404(client):
    assert client.get("/patents/999999").status_code == 404


# --- inventory ------------------------------------------------------------------------------

def test_inventory_needs_sign_in(client):
    assert client.get("/inventory").status_code == 302


@pytest.mark.parametrize("kind", ["agency", "bank"])
def test_inventory_refused_to_organisations_without_patents(client, login, kind, request):
    login(request.getfixturevalue(kind))
    assert client.get("/inventory").status_code == 403
    assert client.get("/inventory/new").status_code == 403


def test_inventory_lists_own_patents_with_drafts(client, login, patents, university):
    login(university)
    page = client.get("/inventory").get_data(as_text=True)
    assert DRONE["title"] in page and "一种基于图模型的新闻关键词抽取方法及装置" in page
    assert TILLER["title"] not in page
    drafts = client.get("/inventory?state=draft").get_data(as_text=True)
    assert DRONE["title"] not in drafts


def test_company_inventory_is_available(client, login, company):
    login(company)
    assert client.get("/inventory").status_code == 200


def test_new_patent_form_creates_a_draft(app, client, login, university):
    login(university)
    record = BY_NUMBER["CN201220149476.8"]
    response = client.post("/inventory/new", data={
        "application_number": "CN" + record["app_no"][2:], "title": record["title"], "legal_status": "granted",
        "segments": ["TM-E1"], "modes": ["transfer", "license"], "grade": "B", "price_min": "50,000"})
    assert response.status_code == 302
    with app.app_context():
        patent = db.session.scalar(db.select(Patent).where(Patent.application_number == "201220149476.8"))
        assert patent.state == PublicationState.DRAFT and patent.owner_id == university.organisation_id
        assert patent.segments == ["TM-E1"] and patent.modes == ["transfer", "license"]
        assert str(patent.price_min) == "50000.00"


def test_new_patent_form_names_the_right_check_digit(client, login, university):
    login(university)
    response = client.post("/inventory/new", data={"application_number": "201710601862.9", "title": "锂电池",
                                                   "legal_status": "pending"})
    assert response.status_code == 200
    assert "应为 3" in response.get_data(as_text=True)


def test_new_patent_form_refuses_a_duplicate(client, login, patents, other_university):
    login(other_university)
    response = client.post("/inventory/new", data={"application_number": DRONE["app_no"], "title": "x",
                                                   "legal_status": "pending"})
    assert response.status_code == 200
    assert "已由其他机构登记" in response.get_data(as_text=True)


def test_edit_own_patent(app, client, login, patents, university):
    login(university)
    url = f"/inventory/{patents['drone'].id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="202121762003.0"' in form
    response = client.post(url, data={"application_number": "202121762003.0", "title": "清除垃圾的无人机（改进型）",
                                      "legal_status": "granted", "grade": "B", "segments": ["SEI-02", "TM-E1"]})
    assert response.status_code == 302
    patent = stored(app, patents["drone"])
    assert patent.title == "清除垃圾的无人机（改进型）" and patent.grade == "B"


@pytest.mark.parametrize("method,path", [
    ("get", "/inventory/{id}/edit"), ("post", "/inventory/{id}/edit"), ("post", "/inventory/{id}/publish"),
    ("post", "/inventory/{id}/unpublish"), ("post", "/inventory/{id}/delete"),
])
def test_foreign_patents_cannot_be_touched_through_pages(app, client, login, patents, other_university,
                                                         method, path):
    login(other_university)
    for name in ("drone", "draft"):
        url = path.format(id=patents[name].id)
        response = getattr(client, method)(url, data={"application_number": "x", "title": "x"})
        assert response.status_code == 404, (url, response.status_code)
    assert stored(app, patents["draft"]).state == PublicationState.DRAFT
    assert stored(app, patents["drone"]).title == DRONE["title"]


def test_publish_and_unpublish_from_the_record_page(app, client, login, patents, university):
    login(university)
    draft = patents["draft"]
    assert client.post(f"/inventory/{draft.id}/publish").status_code == 302
    assert stored(app, draft).is_published
    assert client.post(f"/inventory/{draft.id}/unpublish").status_code == 302
    assert not stored(app, draft).is_published


def test_lapsed_patent_is_not_published(app, client, login, university):
    with app.app_context():
        ref = make_patent(university, SAMPLE[20], legal_status="届满")
    login(university)
    response = client.post(f"/inventory/{ref.id}/publish", follow_redirects=True)
    assert "不能发布" in response.get_data(as_text=True)
    assert not stored(app, ref).is_published


def test_delete_draft_but_not_published(app, client, login, patents, university):
    login(university)
    response = client.post(f"/inventory/{patents['drone'].id}/delete", follow_redirects=True)
    assert "请先下架再删除" in response.get_data(as_text=True)
    assert stored(app, patents["drone"]) is not None
    assert client.post(f"/inventory/{patents['draft'].id}/delete").status_code == 302
    assert stored(app, patents["draft"]) is None


# --- bulk actions ---------------------------------------------------------------------------

def test_bulk_set_grade_and_publish(app, client, login, patents, university):
    login(university)
    ids = [patents["drone"].id, patents["draft"].id]
    assert client.post("/inventory/bulk", data={"action": "grade", "grade": "D", "patent_ids": ids}).status_code == 302
    assert {stored(app, patents[n]).grade for n in ("drone", "draft")} == {"D"}
    client.post("/inventory/bulk", data={"action": "publish", "patent_ids": ids})
    assert stored(app, patents["draft"]).is_published


@pytest.mark.parametrize("data,attribute,expected", [
    ({"action": "add_tags", "tags": "无人机, 环卫"}, "tags", ["无人机", "环卫"]),
    ({"action": "segments", "segments": ["TM-H11", "SEI-02"]}, "segments", ["SEI-02", "TM-H11"]),
    ({"action": "modes", "modes": ["open_license"]}, "modes", ["open_license"]),
    ({"action": "maturity", "maturity": "pilot"}, "maturity", "pilot"),
])
def test_bulk_edits(app, client, login, patents, university, data, attribute, expected):
    login(university)
    client.post("/inventory/bulk", data={**data, "patent_ids": [patents["draft"].id]})
    value = getattr(stored(app, patents["draft"]), attribute)
    assert (sorted(value) if attribute == "segments" else value) == expected


def test_bulk_replace_tags_drops_old_ones(app, client, login, university):
    with app.app_context():
        ref = make_patent(university, SAMPLE[21], tags="旧标签")
    login(university)
    client.post("/inventory/bulk", data={"action": "replace_tags", "tags": "新标签", "patent_ids": [ref.id]})
    assert stored(app, ref).tags == ["新标签"]


def test_bulk_with_a_foreign_id_changes_nothing(app, client, login, patents, university):
    login(university)
    ids = [patents["draft"].id, patents["tiller"].id]
    assert client.post("/inventory/bulk", data={"action": "grade", "grade": "A", "patent_ids": ids}).status_code == 404
    assert stored(app, patents["draft"]).grade is None
    assert stored(app, patents["tiller"]).grade == "C"


def test_bulk_without_selection_is_refused(client, login, university):
    login(university)
    response = client.post("/inventory/bulk", data={"action": "publish"}, follow_redirects=True)
    assert "请先勾选专利" in response.get_data(as_text=True)


def test_bulk_needs_the_csrf_token(app, client, login, patents, university, monkeypatch):
    login(university)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/inventory/bulk", data={"action": "publish", "patent_ids": [patents["draft"].id]})
    assert response.status_code == 400
    assert not stored(app, patents["draft"]).is_published


# --- "select all N results": the server re-runs the filter over the caller's own patents -------------------

def test_bulk_all_matching_applies_to_exactly_the_filtered_set(app, client, login, patents, university):
    with app.app_context():
        extra = make_patent(university, SAMPLE[21], grade="A")
    login(university)
    response = client.post("/inventory/bulk", data={"action": "add_tags", "tags": "全选", "all_matching": "y",
                                                    "filter-grade": "A", "patent_ids": [patents["draft"].id]},
                           follow_redirects=True)
    assert "已更新 2 件专利" in response.get_data(as_text=True)
    assert stored(app, patents["drone"]).tags == ["全选"] and stored(app, extra).tags == ["全选"]
    assert stored(app, patents["draft"]).tags == []  # ticked on the page, but outside the filter
    assert stored(app, patents["tiller"]).tags == []  # grade C and another organisation's


def test_bulk_all_matching_stays_inside_the_callers_patents(app, client, login, patents, other_university):
    login(other_university)
    client.post("/inventory/bulk", data={"action": "maturity", "maturity": "pilot", "all_matching": "y"})
    assert stored(app, patents["tiller"]).maturity == "pilot"
    assert stored(app, patents["drone"]).maturity == "sample" and stored(app, patents["draft"]).maturity is None


def test_bulk_all_matching_refuses_above_the_bound(app, client, login, patents, university, monkeypatch):
    from marketplace.patents import services
    monkeypatch.setattr(services, "BULK_LIMIT", 1)
    login(university)
    response = client.post("/inventory/bulk", data={"action": "grade", "grade": "D", "all_matching": "y"},
                           follow_redirects=True)
    assert "筛选结果超过 1 件，请缩小筛选范围" in response.get_data(as_text=True)
    assert stored(app, patents["drone"]).grade == "A" and stored(app, patents["draft"]).grade is None


def test_inventory_offers_all_matching_only_beyond_the_page(app, client, login, patents, university, monkeypatch):
    from marketplace.patents import routes
    login(university)
    assert 'name="all_matching"' not in client.get("/inventory").get_data(as_text=True)
    monkeypatch.setattr(routes, "PER_PAGE", 1)
    page = client.get("/inventory?sort=grade").get_data(as_text=True)
    assert 'data-shown-when-checked="#select-all"' in page and "选择全部 2 件符合当前筛选的专利" in page
    assert '<input type="hidden" name="filter-sort" value="grade">' in page
