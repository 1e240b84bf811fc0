"""Need pages route by route: what each shows, who may use it, and that its forms work with CSRF on."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from marketplace.core.dates import local_today
from marketplace.core import transaction
from marketplace.extensions import db
from marketplace.needs import services
from marketplace.needs.models import Need, NeedStatus
from tests import factories
from tests.marketplace.needs.records import need_values, record, records

TOMORROW = local_today() + timedelta(days=1)


@pytest.fixture
def post_need(app):
    """``post_need(user, record_id, **overrides)`` posts a real record as a need and returns its id."""
    def post(user: factories.UserRef, rec_id: str = "need-2", **overrides) -> int:
        with app.test_request_context():
            return factories.make_need(user, **need_values(record(rec_id), **overrides))
    return post


def _need(app, need_id: int) -> Need:
    """The need as stored now, detached so its attributes stay readable after the context."""
    with app.app_context():
        need = db.session.get(Need, need_id)
        db.session.expunge(need)
        return need


def _expire(app, need_id: int) -> None:
    with app.app_context():
        db.session.get(Need, need_id).valid_until = local_today() - timedelta(days=1)
        db.session.commit()


def _csrf_token(html: bytes) -> str:
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1).decode()


FORM = {"title": "新型茶叶炒制自动化生产线设计", "description": "需要一条自动化茶叶炒制生产线。",
        "segments": ["TM-E", "TM-H10"], "keywords": "茶叶，炒制、自动化", "budget_min": "200,000",
        "budget_max": "500000", "modes": ["transfer", "license"], "public": "y"}


# --- /needs -------------------------------------------------------------------------------------

def test_index_lists_only_public_open_unexpired_needs(client, app, company, other_company, post_need):
    listed = post_need(company, "need-0")
    post_need(company, "need-2", public=False)
    closed = post_need(other_company, "need-10")
    expired = post_need(other_company, "need-18", valid_until=TOMORROW)
    with app.test_request_context():
        services.close_need(other_company.load(), closed)
        transaction.commit()
    _expire(app, expired)
    html = client.get("/needs").get_data(as_text=True)
    assert re.findall(r'data-need-id="(\d+)"', html) == [str(listed)]
    assert "LED手电筒红外开关改进" in html and "LED升压恒流驱动的电路" not in html


def test_index_filters_by_segment_mode_and_text(client, company, post_need):
    flashlight = post_need(company, "need-0", segments=["TM-A1"], modes=["license"])
    kiwi = post_need(company, "need-18", segments=["TM-H"], modes=["transfer"])

    def ids(query: str) -> list[str]:
        return re.findall(r'data-need-id="(\d+)"', client.get(f"/needs?{query}").get_data(as_text=True))

    assert ids("segment=TM-A") == [str(flashlight)]
    assert ids("segment=TM") == [str(kiwi), str(flashlight)]
    assert ids("mode=transfer") == [str(kiwi)]
    assert ids("q=%E7%8C%95%E7%8C%B4%E6%A1%83") == [str(kiwi)]  # 猕猴桃
    assert ids("q=led&mode=transfer") == []


def test_index_explains_an_unknown_filter(client, company, post_need):
    post_need(company, "need-0")
    response = client.get("/needs?segment=%E5%88%B6%E9%80%A0%E4%B8%9A")  # 制造业
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "未知的产业领域" in html and "LED手电筒红外开关改进" in html


def test_index_paginates(client, app, company):
    with app.test_request_context():
        for rec in records() + records()[:5]:
            factories.make_need(company, **need_values(rec))
    first = client.get("/needs?mode=transfer").get_data(as_text=True)
    assert len(re.findall(r"data-need-id=", first)) == 20
    assert 'href="/needs?mode=transfer&amp;page=2"' in first
    second = client.get("/needs?mode=transfer&page=2").get_data(as_text=True)
    assert len(re.findall(r"data-need-id=", second)) > 0


def test_index_queries_do_not_grow_with_the_rows(client, app, company):
    def count_queries() -> int:
        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/needs").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    with app.test_request_context():
        for rec in records()[:2]:
            factories.make_need(company, **need_values(rec))
    few = count_queries()
    with app.test_request_context():
        for rec in records()[2:]:
            factories.make_need(company, **need_values(rec))
    assert count_queries() == few


# --- /needs/<id> --------------------------------------------------------------------------------

def test_detail_of_a_public_need_is_open_to_everyone(client, company, post_need):
    need_id = post_need(company, "need-216", budget_min="10000", budget_max="50000", keywords="储能, 纤维")
    html = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "一种环保型储能调温纤维及其制备方法" in html
    assert "¥10,000.00 – ¥50,000.00" in html and "作价入股" in html and "先进制造与自动化" in html
    assert "测试科技有限公司" in html
    assert f"/needs/{need_id}/edit" not in html


def test_detail_of_a_private_need_is_404_for_outsiders(client, login, company, other_company, post_need):
    need_id = post_need(company, public=False)
    assert client.get(f"/needs/{need_id}").status_code == 404
    login(other_company)
    assert client.get(f"/needs/{need_id}").status_code == 404
    assert client.get("/needs/999999").status_code == 404


def test_detail_shows_the_owner_its_buttons(client, login, company, post_need):
    need_id = post_need(company, public=False)
    login(company)
    html = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert f"/needs/{need_id}/edit" in html and f"/needs/{need_id}/close" in html
    assert "不公开" in html


def test_detail_marks_an_expired_need(client, company, post_need, app):
    need_id = post_need(company, valid_until=TOMORROW)
    _expire(app, need_id)
    html = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "已过期" in html and "征集中" not in html


# --- /needs/new ---------------------------------------------------------------------------------

def test_new_needs_sign_in(client):
    response = client.get("/needs/new")
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("who", ["university", "agency", "bank"])
def test_new_is_forbidden_to_non_companies(client, login, request, who):
    login(request.getfixturevalue(who))
    assert client.get("/needs/new").status_code == 403
    assert client.post("/needs/new", data=FORM).status_code == 403


def test_company_posts_a_need(client, app, login, company, need_events):
    login(company)
    assert client.get("/needs/new").status_code == 200
    response = client.post("/needs/new", data={**FORM, "valid_until": TOMORROW.isoformat()})
    assert response.status_code == 302
    with app.app_context():
        need = db.session.scalar(select(Need))
        assert response.location.endswith(f"/needs/{need.id}")
        assert need.segments == ["TM-E", "TM-H10"] and need.modes == ["transfer", "license"]
        assert need.keywords == ["茶叶", "炒制", "自动化"] and str(need.budget_min) == "200000.00"
        assert need.valid_until == TOMORROW and need.public
    assert need_events == [(need.id, "changed")]


def test_unticked_public_posts_a_private_need(client, app, login, company):
    login(company)
    form = {k: v for k, v in FORM.items() if k != "public"}
    assert client.post("/needs/new", data=form).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Need.public)) is False


def test_new_shows_service_errors_on_the_form(client, app, login, company):
    login(company)
    response = client.post("/needs/new", data={**FORM, "budget_min": "900000", "valid_until": "2021-01-13"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "上限不能低于下限" in html and "有效期不能早于今天" in html
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Need)) == 0


# --- /needs/<id>/edit ---------------------------------------------------------------------------

def test_owner_edits(client, app, login, company, post_need):
    need_id = post_need(company, "need-102", keywords=["发电机", "功率"], budget_max="30000")
    login(company)
    html = client.get(f"/needs/{need_id}/edit").get_data(as_text=True)
    assert "发电机, 功率" in html and 'value="30000.00"' in html
    response = client.post(f"/needs/{need_id}/edit", data={**FORM, "title": "汽油发电机功率转化效率提升"})
    assert response.status_code == 302
    need = _need(app, need_id)
    assert need.title == "汽油发电机功率转化效率提升" and need.budget_max == 500000


def test_edit_is_403_on_public_and_404_on_private_needs_of_others(client, app, login, company, other_company,
                                                                    post_need):
    public = post_need(company)
    private = post_need(company, "need-10", public=False)
    login(other_company)
    assert client.get(f"/needs/{public}/edit").status_code == 403
    assert client.post(f"/needs/{public}/edit", data=FORM).status_code == 403
    assert client.get(f"/needs/{private}/edit").status_code == 404
    assert client.post(f"/needs/{private}/edit", data=FORM).status_code == 404
    assert _need(app, public).title == "LED升压恒流驱动的电路"


def test_edit_needs_sign_in(client, company, post_need):
    need_id = post_need(company)
    assert "/login" in client.get(f"/needs/{need_id}/edit").location


# --- close / reopen -----------------------------------------------------------------------------

def test_owner_closes_and_reopens(client, app, login, company, post_need, need_events):
    need_id = post_need(company)
    login(company)
    assert client.post(f"/needs/{need_id}/close").location.endswith(f"/needs/{need_id}")
    need = _need(app, need_id)
    assert need.status == NeedStatus.CLOSED and need.closed_at is not None
    assert f"/needs/{need_id}/reopen" in client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert client.post(f"/needs/{need_id}/reopen").status_code == 302
    assert _need(app, need_id).status == NeedStatus.OPEN
    assert need_events == [(need_id, "changed")] * 3


def test_reopening_an_expired_need_sends_the_owner_to_extend_it(client, app, login, company, post_need):
    need_id = post_need(company, valid_until=TOMORROW)
    login(company)
    client.post(f"/needs/{need_id}/close")
    _expire(app, need_id)
    response = client.post(f"/needs/{need_id}/reopen")
    assert response.location.endswith(f"/needs/{need_id}/edit")
    assert "请先延长有效期" in client.get(response.location).get_data(as_text=True)
    assert _need(app, need_id).status == NeedStatus.CLOSED


def test_others_cannot_close_or_reopen(client, app, login, company, other_company, post_need):
    public = post_need(company)
    private = post_need(company, "need-10", public=False)
    assert "/login" in client.post(f"/needs/{public}/close").location
    login(other_company)
    assert client.post(f"/needs/{public}/close").status_code == 403
    assert client.post(f"/needs/{public}/reopen").status_code == 403
    assert client.post(f"/needs/{private}/close").status_code == 404
    assert _need(app, public).status == NeedStatus.OPEN and _need(app, private).status == NeedStatus.OPEN


# --- /needs/mine --------------------------------------------------------------------------------

def test_mine_lists_closed_private_and_expired_needs(client, app, login, company, other_company, post_need):
    closed = post_need(company, "need-0")
    private = post_need(company, "need-2", public=False)
    expired = post_need(company, "need-18", valid_until=TOMORROW)
    foreign = post_need(other_company, "need-10")
    _expire(app, expired)
    login(company)
    client.post(f"/needs/{closed}/close")
    html = client.get("/needs/mine").get_data(as_text=True)
    shown = re.findall(r'data-need-id="(\d+)"', html)
    assert set(shown) == {str(closed), str(private), str(expired)} and str(foreign) not in shown
    assert "已关闭" in html and "不公开" in html and "已过期" in html


def test_mine_is_for_signed_in_companies(client, login, university):
    assert "/login" in client.get("/needs/mine").location
    login(university)
    assert client.get("/needs/mine").status_code == 403


def test_company_sees_the_menu_entries(client, login, company):
    login(company)
    html = client.get("/needs").get_data(as_text=True)
    assert 'href="/needs/mine"' in html and 'href="/needs/new"' in html


# --- CSRF ---------------------------------------------------------------------------------------

def test_forms_work_with_the_csrf_token_and_fail_without(client, app, login, company, post_need, request):
    need_id = post_need(company)
    login(company)
    request.getfixturevalue("csrf_app")
    assert client.post("/needs/new", data=FORM).status_code == 400
    token = _csrf_token(client.get("/needs/new").data)
    assert client.post("/needs/new", data={**FORM, "csrf_token": token}).status_code == 302

    edit_token = _csrf_token(client.get(f"/needs/{need_id}/edit").data)
    assert client.post(f"/needs/{need_id}/edit", data={**FORM, "title": "改"}).status_code == 400
    assert client.post(f"/needs/{need_id}/edit",
                       data={**FORM, "title": "改", "csrf_token": edit_token}).status_code == 302

    assert client.post(f"/needs/{need_id}/close").status_code == 400
    assert _need(app, need_id).status == NeedStatus.OPEN
    page_token = _csrf_token(client.get(f"/needs/{need_id}").data)
    assert client.post(f"/needs/{need_id}/close", data={"csrf_token": page_token}).status_code == 302
    assert _need(app, need_id).status == NeedStatus.CLOSED
