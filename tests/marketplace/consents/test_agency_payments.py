"""A licensor may let an agency it accepted confirm license payments in its name — and nothing else."""
from __future__ import annotations

import pytest

from marketplace.consents import services
from marketplace.consents.models import ConsentAct, Decision
from marketplace.core import transaction
from marketplace.core.errors import Forbidden, NotFound
from marketplace.deals import services as deals
from marketplace.extensions import db
from marketplace.openlicense import licensing
from marketplace.openlicense.models import LicensePayment, PaymentStatus
from tests import factories


@pytest.fixture
def reported(ctx, university, company):
    """The company obtained the university's open license and reported a payment the university has not confirmed."""
    patent = factories.make_granted_patent(university)
    declaration_id = factories.make_open_license(university, patent, fixed_fee="30000.00")
    grant = licensing.accept_open_license(company.load(), declaration_id)
    transaction.commit()
    return factories.pay_license(company, university, grant.id, "30000.00", confirmed=False)


def _payment_consent(user):
    return [c for c in services.awaiting(user.load())[0] if c.proposal.act == ConsentAct.LICENSE_PAYMENT]


def test_an_agency_the_licensor_authorised_confirms_the_payment(reported, university, agency):
    factories.authorise_agency(agency, university, ("confirm_payments",))
    [consent] = _payment_consent(agency)
    assert consent.organisation_id == university.organisation_id
    services.decide(agency.load(), consent.id, True, "已核对银行回单")
    transaction.commit()
    payment = db.session.get(LicensePayment, reported)
    assert payment.status == PaymentStatus.CONFIRMED
    assert consent.decision == Decision.APPROVED and consent.decided_by_id == agency.id


def test_without_that_permission_the_agency_neither_sees_nor_decides(reported, university, agency):
    factories.authorise_agency(agency, university, ("open_licenses", "funnel"))
    assert _payment_consent(agency) == []
    [consent] = _payment_consent(university)
    with pytest.raises(NotFound):
        services.decide(agency.load(), consent.id, True)
    assert db.session.get(LicensePayment, reported).status == PaymentStatus.REPORTED


def test_the_permission_never_reaches_the_organisations_other_acts(ctx, university, company, agency):
    factories.authorise_agency(agency, university, ("confirm_payments",))
    patent = factories.make_granted_patent(university)
    deal = deals.record_deal(agency.load(), {
        "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [patent.id], "amount": "500000.00", "title": "转让"})
    transaction.commit()
    [consent] = [c for c in services.awaiting(university.load())[0] if c.proposal.subject_id == deal.id]
    assert consent not in services.awaiting(agency.load())[0]
    with pytest.raises((NotFound, Forbidden)):
        services.decide(agency.load(), consent.id, True)
