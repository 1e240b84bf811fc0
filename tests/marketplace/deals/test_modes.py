"""Auctions and entrusted operations: their own fields and rules, the two-sided consents they reuse, the owner
ending an entrustment, what the operator brokered, pricing and the console counting them as the seeds' targets do."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.deals import services
from marketplace.deals.models import Deal, DealStatus
from marketplace.extensions import db
from marketplace.patents.models import Patent
from tests import factories

TODAY = local_today()


def auction_values(seller, buyer, patents, **overrides) -> dict:
    """A patent sold at auction today (it was listed today too): hammer ¥260,000 over a ¥200,000 reserve."""
    return {"mode": "auction", "seller_id": seller.organisation_id, "buyer_id": buyer.organisation_id,
            "patent_ids": [p.id for p in patents], "amount": "260000.00", "reserve_price": "200000.00",
            "auction_house_name": "贵州产权交易所", "auction_date": TODAY.isoformat(),
            "contract_date": TODAY.isoformat(), **overrides}


def entrusted_values(owner, operator, patents, **overrides) -> dict:
    return {"mode": "entrusted", "seller_id": owner.organisation_id, "buyer_id": operator.organisation_id,
            "patent_ids": [p.id for p in patents], "amount": "0.00", "fee_share": "15.00",
            "operation_scope": "推介、洽谈并撮合许可与转让", "term_start": (TODAY - timedelta(days=30)).isoformat(),
            "term_end": (TODAY + timedelta(days=700)).isoformat(), **overrides}


def deals_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Deal)))


def test_an_auction_is_a_transfer_signed_by_both_sides_and_moves_the_patent_on_registration(
        ctx, university, company, agency):
    patent = factories.make_granted_patent(university)
    deal = services.record_deal(agency.load(), auction_values(university, company, [patent],
                                                              auction_house_id=agency.organisation_id))
    transaction.commit()
    assert deal.status == DealStatus.NEGOTIATING and deal.amount == Decimal("260000.00")
    assert deal.auction_house_label == deal.agency.name and deal.reserve_price == Decimal("200000.00")
    factories.approve("deal", deal.id, university)
    assert deal.status == DealStatus.NEGOTIATING  # the winning bidder signs too, through its own account
    factories.approve("deal", deal.id, company)
    assert deal.status == DealStatus.SIGNED
    assert DealStatus.COMPLETED not in services.next_statuses(deal)  # a transfer takes effect on registration
    services.update_deal(agency.load(), deal.id, {"status": "recorded", "recordal_number": "ZR2026000777"})
    factories.approve("deal", deal.id, university)
    services.update_deal(agency.load(), deal.id, {"status": "completed"})
    factories.approve("deal", deal.id, university)
    assert db.session.get(Patent, patent.id).owner_id == company.organisation_id


def test_an_auction_of_a_co_owned_patent_needs_every_co_owner(ctx, university, other_university, company, agency):
    patent = factories.make_granted_patent(university, co_owners=["另一所大学"])
    from marketplace.patents.models import CoOwnerLink
    db.session.get(Patent, patent.id).co_owner_links = [CoOwnerLink(name="另一所大学",
                                                                   organisation_id=other_university.organisation_id)]
    transaction.commit()
    deal = services.record_deal(agency.load(), auction_values(university, company, [patent]))
    transaction.commit()
    factories.approve("deal", deal.id, university, company)
    assert deal.status == DealStatus.NEGOTIATING
    factories.approve("deal", deal.id, other_university)
    assert deal.status == DealStatus.SIGNED


YESTERDAY, TOMORROW = (TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("overrides, field", [
    ({"reserve_price": "-1"}, "reserve_price"),
    ({"reserve_price": "1000000000000.01"}, "reserve_price"),
    ({"reserve_price": "abc"}, "reserve_price"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "99999999999999"}, "amount"),
    ({"amount": "199999.99"}, "amount"),  # hammer below reserve
    ({"reserve_price": ""}, "reserve_price"),
    ({"auction_house_name": ""}, "auction_house_name"),
    ({"auction_house_id": "999999"}, "auction_house_id"),
    ({"auction_date": ""}, "auction_date"),
    ({"auction_date": TOMORROW, "contract_date": TOMORROW}, "auction_date"),
    ({"auction_date": YESTERDAY, "contract_date": YESTERDAY}, "auction_date"),  # before the patent was listed
    ({"contract_date": YESTERDAY}, "contract_date"),  # the contract follows the auction
    ({"fee_share": "10"}, "fee_share"),  # an entrusted operation's field on an auction
    ({"status": "completed", "recordal_number": ""}, "recordal_number"),
])
def test_bad_auction_input_names_the_field_and_writes_nothing(ctx, university, company, agency, overrides, field):
    patent = factories.make_granted_patent(university)
    before = deals_count()
    with pytest.raises(ValidationFailed) as caught:
        services.record_deal(agency.load(), auction_values(university, company, [patent], **overrides))
    assert field in caught.value.fields
    transaction.rollback()
    assert deals_count() == before


@pytest.mark.parametrize("overrides, field", [
    ({"fee_share": "100.01"}, "fee_share"),
    ({"fee_share": "-1"}, "fee_share"),
    ({"fee_share": "12.345"}, "fee_share"),
    ({"fee_share": "abc"}, "fee_share"),
    ({"fee_share": ""}, "fee_share"),
    ({"term_end": (TODAY - timedelta(days=31)).isoformat()}, "term_end"),  # end before start
    ({"term_start": ""}, "term_start"),
    ({"term_end": ""}, "term_end"),
    ({"operation_scope": ""}, "operation_scope"),
    ({"operation_scope": "x" * 1001}, "operation_scope"),
    ({"amount": "-1"}, "amount"),
    ({"reserve_price": "100"}, "reserve_price"),  # an auction's field on an entrusted operation
    ({"status": "recorded", "recordal_number": "X1"}, "status"),  # nothing to register with CNIPA
])
def test_bad_entrusted_input_names_the_field_and_writes_nothing(ctx, university, agency, overrides, field):
    patent = factories.make_granted_patent(university)
    before = deals_count()
    with pytest.raises(ValidationFailed) as caught:
        services.record_deal(university.load(), entrusted_values(university, agency, [patent], **overrides))
    assert field in caught.value.fields
    transaction.rollback()
    assert deals_count() == before


def test_the_operator_must_be_an_agency(ctx, university, company):
    patent = factories.make_granted_patent(university)
    with pytest.raises(ValidationFailed) as caught:
        services.record_deal(university.load(), entrusted_values(university, company, [patent]))
    assert caught.value.fields == {"buyer_id": "须为运营机构"}


def test_editing_an_auction_below_its_reserve_is_refused(ctx, university, company, agency):
    patent = factories.make_granted_patent(university)
    deal = services.record_deal(agency.load(), auction_values(university, company, [patent]))
    transaction.commit()
    with pytest.raises(ValidationFailed) as caught:
        services.update_deal(agency.load(), deal.id, {"reserve_price": "300000.00"})
    assert "amount" in caught.value.fields
    transaction.rollback()
    assert db.session.get(Deal, deal.id).reserve_price == Decimal("200000.00")


def entrust(university, agency, patents) -> Deal:
    deal = services.record_deal(university.load(), entrusted_values(university, agency, patents))
    transaction.commit()
    return deal


def test_the_operator_consents_through_its_own_account(ctx, university, agency):
    deal = entrust(university, agency, [factories.make_granted_patent(university)])
    assert deal.status == DealStatus.NEGOTIATING and deal.agency_id is None
    assert not services.entrustment_in_force(deal, TODAY)
    factories.approve("deal", deal.id, agency)
    assert deal.status == DealStatus.SIGNED and services.entrustment_in_force(deal, TODAY)
    assert services.next_statuses(deal) == [DealStatus.CANCELLED]  # no CNIPA recordal; the owner ends it alone


def test_the_owner_ends_the_entrustment_alone(ctx, university, agency, company):
    deal = entrust(university, agency, [factories.make_granted_patent(university)])
    factories.approve("deal", deal.id, agency)
    with pytest.raises(Conflict):
        services.end_entrustment(agency.load(), deal.id, {})  # the operator may not
    with pytest.raises(NotFound):
        services.end_entrustment(company.load(), deal.id, {})  # nor anyone else, who does not even see it
    with pytest.raises(ValidationFailed) as caught:
        services.end_entrustment(university.load(), deal.id, {"ended_on": TOMORROW})
    assert "ended_on" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.end_entrustment(university.load(), deal.id, {"ended_on": (TODAY - timedelta(days=60)).isoformat()})
    assert "ended_on" in caught.value.fields
    transaction.rollback()
    services.end_entrustment(university.load(), deal.id, {"ended_on": YESTERDAY})
    transaction.commit()
    assert deal.status == DealStatus.COMPLETED and deal.completed_on == TODAY - timedelta(days=1)
    assert not services.entrustment_in_force(deal, TODAY)
    from marketplace.push.models import Notification
    [told] = db.session.scalars(select(Notification).where(Notification.dedupe_key == f"entrustment-ended:{deal.id}"))
    assert told.organisation_id == agency.organisation_id and "委托运营已终止" in told.title
    with pytest.raises(Conflict):
        services.end_entrustment(university.load(), deal.id, {})


def test_ending_applies_only_to_entrusted_operations(ctx, university, company, agency):
    deal = services.record_deal(agency.load(), auction_values(university, company,
                                                              [factories.make_granted_patent(university)]))
    transaction.commit()
    with pytest.raises(NotFound):
        services.end_entrustment(university.load(), deal.id, {})


def test_what_the_operator_brokered_during_the_entrustment(ctx, university, company, agency):
    patent = factories.make_granted_patent(university)
    deal = entrust(university, agency, [patent])
    factories.approve("deal", deal.id, agency)
    brokered = services.record_deal(agency.load(), {
        "mode": "license", "license_kind": "ordinary", "seller_id": university.organisation_id,
        "buyer_id": company.organisation_id, "patent_ids": [patent.id], "amount": "80000.00",
        "contract_date": TODAY.isoformat()})
    other = services.record_deal(university.load(), {
        "mode": "license", "license_kind": "ordinary", "seller_id": university.organisation_id,
        "buyer_id": company.organisation_id, "patent_ids": [patent.id], "amount": "90000.00",
        "contract_date": TODAY.isoformat()})  # the owner's own deal, not the operator's
    transaction.commit()
    assert [d.id for d in services.brokered_under(deal)] == [brokered.id]
    assert other.agency_id is None


def test_entrusted_operations_are_not_rewarded_income_nor_counted_and_auctions_count_as_transfers(
        ctx, university, company, agency):
    from marketplace.console.ledger import Filters, Scope
    from marketplace.console.targets import target_progress
    auction = services.record_deal(agency.load(), auction_values(university, company,
                                                                 [factories.make_granted_patent(university)]))
    operation = services.record_deal(agency.load(), entrusted_values(
        university, agency, [factories.make_granted_patent(university)]))
    transaction.commit()
    factories.approve("deal", auction.id, university, company)
    factories.approve("deal", operation.id, university)
    assert auction.status == operation.status == DealStatus.SIGNED
    progress = {p.metric: p for p in target_progress(agency.organisation_id, TODAY.year, TODAY)}
    assert progress["transfer_license_count"].actual == 1 and progress["conversion_count"].actual == 1
    assert progress["conversion_amount"].actual == Decimal("260000.00")
    from marketplace.console.statistics import deal_statistics
    table = deal_statistics(Scope(), Filters(start=TODAY.replace(month=1, day=1), end=TODAY), "mode")
    assert {row.key: row.figure.items for row in table.rows if row.figure.items} == {"auction": 1}  # not the mandate
    assert [row.key for row in table.rows] == ["transfer", "license", "open_license", "equity", "auction", "pledge"]
    from marketplace.deals import payments
    from marketplace.rewards.services import _deal_incomes
    received = payments.record_payment(university.load(), auction.id,  # the seller records it: counts at once
                                       {"amount": "260000.00", "paid_on": TODAY.isoformat()})
    with pytest.raises(Conflict):  # the owner pays the operator's fee: never the owner's income
        payments.record_payment(university.load(), operation.id, {"amount": "1.00", "paid_on": TODAY.isoformat()})
    transaction.commit()
    incomes = _deal_incomes(university.organisation_id, TODAY.replace(month=1, day=1), TODAY)
    assert [(i.source, i.item_id, i.deal_id, i.amount) for i in incomes] == [
        ("deal_payment", received.id, auction.id, Decimal("260000.00"))]


def test_an_amendment_below_the_reserve_is_refused_when_proposed(ctx, university, company, agency):
    deal = services.record_deal(agency.load(), auction_values(university, company,
                                                              [factories.make_granted_patent(university)]))
    transaction.commit()
    factories.approve("deal", deal.id, university, company)
    with pytest.raises(ValidationFailed) as caught:
        services.amend_deal(agency.load(), deal.id, {"changes": {"amount": "150000.00"}, "reason": "尾款减免"})
    assert "amount" in caught.value.fields
    transaction.rollback()
    assert db.session.get(Deal, deal.id).amount == Decimal("260000.00") and len(deal.proposals) == 1
    proposal = services.amend_deal(agency.load(), deal.id, {"changes": {"amount": "240000.00"}, "reason": "补充协议"})
    transaction.commit()
    factories.approve("deal", deal.id, university, company)
    assert proposal.status.value == "effective" and db.session.get(Deal, deal.id).amount == Decimal("240000.00")
