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


def pledge_values(pledgor, bank, patents, **overrides) -> dict:
    return {"pledgor_id": pledgor.organisation_id, "pledgee_id": bank.organisation_id,
            "patent_ids": [p.id for p in patents], "amount": "3000000.00",
            "term_end": add_months(local_today(), 24).isoformat(),
            "registration_number": f"Y2026520{next(_numbers):06d}", **overrides}


def test_agency_registers_a_pledge(ctx, university, bank, agency):
    patents = [factories.make_granted_patent(university), factories.make_granted_patent(university)]
    pledge = services.register_pledge(agency.load(), pledge_values(university, bank, patents))
    assert pledge.status == PledgeStatus.REGISTERED and pledge.agency_id == agency.organisation_id
    assert pledge.amount == Decimal("3000000.00") and len(pledge.patents) == 2
    assert pledge.registered_on == local_today()


@pytest.mark.parametrize("patent_overrides, reason", [
    ({"legal_status": "pending"}, "not_granted"),
    ({"legal_status": "fee_overdue"}, "fees_unpaid"),
    ({"legal_status": "terminated"}, "lapsed"),
    ({"legal_status": "invalidated"}, "lapsed"),
    ({"proceedings_suspended": True}, "suspended"),
    ({"co_owners": ["贵州某某科技有限公司"]}, "co_owners_not_consenting"),
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
    assert services.register_pledge(university.load(), pledge_values(
        university, bank, [patent], term_end=expiry.isoformat())).term_end == expiry


def test_double_pledge_is_refused_until_released(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    first = services.register_pledge(bank.load(), pledge_values(university, bank, [patent]))
    transaction.commit()
    with pytest.raises(Ineligible) as caught:
        services.register_pledge(bank.load(), pledge_values(university, bank, [patent]))
    assert list(caught.value.fields) == ["already_pledged"]
    transaction.rollback()
    services.release_pledge(bank.load(), first.id)
    transaction.commit()
    assert services.register_pledge(bank.load(), pledge_values(university, bank, [patent])).is_active


def test_co_owners_consents_allow_the_pledge(ctx, university, bank):
    patent = factories.make_granted_patent(university, co_owners=["贵州某某科技有限公司"])
    pledge = services.register_pledge(university.load(), pledge_values(
        university, bank, [patent], co_owner_consents=["贵州某某科技有限公司"]))
    assert pledge.co_owner_consents == ["贵州某某科技有限公司"]


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


def test_pledgee_must_be_a_bank_and_the_recorder_involved(ctx, university, company, other_university, bank):
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
    services.register_pledge(bank.load(), pledge_values(university, bank, [patent], open_license_consent=True,
                                                        open_license_consent_reference="同意书2026-01"))
    transaction.commit()
    assert not db.session.get(OpenLicenseDeclaration, declaration_id).needs_withdrawal


def test_consent_recorded_later_clears_the_flag_and_release_too(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    draft = factories.make_open_license(university, patent, publish=False)
    pledge = services.register_pledge(bank.load(), pledge_values(university, bank, [patent]))
    transaction.commit()
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
    pledge = services.register_pledge(bank.load(), pledge_values(university, bank, [patent],
                                                                 open_license_consent=True))
    transaction.commit()
    # A later registration state without consent cannot arise through the services; simulate a bank revoking it.
    pledge.open_license_consent = False
    openlicense.recheck_patent(patent.id)
    transaction.commit()
    flagged = db.session.get(OpenLicenseDeclaration, declaration_id)
    assert flagged.needs_withdrawal and flagged.flag_messages
    services.release_pledge(bank.load(), pledge.id)
    transaction.commit()
    assert not db.session.get(OpenLicenseDeclaration, declaration_id).needs_withdrawal


def test_release_rules(ctx, university, bank, other_university):
    patent = factories.make_granted_patent(university)
    pledge = services.register_pledge(bank.load(), pledge_values(university, bank, [patent]))
    transaction.commit()
    with pytest.raises(NotFound):
        services.release_pledge(other_university.load(), pledge.id)
    with pytest.raises(ValidationFailed):
        services.release_pledge(bank.load(), pledge.id, "2999-01-01")
    services.release_pledge(university.load(), pledge.id)
    assert pledge.status == PledgeStatus.RELEASED and pledge.released_on == local_today()
    with pytest.raises(Conflict):
        services.release_pledge(bank.load(), pledge.id)


def test_bank_sees_its_pledges_only(ctx, university, bank):
    patent = factories.make_granted_patent(university)
    services.register_pledge(university.load(), pledge_values(university, bank, [patent]))
    other_bank = factories.make_user("bank", org_name="另一银行")
    transaction.commit()
    assert services.list_pledges(bank.load(), {})[1] == 1
    assert services.list_pledges(other_bank.load(), {}) == ([], 0)
