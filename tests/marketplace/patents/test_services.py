"""Inventory services without HTTP: publishing rules, bulk edits, partial updates, access."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.models import AuditEntry
from marketplace.extensions import db
from marketplace.patents import services
from marketplace.patents.vocab import LegalStatus, PublicationState
from tests import factories
from tests.factories import load_fixture, make_patent

SAMPLE = load_fixture("patents_sample.jsonl")


def test_create_refuses_wrong_check_digit_naming_the_right_one(ctx, university):
    raw = {"application_number": "201710601862.9", "title": "一种锂离子电池正极材料"}
    with pytest.raises(ValidationFailed) as caught:
        services.create_patent(university.load(), raw)
    assert "应为 3" in caught.value.fields["application_number"]


@pytest.mark.parametrize("kind", ["agency", "bank"])
def test_only_supply_organisations_hold_patents(ctx, kind, request):
    user = request.getfixturevalue(kind).load()
    with pytest.raises(Forbidden):
        services.create_patent(user, {"application_number": SAMPLE[0]["app_no"], "title": SAMPLE[0]["title"]})


def test_company_may_hold_patents(ctx, company):
    patent = services.create_patent(company.load(), {"application_number": SAMPLE[1]["app_no"],
                                                     "title": SAMPLE[1]["title"]})
    assert patent.state == PublicationState.DRAFT


def test_create_twice_is_a_conflict(ctx, university, other_university):
    raw = {"application_number": SAMPLE[2]["app_no"], "title": SAMPLE[2]["title"]}
    services.create_patent(university.load(), raw)
    with pytest.raises(Conflict):
        services.create_patent(university.load(), raw)
    with pytest.raises(Conflict):
        services.create_patent(other_university.load(), raw)


def test_publishing_is_all_or_none_and_refuses_lapsed(ctx, university):
    good = make_patent(university, SAMPLE[3])
    lapsed = make_patent(university, SAMPLE[4], legal_status="专利权终止")
    with pytest.raises(ValidationFailed) as caught:
        services.set_published(university.load(), [good.id, lapsed.id], True)
    assert lapsed.application_number in caught.value.message
    assert good.load().state == PublicationState.DRAFT
    services.set_published(university.load(), [good.id], True)
    assert good.load().is_published and good.load().published_at is not None


def test_a_lapse_recorded_later_unpublishes(ctx, university):
    ref = make_patent(university, SAMPLE[5], publish=True)
    services.update_patent(university.load(), ref.id, {"legal_status": "expired"})
    patent = ref.load()
    assert patent.state == PublicationState.DRAFT and patent.legal_status == LegalStatus.EXPIRED


def test_publish_is_audited_with_the_acting_user(ctx, university):
    ref = make_patent(university, SAMPLE[6])
    services.set_published(university.load(), [ref.id], True)
    entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "patent.published")).one()
    assert (entry.user_id, entry.entity_id) == (university.id, ref.id)


def test_foreign_patents_look_absent(ctx, university, other_university):
    ref = make_patent(university, SAMPLE[7])
    intruder = other_university.load()
    for attempt in (lambda: services.update_patent(intruder, ref.id, {"grade": "A"}),
                    lambda: services.delete_patent(intruder, ref.id),
                    lambda: services.set_published(intruder, [ref.id], True),
                    lambda: services.bulk_edit(intruder, [ref.id], {"grade": "A"}),
                    lambda: services.get_visible_patent(intruder, ref.id)):
        with pytest.raises(NotFound):
            attempt()
    assert ref.load().grade is None


def test_bulk_edit_adds_or_replaces_tags(ctx, university):
    first = make_patent(university, SAMPLE[8], tags="无人机")
    second = make_patent(university, SAMPLE[9])
    user = university.load()
    services.bulk_edit(user, [first.id, second.id], {"tags": "人工智能, 无人机"}, add_tags=True)
    assert first.load().tags == ["无人机", "人工智能"]
    assert second.load().tags == ["人工智能", "无人机"]
    services.bulk_edit(user, [first.id], {"tags": "大数据"})
    assert first.load().tags == ["大数据"]


def test_bulk_edit_validates_before_touching_any_patent(ctx, university):
    ref = make_patent(university, SAMPLE[10], grade="B")
    with pytest.raises(ValidationFailed):
        services.bulk_edit(university.load(), [ref.id], {"grade": "Z", "segments": ["TM-H11"]})
    with pytest.raises(ValidationFailed):
        services.bulk_edit(university.load(), [ref.id], {"title": "改名"})
    assert ref.load().grade == "B" and ref.load().segments == []


def test_patch_of_one_price_bound_keeps_the_other(ctx, university):
    ref = make_patent(university, SAMPLE[11], price_min="100000", price_max="500000")
    services.update_patent(university.load(), ref.id, {"price_max": "800000.50"})
    patent = ref.load()
    assert (patent.price_min, patent.price_max) == (Decimal("100000.00"), Decimal("800000.50"))
    with pytest.raises(ValidationFailed) as caught:
        services.update_patent(university.load(), ref.id, {"price_min": "900000"})
    assert "price_max" in caught.value.fields


def test_only_drafts_are_deleted(ctx, university):
    ref = make_patent(university, SAMPLE[12], publish=True)
    with pytest.raises(Conflict):
        services.delete_patent(university.load(), ref.id)
    services.set_published(university.load(), [ref.id], False)
    services.delete_patent(university.load(), ref.id)
    assert ref.load() is None


def test_a_patent_a_deal_names_is_kept(ctx, university, company):
    """A draft with a deal (here an unpublished one the university sold) is not deleted: the deal would lose
    its patent (SQLite enforces no foreign keys; PostgreSQL answered a 500)."""
    from marketplace.core import transaction
    from marketplace.deals import services as deals

    patent = factories.make_granted_patent(university)
    deals.record_deal(university.load(), {"mode": "transfer", "seller_id": university.organisation_id,
                                          "buyer_id": company.organisation_id, "patent_ids": [patent.id],
                                          "amount": "1200000.00", "contract_date": "2026-01-15"})
    services.set_published(university.load(), [patent.id], False)
    transaction.commit()
    with pytest.raises(Conflict) as caught:
        services.delete_patent(university.load(), patent.id)
    assert "deal_patents" in caught.value.fields["records"]
    assert db.session.get(type(patent.load()), patent.id) is not None


@pytest.mark.parametrize("number, declared, implied_label, declared_label", [
    ("202223220665.2", "invention", "实用新型", "发明"),
    ("201710601862.3", "design", "发明", "外观设计"),
    ("95115608.X", "utility_model", "发明", "实用新型"),
])
def test_a_type_contradicting_the_number_names_both(ctx, university, number, declared, implied_label,
                                                    declared_label):
    with pytest.raises(ValidationFailed) as caught:
        services.create_patent(university.load(), {"application_number": number, "title": "类型测试",
                                                   "patent_type": declared})
    reason = caught.value.fields["patent_type"]
    assert implied_label in reason and declared_label in reason and number in reason


def test_the_number_decides_the_type_and_the_expiry(ctx, university):
    patent = services.create_patent(university.load(), {"application_number": "202223220665.2", "title": "散热结构",
                                                         "application_date": "2022-12-01"})
    assert patent.patent_type == "utility_model" and patent.expiry.isoformat() == "2032-12-01"
    services.update_patent(university.load(), patent.id, {"application_number": "202210601862.4"})
    assert patent.patent_type == "invention" and patent.expiry.isoformat() == "2042-12-01"


def test_a_pending_invalidation_needs_its_date_and_a_new_status_drops_it(ctx, university):
    patent = factories.make_granted_patent(university)
    with pytest.raises(ValidationFailed) as caught:
        services.update_patent(university.load(), patent.id, {"legal_status": "invalidation_pending"})
    assert "legal_status_on" in caught.value.fields
    services.update_patent(university.load(), patent.id, {"legal_status": "invalidation_pending",
                                                          "legal_status_on": "2026-03-01"})
    assert patent.load().legal_status_on.isoformat() == "2026-03-01" and patent.load().legal_status.in_force
    services.update_patent(university.load(), patent.id, {"legal_status": "granted"})
    assert patent.load().legal_status_on is None
