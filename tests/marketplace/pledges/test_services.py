"""Pledge registration (DOMAIN.md §5): each refusal, double pledges, release, the pledgee's consent."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.openlicense import services as openlicense
from marketplace.legal.refusals import Ineligible
from marketplace.legal.term import add_months
from marketplace.core.dates import local_today
from marketplace.openlicense.models import OpenLicenseDeclaration
from marketplace.pledges import services
from marketplace.pledges.models import PledgeStatus
from tests import factories

_numbers = iter(range(1, 10_000))


def registered(user, values: dict, *parties):
    """Propose a pledge as ``user`` and let each of ``parties`` consent through its own account."""
    pledge = services.register_pledge(user.load(), values)
    transaction.commit()
    factories.approve("pledge", pledge.id, *parties)
    return pledge


def pledge_values(pledgor, bank, patents, **overrides) -> dict:
    return {"pledgor_id": pledgor.organisation_id, "pledgee_id": bank.organisation_id,
            "patent_ids": [p.id for p in patents], "amount": "3000000.00",
            "term_end": add_months(local_today(), 24).isoformat(),
            "registration_number": f"Y2026520{next(_numbers):06d}", **overrides}


def test_agency_registers_a_pledge(ctx, university, bank, agency):
    patents = [factories.make_granted_patent(university), factories.make_granted_patent(university)]
    pledge = services.register_pledge(agency.load(), pledge_values(university, bank, patents))
    transaction.commit()
    assert pledge.status == PledgeStatus.PROPOSED and not any(link.active for link in pledge.patent_links)
    factories.approve("pledge", pledge.id, university)
    assert pledge.status == PledgeStatus.PROPOSED, "the pledgee has not consented"
    factories.approve("pledge", pledge.id, bank)
    assert pledge.status == PledgeStatus.REGISTERED and pledge.agency_id == agency.organisation_id
    assert all(link.active for link in pledge.patent_links)
    assert pledge.amount == Decimal("3000000.00") and len(pledge.patents) == 2
    assert pledge.registered_on == local_today()


@pytest.mark.parametrize("patent_overrides, reason", [
    ({"legal_status": "pending"}, "not_granted"),
    ({"legal_status": "fee_overdue"}, "fees_unpaid"),
    ({"legal_status": "terminated"}, "lapsed"),
    ({"legal_status": "invalidated"}, "lapsed"),
    ({"proceedings_suspended": True}, "suspended"),
    ({"co_owners": ["贵州某某科技有限公司"]}, "co_owner_not_on_platform"),
    ({"legal_status": "invalidation_pending", "legal_status_on": "2026-03-01"}, "invalidation_pending"),
])
def test_each_patent_refusal(ctx, university, bank, patent_overrides, reason):
    patent = factories.make_granted_patent(university, publish=False, **patent_overrides)
    with pytest.raises(Ineligible) as caught:
        services.register_pledge(university.load(), pledge_values(university, bank, [patent]))
    assert reason in caught.value.fields and patent.application_number in caught.value.fields[reason]


def test_pledgor_must_be_the_patentee(ctx, university, company, bank):
    patent = factories.make_granted_patent(university)
    with pytest.raises(Ineligible) as caught:
        services.register_pledge(company.load(), pledge_values(company, bank, [patent]))
    assert "not_patentee" in caught.value.fields


def test_term_past_the_patents_expiry_is_refused(ctx, university, bank):
    patent = factories.make_granted_patent(university, "utility_model")  # filed 3 years ago: 7 years left
    expiry = add_months(local_today(), 12 * 7)
    with pytest.raises(Ineligible) as caught:
        services.register_pledge(university.load(), pledge_values(
            university, bank, [patent], term_end=add_months(expiry, 1).isoformat()))
    assert "term_past_expiry" in caught.value.fields
    transaction.rollback()
    assert registered(university, pledge_values(university, bank, [patent], term_end=expiry.isoformat()),
                      bank).term_end == expiry


def test_double_pledge_is_refused_until_released(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    first = registered(bank, pledge_values(university, bank, [patent]), university)
    with pytest.raises(Ineligible) as caught:
        services.register_pledge(bank.load(), pledge_values(university, bank, [patent]))
    assert list(caught.value.fields) == ["already_pledged"]
    transaction.rollback()
    services.release_pledge(bank.load(), first.id)
    transaction.commit()
    assert registered(bank, pledge_values(university, bank, [patent]), university).is_active


def test_a_competing_proposal_is_refused_when_it_would_take_effect(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    first = services.register_pledge(bank.load(), pledge_values(university, bank, [patent]))
    second = services.register_pledge(bank.load(), pledge_values(university, bank, [patent]))
    transaction.commit()
    factories.approve("pledge", first.id, university)
    with pytest.raises(Ineligible) as caught:
        factories.approve("pledge", second.id, university)
    assert list(caught.value.fields) == ["already_pledged"]


def test_a_pending_invalidation_needs_the_parties_written_acceptance(ctx, university, bank):
    patent = factories.make_granted_patent(university, legal_status="invalidation_pending",
                                           legal_status_on="2026-03-01")
    with pytest.raises(Ineligible) as caught:
        services.register_pledge(bank.load(), pledge_values(university, bank, [patent]))
    assert "2026-03-01" in caught.value.fields["invalidation_pending"]
    transaction.rollback()
    pledge = registered(bank, pledge_values(university, bank, [patent], invalidation_accepted=True), university)
    assert pledge.is_active and pledge.invalidation_accepted
    [proposal] = pledge.proposals
    assert {c.organisation_id for c in proposal.consents if c.is_approved} == {
        university.organisation_id, bank.organisation_id}, "the acceptance is each party's consent to these terms"


def test_a_guarantee_company_may_take_a_pledge_but_not_a_company(ctx, university, company):
    guarantor = factories.make_user("guarantee", org_name="贵州省融资担保有限责任公司")
    patent = factories.make_granted_patent(university)
    assert registered(guarantor, pledge_values(university, guarantor, [patent]), university).is_active
    with pytest.raises(ValidationFailed) as caught:
        services.register_pledge(university.load(), pledge_values(university, company, [patent]))
    assert "pledgee_id" in caught.value.fields


def test_every_co_owner_consents_to_the_pledge(ctx, university, bank):
    co_owner = factories.make_user("company", org_name="贵州某某科技有限公司")
    patent = factories.make_granted_patent(university, co_owners=["贵州某某科技有限公司"])
    factories.link_co_owner(university, patent, "贵州某某科技有限公司", co_owner)
    pledge = registered(university, pledge_values(university, bank, [patent]), bank)
    assert pledge.status == PledgeStatus.PROPOSED
    factories.approve("pledge", pledge.id, co_owner)
    assert pledge.status == PledgeStatus.REGISTERED


@pytest.mark.parametrize("overrides, field", [
    ({"amount": "-1"}, "amount"),
    ({"amount": "0.001"}, "amount"),
    ({"amount": "1000000000000.01"}, "amount"),
    ({"amount": "0"}, "amount"),
    ({"term_end": ""}, "term_end"),
    ({"term_start": "2030-01-01", "term_end": "2029-01-01"}, "term_end"),
    ({"registration_number": ""}, "registration_number"),
    ({"registered_on": "2999-01-01"}, "registered_on"),
    ({"patent_ids": []}, "patent_ids"),
])
def test_bad_input_names_the_field(ctx, university, bank, overrides, field):
    patent = factories.make_granted_patent(university)
    with pytest.raises(ValidationFailed) as caught:
        services.register_pledge(university.load(), pledge_values(university, bank, [patent], **overrides))
    assert field in caught.value.fields


def test_pledgee_must_be_a_lender_and_the_recorder_involved(ctx, university, company, other_university, bank):
    patent = factories.make_granted_patent(university)
    with pytest.raises(ValidationFailed) as caught:
        services.register_pledge(university.load(), pledge_values(university, company, [patent]))
    assert "pledgee_id" in caught.value.fields
    with pytest.raises(ValidationFailed):
        services.register_pledge(other_university.load(), pledge_values(university, bank, [patent]))


def test_registration_number_is_unique(ctx, university, bank):
    first = factories.make_granted_patent(university)
    second = factories.make_granted_patent(university)
    services.register_pledge(bank.load(), pledge_values(university, bank, [first], registration_number="Y1"))
    with pytest.raises(Conflict):
        services.register_pledge(bank.load(), pledge_values(university, bank, [second], registration_number="Y1"))


def test_declared_patent_needs_the_pledgees_statement(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent)
    with pytest.raises(Ineligible) as caught:
        services.register_pledge(bank.load(), pledge_values(university, bank, [patent]))
    assert list(caught.value.fields) == ["open_license_without_consent"]
    transaction.rollback()
    registered(bank, pledge_values(university, bank, [patent], open_license_consent=True,
                                   open_license_consent_reference="同意书2026-01"), university)
    assert not db.session.get(OpenLicenseDeclaration, declaration_id).needs_withdrawal


def test_consent_recorded_later_clears_the_flag_and_release_too(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    draft = factories.make_open_license(university, patent, publish=False)
    pledge = registered(bank, pledge_values(university, bank, [patent]), university)
    assert not openlicense.check_eligibility(university.load(), patent.id).eligible
    with pytest.raises(Forbidden):
        services.record_open_license_consent(university.load(), pledge.id)
    services.record_open_license_consent(bank.load(), pledge.id, reference="同意书")
    transaction.commit()
    assert openlicense.check_eligibility(university.load(), patent.id).eligible
    assert db.session.get(OpenLicenseDeclaration, draft).status == "draft"


def test_pledge_without_consent_flags_a_published_declaration(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent)
    pledge = registered(bank, pledge_values(university, bank, [patent], open_license_consent=True), university)
    # A later registration state without consent cannot arise through the services; simulate a bank revoking it.
    pledge.open_license_consent = False
    openlicense.recheck_patent(patent.id)
    transaction.commit()
    flagged = db.session.get(OpenLicenseDeclaration, declaration_id)
    assert flagged.needs_withdrawal and flagged.flag_messages
    services.release_pledge(bank.load(), pledge.id)
    transaction.commit()
    assert not db.session.get(OpenLicenseDeclaration, declaration_id).needs_withdrawal


def test_release_rules(ctx, university, bank, other_university, agency):
    patent = factories.make_granted_patent(university)
    pledge = registered(bank, pledge_values(university, bank, [patent]), university)
    with pytest.raises(NotFound):
        services.release_pledge(other_university.load(), pledge.id)
    with pytest.raises(ValidationFailed):
        services.release_pledge(bank.load(), pledge.id, "2999-01-01")
    services.release_pledge(university.load(), pledge.id)  # the pledgor only proposes
    transaction.commit()
    assert pledge.status == PledgeStatus.REGISTERED
    factories.approve("pledge", pledge.id, university, agency)
    assert pledge.status == PledgeStatus.REGISTERED, "neither the pledgor nor an agency releases for the bank"
    factories.approve("pledge", pledge.id, bank)
    assert pledge.status == PledgeStatus.RELEASED and pledge.released_on == local_today()
    with pytest.raises(Conflict):
        services.release_pledge(bank.load(), pledge.id)


def test_the_pledgee_releases_at_once_and_a_refused_registration_ends_the_pledge(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    pledge = registered(bank, pledge_values(university, bank, [patent]), university)
    services.release_pledge(bank.load(), pledge.id)
    transaction.commit()
    assert pledge.status == PledgeStatus.RELEASED
    refused = services.register_pledge(bank.load(), pledge_values(university, bank, [patent],
                                                                  registration_number=pledge.registration_number
                                                                  + "-2"))
    transaction.commit()
    from marketplace.consents import services as consents
    [consent] = consents.awaiting(university.load())[0]
    consents.decide(university.load(), consent.id, False, "未经本校同意")
    transaction.commit()
    assert refused.status == PledgeStatus.REJECTED and not refused.patent_links[0].active


def test_bank_sees_its_pledges_only(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    registered(university, pledge_values(university, bank, [patent]), bank)
    other_bank = factories.make_user("bank", org_name="另一银行")
    transaction.commit()
    assert services.list_pledges(bank.load(), {})[1] == 1
    assert services.list_pledges(other_bank.load(), {}) == ([], 0)
