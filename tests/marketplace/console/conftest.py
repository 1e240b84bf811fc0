"""A brokered ledger built through the real services: two agencies, a university, an SME, a bank.

``ledger`` returns the ids and the figures the console must show for it, so
tests compare against numbers fixed here, not recomputed by the code under test.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.deals import services as deals
from marketplace.openlicense import licensing, payments
from marketplace.core.dates import local_today
from marketplace.pledges import services as pledges
from tests import factories


@dataclass(frozen=True)
class Ledger:
    license_deal: int
    transfer_deal: int
    other_agency_deal: int
    pledge: int
    open_license: int
    today: date


@pytest.fixture
def other_agency(app):
    with app.app_context():
        return factories.make_user("agency", email="owner@agency2.test", org_name="另一家运营机构")


@pytest.fixture
def ledger(app, agency, other_agency, university, company, bank) -> Ledger:
    """This year: a ¥120,000 license and an ¥800,000 transfer brokered by ``agency``, a ¥50,000 license by
    ``other_agency``, a ¥2,000,000 pledge brokered by ``agency``, and a ¥50,000 open license (paid) the
    SME ``company`` obtained from the university. The SME accepted ``agency`` (open licenses in scope) before
    obtaining it; nobody accepted ``other_agency``, though it brokered a deal naming both."""
    with app.test_request_context():
        factories.authorise_agency(agency, company)
        today = local_today()
        first = today.replace(month=1, day=1)
        p1, p2, p3, p4 = (factories.make_granted_patent(university) for _ in range(4))
        license_deal = deals.record_deal(agency.load(), {
            "mode": "license", "license_kind": "ordinary", "seller_id": university.organisation_id,
            "buyer_id": company.organisation_id, "patent_ids": [p1.id], "amount": "120000.00",
            "contract_date": first.isoformat(), "status": "signed", "title": "锂电池负极材料许可"})
        transfer = deals.record_deal(agency.load(), {
            "mode": "transfer", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
            "patent_ids": [p2.id], "amount": "800000.00", "contract_date": today.isoformat(), "status": "signed",
            "title": "无人机专利转让"})
        other = deals.record_deal(other_agency.load(), {
            "mode": "license", "license_kind": "ordinary", "seller_id": university.organisation_id,
            "buyer_id": company.organisation_id, "patent_ids": [p3.id], "amount": "50000.00",
            "contract_date": today.isoformat(), "status": "signed", "title": "别家机构的许可"})
        pledge = pledges.register_pledge(agency.load(), {
            "pledgor_id": university.organisation_id, "pledgee_id": bank.organisation_id, "patent_ids": [p4.id],
            "amount": "2000000.00", "term_start": today.isoformat(),
            "term_end": today.replace(year=today.year + 1).isoformat(), "registration_number": "Y2025990001",
            "registered_on": today.isoformat()})
        transaction.commit()
        for deal in (license_deal, transfer, other):  # each party signs through its own account
            factories.approve("deal", deal.id, university, company)
        factories.approve("pledge", pledge.id, university, bank)
        declaration_id = factories.make_open_license(university, p1)
        grant = licensing.accept_open_license(company.load(), declaration_id)
        payment = payments.record_payment(company.load(), grant.id, {"amount": "50000.00"})
        transaction.commit()
        factories.approve("license_payment", payment.id, university)  # the licensor confirms receipt
        return Ledger(license_deal.id, transfer.id, other.id, pledge.id, grant.id, today)


AGENCY_TOTAL = Decimal("120000.00") + Decimal("800000.00") + Decimal("2000000.00") + Decimal("50000.00")
