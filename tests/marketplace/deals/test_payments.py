"""Payments of a deal on its page and through the API: the buyer reports, the seller confirms (only then it counts),
the seller's own record is its confirmation, outsiders see nothing."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.deals import payments as deal_payments
from marketplace.deals import services as deals
from tests import factories


def signed_license(university, company) -> int:
    patent = factories.make_granted_patent(university)
    deal = deals.record_deal(university.load(), {
        "seller_id": university.organisation_id, "buyer_id": company.organisation_id, "mode": "license",
        "license_kind": "ordinary", "patent_ids": [patent.id], "amount": "60000.00",
        "contract_date": local_today().isoformat(), "status": "signed", "title": "普通许可"})
    transaction.commit()
    factories.approve("deal", deal.id, university, company)
    return deal.id


def test_the_buyer_reports_and_the_seller_confirms_on_the_page(app, client, login, university, company):
    with app.app_context():
        deal_id = signed_license(university, company)
    login(company)
    response = client.post(f"/deals/{deal_id}/payments", data={"amount": "20000", "paid_on": local_today().isoformat(),
                                                               "reference": "HX-9"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/deals/{deal_id}#payments")
    page = client.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert 'data-payment-status="reported"' in page and 'data-received="0.00"' in page
    with app.app_context():
        assert deal_payments.received(deal_id) == Decimal("0.00")
        [payment] = deal_payments.payments_of(deal_id)
        factories.approve("deal_payment", payment.id, university)
        assert deal_payments.received(deal_id) == Decimal("20000.00")
    assert client.get(f"/deals/payments/{payment.id}").headers["Location"].endswith(f"/deals/{deal_id}#payments")
    refused = client.post(f"/deals/{deal_id}/payments", data={"amount": "40000.01",
                                                              "paid_on": local_today().isoformat()})
    assert refused.status_code == 302  # flashed: beyond what is left of the contract
    with app.app_context():
        assert len(deal_payments.payments_of(deal_id)) == 1


def test_api_lists_and_records_payments(app, client, token_for, university, company, other_university):
    with app.app_context():
        deal_id = signed_license(university, company)
    recorded = client.post(f"/api/v1/deals/{deal_id}/payments", headers=token_for(university),
                           json={"amount": "60000.00", "paid_on": local_today().isoformat()})
    assert recorded.status_code == 201 and recorded.get_json()["status"] == "confirmed"  # the payee's own record
    listed = client.get(f"/api/v1/deals/{deal_id}/payments", headers=token_for(company)).get_json()
    assert [(p["amount"], p["status"]) for p in listed] == [("60000.00", "confirmed")]
    too_much = client.post(f"/api/v1/deals/{deal_id}/payments", headers=token_for(company),
                           json={"amount": "0.01", "paid_on": local_today().isoformat()})
    assert too_much.status_code == 422 and "amount" in too_much.get_json()["fields"]
    assert client.get(f"/api/v1/deals/{deal_id}/payments", headers=token_for(other_university)).status_code == 404


def test_an_agency_the_seller_authorised_confirms_receipt_in_its_name(ctx, university, company, agency,
                                                                      other_university):
    from marketplace.consents import services as consents
    from marketplace.core.errors import NotFound

    deal_id = signed_license(university, company)
    reported = deal_payments.record_payment(company.load(), deal_id, {"amount": "1000", "paid_on": local_today()})
    transaction.commit()
    waiting, _total = consents.awaiting(agency.load())
    assert not waiting  # not authorised yet: nothing on its list, and it may not decide
    factories.authorise_agency(agency, university, ("confirm_payments",))
    [consent] = [c for c in consents.awaiting(agency.load())[0] if c.proposal.subject_type == "deal_payment"]
    consents.decide(agency.load(), consent.id, True)
    transaction.commit()
    assert deal_payments.received(deal_id) == Decimal("1000.00")
    other = deal_payments.record_payment(company.load(), deal_id, {"amount": "1000", "paid_on": local_today()})
    transaction.commit()
    [pending] = [c for c in consents.awaiting(university.load())[0] if c.proposal.subject_id == other.id]
    with pytest.raises(NotFound):  # an unrelated organisation does not even see the request
        consents.decide(other_university.load(), pending.id, True)
    transaction.rollback()
    assert deal_payments.received(deal_id) == Decimal("1000.00") and reported.id != other.id
