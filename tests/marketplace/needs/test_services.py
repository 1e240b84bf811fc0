"""Need services without HTTP: validation of every field, who sees and changes what, close/reopen, expiry, lists."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.core.dates import local_today
from marketplace.core.errors import Forbidden, NotFound, ValidationFailed
from marketplace.core.models import AuditEntry, OutboxEvent
from marketplace.extensions import db
from marketplace.needs import services
from marketplace.needs.models import Need, NeedSegment, NeedStatus
from marketplace.needs.services import NeedFilters
from tests.marketplace.needs.records import end_date, need_values, record, records

TOMORROW = local_today() + timedelta(days=1)


def _post(user_ref, rec_id: str = "need-2", **overrides) -> Need:
    return services.create_need(user_ref.load(), need_values(record(rec_id), **overrides))


def _field_error(excinfo: pytest.ExceptionInfo) -> dict[str, str]:
    return excinfo.value.fields


# --- creating from real records ----------------------------------------------------------------

def test_every_real_record_can_be_posted(ctx, company):
    for rec in records():
        need = services.create_need(company.load(), need_values(rec))
        assert need.title == rec["name"]
        assert need.description == rec["context"].strip()
        assert need.status == NeedStatus.OPEN and need.public and need.is_listed
    assert db.session.scalar(select(db.func.count()).select_from(Need)) == len(records())


def test_create_normalises_modes_segments_keywords_and_budget(ctx, company):
    need = _post(company, "need-216", keywords="储能纤维，调温、 储能纤维 ;相变材料",
                 budget_min="¥1,000", budget_max="500000.5", valid_until=TOMORROW.isoformat())
    assert need.modes == ["equity", "transfer", "license"]  # 技术入股, 技术转让, 技术许可
    assert need.segments == ["TM-E"]
    assert need.keywords == ["储能纤维", "调温", "相变材料"]
    assert need.budget_min == Decimal("1000.00") and need.budget_max == Decimal("500000.50")
    assert need.valid_until == TOMORROW
    assert need.organisation_id == company.organisation_id and need.created_by_id == company.id


def test_create_writes_audit_and_outbox(ctx, company, need_events):
    need = _post(company)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "need"))
    assert entry.action == "need.created" and entry.entity_id == need.id
    assert entry.organisation_id == company.organisation_id
    assert entry.changes["title"] == "LED升压恒流驱动的电路"
    events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.entity_type == "need")).all()
    assert [(e.consumer, e.entity_id) for e in events] == [("needs-test", need.id)]


def test_segment_names_resolve_to_codes(ctx, company):
    need = _post(company, segments="新材料、软件, TM-H1")
    assert need.segments == ["SEI-03", "TM-A5", "TM-H1"]


# --- field validation --------------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": "   "}, "title"),
    ({"title": "需" * 301}, "title"),
    ({"description": "述" * 20001}, "description"),
    ({"segments": ["量子炼金术"]}, "segments"),  # neither a segment nor a GB/T 4754 name
    ({"segments": [f"TM-H{i}" for i in range(1, 12)]}, "segments"),
    ({"keywords": "LED," + "很长的关键词" * 7}, "keywords"),
    ({"keywords": [f"词{i}" for i in range(21)]}, "keywords"),
    ({"modes": ["技术转让", "委托开发"]}, "modes"),  # commissioned development is not a transformation mode
    ({"budget_min": "-1"}, "budget_min"),
    ({"budget_min": "100.001"}, "budget_min"),
    ({"budget_max": "abc"}, "budget_max"),
    ({"budget_max": "2000000000000"}, "budget_max"),
    ({"budget_min": "50000", "budget_max": "10000"}, "budget_max"),
    ({"valid_until": "2021/13/40"}, "valid_until"),
    ({"public": "maybe"}, "public"),
    ({"status": "closed"}, "status"),
])
def test_invalid_field_is_named(ctx, company, overrides, field):
    with pytest.raises(ValidationFailed) as excinfo:
        _post(company, **overrides)
    assert field in _field_error(excinfo)
    assert db.session.scalar(select(db.func.count()).select_from(Need)) == 0


def test_title_is_required(ctx, company):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_need(company.load(), {"description": "无标题"})
    assert _field_error(excinfo) == {"title": "必填"}


def test_all_wrong_fields_are_reported_together(ctx, company):
    with pytest.raises(ValidationFailed) as excinfo:
        _post(company, title="", modes=["拍卖"], budget_min="-5")
    assert set(_field_error(excinfo)) == {"title", "modes", "budget_min"}


def test_the_records_own_past_end_date_is_refused_on_create(ctx, company):
    rec = record("need-2")
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_need(company.load(), need_values(rec, valid_until=end_date(rec)))
    assert "valid_until" in _field_error(excinfo)


def test_today_and_no_date_are_valid(ctx, company):
    assert _post(company, valid_until=local_today()).valid_until == local_today()
    assert _post(company, "need-0").valid_until is None


def test_zero_budget_and_open_ended_range_are_allowed(ctx, company):
    need = _post(company, budget_min="0", budget_max="")
    assert need.budget_min == Decimal("0.00") and need.budget_max is None


# --- who may post, see and change ---------------------------------------------------------------

@pytest.mark.parametrize("who", ["university", "agency", "bank", "platform_admin"])
def test_only_companies_post(ctx, request, who):
    with pytest.raises(Forbidden):
        _post(request.getfixturevalue(who))


def test_private_need_is_seen_only_by_its_organisation_and_admins(ctx, company, company_member, other_company,
                                                                  platform_admin):
    need = _post(company, public=False)
    assert services.get_visible_need(company.load(), need.id) is need
    assert services.get_visible_need(company_member.load(), need.id) is need
    assert services.get_visible_need(platform_admin.load(), need.id) is need
    for outsider in (other_company.load(), None):
        with pytest.raises(NotFound):
            services.get_visible_need(outsider, need.id)


def test_public_need_is_seen_by_anyone_even_when_closed(ctx, company):
    need = _post(company)
    services.close_need(company.load(), need.id)
    assert services.get_visible_need(None, need.id) is need


def test_unknown_need_is_not_found(ctx, company):
    with pytest.raises(NotFound):
        services.get_visible_need(company.load(), 424242)


def test_members_of_the_owner_edit(ctx, company, company_member):
    need = _post(company)
    services.update_need(company_member.load(), need.id, {"title": "LED恒流驱动电路（修订）"})
    assert need.title == "LED恒流驱动电路（修订）"


def test_outsiders_get_403_on_public_and_404_on_private_needs(ctx, company, other_company, platform_admin):
    public = _post(company)
    private = _post(company, "need-10", public=False)
    for outsider in (other_company, platform_admin):
        user = outsider.load()
        for change in (lambda nid: services.update_need(user, nid, {"title": "篡改"}),
                       lambda nid: services.close_need(user, nid)):
            with pytest.raises(Forbidden):
                change(public.id)
    with pytest.raises(NotFound):
        services.update_need(other_company.load(), private.id, {"title": "篡改"})
    with pytest.raises(NotFound):
        services.close_need(other_company.load(), private.id)
    assert public.title == "LED升压恒流驱动的电路" and public.status == NeedStatus.OPEN


# --- updating -----------------------------------------------------------------------------------

def test_update_is_partial_audited_and_recorded(ctx, company, need_events):
    need = _post(company, budget_min="10000", keywords=["LED"])
    services.update_need(company.load(), need.id, {"budget_max": "80000", "public": False})
    assert need.budget_min == Decimal("10000.00") and need.budget_max == Decimal("80000.00")
    assert not need.public and need.keywords == ["LED"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "need.updated"))
    assert entry.changes == {"budget_max": [None, "80000.00"], "public": [True, False]}
    assert db.session.scalar(select(db.func.count()).select_from(OutboxEvent)) == 2


def test_update_checks_budget_order_against_the_stored_bound(ctx, company):
    need = _post(company, budget_min="50000")
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_need(company.load(), need.id, {"budget_max": "10000"})
    assert "budget_max" in _field_error(excinfo)


def test_update_without_changes_records_nothing(ctx, company, need_events):
    need = _post(company)
    services.update_need(company.load(), need.id, {"title": need.title})
    assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "need.updated")) == 0
    assert db.session.scalar(select(db.func.count()).select_from(OutboxEvent)) == 1


def test_segments_are_replaced_keeping_shared_rows(ctx, company):
    need = _post(company, segments=["TM-A", "TM-D"])
    services.update_need(company.load(), need.id, {"segments": ["TM-D", "TM-F"]})
    db.session.expire_all()
    rows = db.session.scalars(select(NeedSegment.segment_code).where(NeedSegment.need_id == need.id)
                              .order_by(NeedSegment.segment_code)).all()
    assert rows == ["TM-D", "TM-F"]


def test_an_expired_need_stays_editable_but_not_backdated(ctx, company):
    need = _post(company, valid_until=TOMORROW)
    need.valid_until = local_today() - timedelta(days=3)  # time passed
    services.update_need(company.load(), need.id, {"title": "仍在寻找", "valid_until": need.valid_until})
    assert need.title == "仍在寻找"
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_need(company.load(), need.id, {"valid_until": local_today() - timedelta(days=1)})
    assert "valid_until" in _field_error(excinfo)


# --- close, reopen, expiry ----------------------------------------------------------------------

def test_close_and_reopen(ctx, company):
    need = _post(company)
    services.close_need(company.load(), need.id)
    assert need.status == NeedStatus.CLOSED and need.closed_at is not None and not need.is_listed
    closed_at = need.closed_at
    services.close_need(company.load(), need.id)
    assert need.closed_at == closed_at
    services.reopen_need(company.load(), need.id)
    assert need.status == NeedStatus.OPEN and need.closed_at is None and need.is_listed
    actions = db.session.scalars(select(AuditEntry.action)
                                 .where(AuditEntry.entity_type == "need", AuditEntry.entity_id == need.id)
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["need.created", "need.closed", "need.reopened"]


def test_an_expired_need_reopens_only_after_extension(ctx, company):
    need = _post(company)
    services.close_need(company.load(), need.id)
    need.valid_until = local_today() - timedelta(days=1)
    with pytest.raises(ValidationFailed) as excinfo:
        services.reopen_need(company.load(), need.id)
    assert "valid_until" in _field_error(excinfo)
    services.update_need(company.load(), need.id, {"valid_until": TOMORROW})
    services.reopen_need(company.load(), need.id)
    assert need.is_open


def test_expiry_hides_a_need_from_the_public_list_only(ctx, company):
    need = _post(company, valid_until=TOMORROW)
    assert [n.id for n in services.list_public_needs(NeedFilters()).items] == [need.id]
    need.valid_until = local_today() - timedelta(days=1)
    db.session.flush()
    assert need.is_expired and not need.is_open
    assert services.list_public_needs(NeedFilters()).total == 0
    assert [n.id for n in services.list_organisation_needs(company.load()).items] == [need.id]


# --- lists --------------------------------------------------------------------------------------

def _titles(filters: NeedFilters) -> set[str]:
    return {n.title for n in services.list_public_needs(filters, per_page=100).items}


def test_public_list_leaves_out_private_and_closed(ctx, company, other_company):
    _post(company, "need-0")
    _post(company, "need-2", public=False)
    closed = _post(other_company, "need-10")
    services.close_need(other_company.load(), closed.id)
    assert _titles(NeedFilters()) == {"LED手电筒红外开关改进"}


def test_segment_filter_includes_sub_segments(ctx, company):
    _post(company, "need-0", segments=["TM-A1"])
    _post(company, "need-18", segments=["TM-H"])
    _post(company, "need-61", segments=["PII-2"])
    assert _titles(NeedFilters(segment="TM")) == {"LED手电筒红外开关改进", "猕猴桃防冻技术引进"}
    assert _titles(NeedFilters(segment="TM-A")) == {"LED手电筒红外开关改进"}
    assert _titles(NeedFilters(segment="TM-A1")) == {"LED手电筒红外开关改进"}
    assert _titles(NeedFilters(segment="TM-B")) == set()


def test_mode_filter_is_exact(ctx, company):
    _post(company, "need-0", modes=["open_license"])
    _post(company, "need-18", modes=["license", "transfer"])
    assert _titles(NeedFilters(mode="license")) == {"猕猴桃防冻技术引进"}
    assert _titles(NeedFilters(mode="open_license")) == {"LED手电筒红外开关改进"}
    assert _titles(NeedFilters(mode="equity")) == set()


def test_text_filter_matches_title_case_insensitively_and_literally(ctx, company):
    _post(company, "need-0")
    _post(company, "need-416")  # 100G光模块研发
    _post(company, "need-18", title="猕猴桃防冻技术引进 100%")
    assert _titles(NeedFilters(text="led")) == {"LED手电筒红外开关改进"}
    assert _titles(NeedFilters(text="100g光")) == {"100G光模块研发"}
    assert _titles(NeedFilters(text="100%")) == {"猕猴桃防冻技术引进 100%"}
    assert _titles(NeedFilters(text="红外", segment="TM-H")) == set()


def test_public_list_pages_newest_first(ctx, company):
    ids = [services.create_need(company.load(), need_values(rec)).id for rec in records()]
    first = services.list_public_needs(NeedFilters(), page=1, per_page=15)
    second = services.list_public_needs(NeedFilters(), page=2, per_page=15)
    assert first.total == 20 and first.pages == 2
    assert [n.id for n in first.items + second.items] == sorted(ids, reverse=True)


def test_my_needs_list_everything_of_my_company_open_first(ctx, company, other_company):
    closed = _post(company, "need-0")
    services.close_need(company.load(), closed.id)
    private = _post(company, "need-2", public=False)
    _post(other_company, "need-10")
    assert [n.id for n in services.list_organisation_needs(company.load()).items] == [private.id, closed.id]


def test_my_needs_list_is_for_companies(ctx, university):
    with pytest.raises(Forbidden):
        services.list_organisation_needs(university.load())


@pytest.mark.parametrize(("raw", "expected"), [
    ({}, NeedFilters()),
    ({"segment": "TM-A", "mode": "license", "q": " LED "}, NeedFilters("TM-A", "license", "LED")),
    ({"segment": "新材料", "mode": "技术入股"}, NeedFilters("SEI-03", "equity", None)),
])
def test_parse_filters(ctx, raw, expected):
    assert services.parse_need_filters(raw) == expected


@pytest.mark.parametrize(("raw", "field"), [({"segment": "制造业"}, "segment"), ({"mode": "委托开发"}, "mode")])
def test_parse_filters_refuses_unknown_values(ctx, raw, field):
    with pytest.raises(ValidationFailed) as excinfo:
        services.parse_need_filters(raw)
    assert field in _field_error(excinfo)
