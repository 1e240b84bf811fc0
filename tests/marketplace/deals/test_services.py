"""The deal ledger through its services: legal rules, the status lifecycle, ownership moves, amendments."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.core.models import AuditEntry
from marketplace.deals import services
from marketplace.deals.models import DealStatus
from marketplace.extensions import db
from marketplace.openlicense import services as openlicense
from marketplace.legal.refusals import Ineligible
from marketplace.openlicense.models import OpenLicenseDeclaration
from marketplace.patents.models import Patent
from tests import factories


def sign(deal, *parties) -> None:
    """Each party signs the deal through its own account (tests not about consent)."""
    factories.approve("deal", deal.id, *parties)


def deal_values(seller, buyer, patents, **overrides) -> dict:
    return {"mode": "transfer", "seller_id": seller.organisation_id, "buyer_id": buyer.organisation_id,
            "patent_ids": [p.id for p in patents], "amount": "1200000.00", "contract_date": "2026-01-15",
            **overrides}


def test_agency_records_a_brokered_transfer_and_completes_it(ctx, university, company, agency):
    patent = factories.make_granted_patent(university)
    deal = services.record_deal(agency.load(), deal_values(university, company, [patent], status="signed"))
    transaction.commit()
    assert deal.agency_id == agency.organisation_id and deal.status == DealStatus.NEGOTIATING
    assert deal.amount == Decimal("1200000.00")
    sign(deal, university, company)
    assert deal.status == DealStatus.SIGNED
    services.update_deal(agency.load(), deal.id, {"status": "recorded", "recordal_number": "ZR2026000123"})
    factories.approve("deal", deal.id, university)
    services.update_deal(agency.load(), deal.id, {"status": "completed"})
    factories.approve("deal", deal.id, university)
    moved = db.session.get(Patent, patent.id)
    assert moved.owner_id == company.organisation_id
    [change] = services.ownership_history(patent.id)
    assert (change.from_owner_id, change.to_owner_id, change.deal_id) == (
        university.organisation_id, company.organisation_id, deal.id)


@pytest.mark.parametrize("mode", ["transfer", "equity"])
def test_assignment_is_blocked_while_an_open_license_is_declared(ctx, university, company, agency, mode):
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent)
    deal = services.record_deal(agency.load(), deal_values(university, company, [patent], mode=mode))
    transaction.commit()
    factories.approve("deal", deal.id, university)
    with pytest.raises(Ineligible) as caught:
        factories.approve("deal", deal.id, company)
    assert "withdraw_open_license_first" in caught.value.fields
    transaction.rollback()
    openlicense.withdraw_declaration(university.load(), declaration_id)
    transaction.commit()
    sign(deal, company)
    assert db.session.get(OpenLicenseDeclaration, declaration_id).status == "withdrawn"
    assert db.session.get(type(deal), deal.id).status == DealStatus.SIGNED


@pytest.mark.parametrize("kind, refused", [("exclusive", True), ("sole", True), ("ordinary", False)])
def test_exclusive_and_sole_licenses_are_refused_while_declared(ctx, university, company, kind, refused):
    patent = factories.make_granted_patent(university)
    factories.make_open_license(university, patent)
    values = deal_values(university, company, [patent], mode="license", license_kind=kind, amount="0")
    if refused:
        with pytest.raises(Ineligible) as caught:
            services.record_deal(university.load(), values)
        assert list(caught.value.fields) == ["open_license_declared"]
    else:
        assert services.record_deal(university.load(), values).amount == Decimal("0.00")


def test_signed_exclusive_license_makes_a_draft_ineligible_and_cancelling_frees_it(ctx, university, company):
    patent = factories.make_granted_patent(university)
    deal = services.record_deal(university.load(), deal_values(
        university, company, [patent], mode="license", license_kind="exclusive", status="signed",
        term_end="2029-12-31"))
    transaction.commit()
    assert openlicense.check_eligibility(university.load(), patent.id).eligible, "not binding before signing"
    sign(deal, company)
    assert [r.code for r in openlicense.check_eligibility(university.load(), patent.id).refusals] == [
        "exclusive_license"]
    services.update_deal(university.load(), deal.id, {"status": "cancelled"})
    transaction.commit()
    assert deal.status == DealStatus.SIGNED, "a signed deal is cancelled only with both parties"
    sign(deal, company)
    assert deal.status == DealStatus.CANCELLED
    assert openlicense.check_eligibility(university.load(), patent.id).eligible


def test_transfer_of_a_pledged_patent_is_refused(ctx, university, company, bank):
    patent = factories.make_granted_patent(university)
    factories.make_pledge(university, bank, [patent])
    deal = services.record_deal(university.load(), deal_values(university, company, [patent], status="signed"))
    transaction.commit()
    with pytest.raises(Ineligible) as caught:
        sign(deal, company)
    assert "pledged" in caught.value.fields


def test_licensing_a_pledged_patent_needs_the_pledgees_consent(ctx, university, company, bank):
    patent = factories.make_granted_patent(university)
    factories.make_pledge(university, bank, [patent])
    deal = services.record_deal(university.load(), deal_values(university, company, [patent], mode="license",
                                                               license_kind="ordinary", amount="1000"))
    transaction.commit()
    sign(deal, company)
    assert deal.status == DealStatus.NEGOTIATING  # Civil Code art. 444: the pledgee must consent too
    sign(deal, bank)
    assert deal.status == DealStatus.SIGNED


@pytest.mark.parametrize("overrides, field", [
    ({"amount": "-1"}, "amount"),
    ({"amount": "1.001"}, "amount"),
    ({"amount": "1000000000000.01"}, "amount"),
    ({"amount": "0"}, "amount"),  # only a license may be free
    ({"mode": "license"}, "license_kind"),
    ({"mode": "lease"}, "mode"),
    ({"term_start": "2027-01-01", "term_end": "2026-01-01"}, "term_end"),
    ({"patent_ids": []}, "patent_ids"),
    ({"status": "cancelled"}, "status"),
    ({"status": "recorded"}, "recordal_number"),
    ({"status": "completed"}, "recordal_number"),
])
def test_bad_deal_input_names_the_field(ctx, university, company, overrides, field):
    patent = factories.make_granted_patent(university)
    with pytest.raises(ValidationFailed) as caught:
        services.record_deal(university.load(), deal_values(university, company, [patent], **overrides))
    assert field in caught.value.fields


def test_seller_must_be_the_patentee_and_the_recorder_a_party(ctx, university, other_university, company):
    patent = factories.make_granted_patent(university)
    with pytest.raises(Ineligible) as caught:
        services.record_deal(other_university.load(), deal_values(other_university, company, [patent]))
    assert "seller_not_patentee" in caught.value.fields
    with pytest.raises(ValidationFailed):
        services.record_deal(other_university.load(), deal_values(university, company, [patent]))


def test_lifecycle_refuses_skipping_and_going_back(ctx, university, company):
    patent = factories.make_granted_patent(university)
    deal = services.record_deal(university.load(), deal_values(university, company, [patent]))
    transaction.commit()
    for status in ("signed", "completed", "recorded"):  # signing comes from the parties' consents only
        with pytest.raises(Conflict):
            services.update_deal(university.load(), deal.id, {"status": status, "recordal_number": "ZR1"})
    sign(deal, company)
    with pytest.raises(Conflict):  # an assignment takes effect on registration
        services.update_deal(university.load(), deal.id, {"status": "completed"})
    with pytest.raises(Conflict):
        services.update_deal(university.load(), deal.id, {"status": "negotiating"})


def test_recorded_deal_is_immutable_and_corrected_by_amendment(ctx, university, company, agency):
    patent = factories.make_granted_patent(university)
    deal = services.record_deal(agency.load(), deal_values(
        university, company, [patent], mode="license", license_kind="ordinary", status="recorded",
        recordal_number="X2026000001"))
    transaction.commit()
    sign(deal, university, company)
    assert deal.status == DealStatus.RECORDED and deal.recordal_number == "X2026000001"
    with pytest.raises(Conflict) as caught:
        services.update_deal(agency.load(), deal.id, {"amount": "1.00"})
    assert "amount" in caught.value.fields
    transaction.rollback()
    proposal = services.amend_deal(company.load(), deal.id, {"changes": {"amount": "1150000.50"},
                                                              "reason": "合同补充协议调整金额"})
    transaction.commit()
    assert services.get_deal(company.load(), deal.id).amount == Decimal("1200000.00"), "the seller has not agreed"
    factories.approve("deal", deal.id, university)
    deal = services.get_deal(company.load(), deal.id)
    [amendment] = deal.amendments
    assert amendment.changes == {"amount": ["1200000.00", "1150000.50"]}
    assert amendment.organisation_id == company.organisation_id and proposal.status == "effective"
    assert deal.amount == Decimal("1150000.50")
    assert db.session.query(AuditEntry).filter_by(action="deal.amended", entity_id=deal.id).count() == 1
    for bad, field in (({"changes": {"amount": "-5"}, "reason": "x"}, "amount"),
                       ({"changes": {"seller_id": 3}, "reason": "x"}, "seller_id"),
                       ({"changes": {"amount": "1150000.50"}, "reason": "x"}, "changes"),
                       ({"changes": {"amount": "1"}, "reason": ""}, "reason")):
        with pytest.raises(ValidationFailed) as caught:
            services.amend_deal(company.load(), deal.id, bad)
        assert field in caught.value.fields


def test_amendments_only_for_signed_deals(ctx, university, company):
    patent = factories.make_granted_patent(university)
    deal = services.record_deal(university.load(), deal_values(university, company, [patent]))
    with pytest.raises(Conflict):
        services.amend_deal(university.load(), deal.id, {"changes": {"amount": "1"}, "reason": "x"})
    services.update_deal(university.load(), deal.id, {"amount": "1300000", "notes": "议价"})
    assert deal.amount == Decimal("1300000.00") and deal.terms_version == 2


def test_only_parties_and_their_agency_see_a_deal(ctx, university, company, agency, other_university,
                                                  platform_admin):
    patent = factories.make_granted_patent(university)
    deal = services.record_deal(agency.load(), deal_values(university, company, [patent]))
    other_agency = factories.make_user("agency", org_name="另一运营机构")
    transaction.commit()
    for user in (university, company, agency, platform_admin):
        assert services.get_deal(user.load(), deal.id).id == deal.id
        assert [d.id for d in services.list_deals(user.load(), {})[0]] == [deal.id]
    for user in (other_university, other_agency):
        with pytest.raises(NotFound):
            services.get_deal(user.load(), deal.id)
        assert services.list_deals(user.load(), {}) == ([], 0)
    with pytest.raises(NotFound):
        services.update_deal(platform_admin.load(), deal.id, {"status": "cancelled"})


def test_amounts_add_up_to_the_cent(ctx, university, company, agency):
    amounts = ["0.10", "0.20", "1234567.89", "999999999999.99"]
    for amount in amounts:
        patent = factories.make_granted_patent(university)
        services.record_deal(agency.load(), deal_values(university, company, [patent], amount=amount))
    transaction.commit()
    from sqlalchemy import func, select

    from marketplace.deals.models import Deal
    total = db.session.scalar(select(func.sum(Deal.amount)))
    assert total == sum(Decimal(a) for a in amounts) == Decimal("1000001234568.18")


@pytest.mark.parametrize("mode, kind, co_owner_asked", [
    ("transfer", None, True), ("equity", None, True), ("license", "exclusive", True), ("license", "sole", True),
    ("license", "ordinary", False),  # Patent Law art. 14: a co-owner grants an ordinary license alone
])
def test_which_deals_need_the_co_owners(ctx, university, company, mode, kind, co_owner_asked):
    co_owner = factories.make_user("institute", org_name="贵州某某研究院")
    patent = factories.make_granted_patent(university, co_owners=["贵州某某研究院"])
    factories.link_co_owner(university, patent, "贵州某某研究院", co_owner)
    deal = services.record_deal(university.load(), deal_values(university, company, [patent], mode=mode,
                                                               license_kind=kind))
    transaction.commit()
    asked = {c.organisation_id for c in deal.proposals[0].consents}
    assert (co_owner.organisation_id in asked) is co_owner_asked
    sign(deal, company)
    assert (deal.status == DealStatus.SIGNED) is not co_owner_asked


def test_an_agency_records_and_proposes_but_never_signs(ctx, university, company, agency):
    patent = factories.make_granted_patent(university)
    deal = services.record_deal(agency.load(), deal_values(university, company, [patent]))
    transaction.commit()
    assert agency.organisation_id not in {c.organisation_id for c in deal.proposals[0].consents}
    assert factories.approve("deal", deal.id, agency) == 0
    assert deal.status == DealStatus.NEGOTIATING
