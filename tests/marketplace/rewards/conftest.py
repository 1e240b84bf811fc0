"""An institution's incomes this year, built through the real services: a transfer of two patents and a license
(both brokered by ``agency``) whose prices the university received (confirmed payments), an equity deal, and a
confirmed open-license payment; inventors A and B share
patent 1 (60/40), C holds patent 2, patent 3 (the equity deal's) has none yet."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.deals import payments as deal_payments
from marketplace.deals import services as deals
from marketplace.openlicense import licensing, payments
from marketplace.rewards import services
from tests import factories


@dataclass(frozen=True)
class Office:
    transfer: int
    license: int
    transfer_payment: int
    license_payment: int
    equity: int
    payment: int
    patents: tuple[int, int, int]
    inventors: dict[str, int]
    today: date


@pytest.fixture
def office(app, university, company, agency) -> Office:
    with app.test_request_context():
        factories.authorise_agency(agency, company)
        today = local_today()
        p1, p2, p3 = (factories.make_granted_patent(university) for _ in range(3))
        common = {"seller_id": university.organisation_id, "buyer_id": company.organisation_id,
                  "contract_date": today.isoformat(), "status": "signed"}
        transfer = deals.record_deal(agency.load(), {**common, "mode": "transfer", "patent_ids": [p1.id, p2.id],
                                                     "amount": "100000.00", "title": "两件专利转让"})
        license_deal = deals.record_deal(agency.load(), {**common, "mode": "license", "license_kind": "ordinary",
                                                         "patent_ids": [p1.id], "amount": "33333.33",
                                                         "title": "普通许可"})
        equity = deals.record_deal(agency.load(), {**common, "mode": "equity", "patent_ids": [p3.id],
                                                   "amount": "300000.00", "title": "作价入股"})
        transaction.commit()
        for deal in (transfer, license_deal, equity):
            factories.approve("deal", deal.id, university, company)
        received = [deal_payments.record_payment(university.load(), deal.id, {"amount": deal.amount, "paid_on": today})
                    for deal in (transfer, license_deal)]  # recorded by the payee: confirmed at once
        transaction.commit()
        declaration_id = factories.make_open_license(university, p2)
        grant = licensing.accept_open_license(company.load(), declaration_id)
        payment = payments.record_payment(company.load(), grant.id, {"amount": "50000.00"})
        transaction.commit()
        factories.approve("license_payment", payment.id, university)
        owner = university.load()
        names = {name: services.add_inventor(owner, {"name": name, "staff_number": f"S-{name}"}).id
                 for name in ("A", "B", "C")}
        services.set_shares(owner, p1.id, [{"inventor_id": names["A"], "share": "60"},
                                           {"inventor_id": names["B"], "share": "40"}])
        services.set_shares(owner, p2.id, [{"inventor_id": names["C"], "share": "100.00"}])
        transaction.commit()
        return Office(transfer.id, license_deal.id, received[0].id, received[1].id, equity.id, payment.id,
                      (p1.id, p2.id, p3.id), names, today)
