"""Rewards are due on income received: a transfer's or license's price counts when the university, the payee,
confirmed a payment of it, in the reporting year the money was paid; a payment only reported counts for nothing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, NotFound, ValidationFailed
from marketplace.deals import payments as deal_payments
from marketplace.deals import services as deals
from marketplace.rewards import services
from tests import factories

D = Decimal


def incomes(user, year):
    return {i.key: i for i in services.overview(user, year).incomes}


@pytest.fixture
def sold(ctx, university, company):
    """A license signed on 1 December last year for ¥80,000, nothing paid yet."""
    patent = factories.make_granted_patent(university)
    signed_on = date(local_today().year - 1, 12, 1)
    deal = deals.record_deal(university.load(), {
        "seller_id": university.organisation_id, "buyer_id": company.organisation_id, "mode": "license",
        "license_kind": "ordinary", "patent_ids": [patent.id], "amount": "80000.00",
        "contract_date": signed_on.isoformat(), "status": "signed", "title": "普通许可"})
    transaction.commit()
    factories.approve("deal", deal.id, university, company)
    return deal.id


def test_a_signed_contract_alone_is_no_income(sold, university):
    year = local_today().year
    assert not any(i.deal_id == sold for y in (year - 1, year) for i in incomes(university.load(), y).values())


def test_an_unconfirmed_payment_yields_no_reward_and_a_confirmed_one_does_in_its_year(sold, university, company):
    year = local_today().year
    reported = deal_payments.record_payment(company.load(), sold, {
        "amount": "30000", "paid_on": date(year - 1, 12, 20).isoformat(), "reference": "HX-1"})
    transaction.commit()
    assert f"deal_payment:{reported.id}" not in incomes(university.load(), year - 1)
    assert services.overview(university.load(), year - 1).awaiting == 1  # told, not counted
    factories.approve("deal_payment", reported.id, university)  # the payee confirms receipt
    assert services.overview(university.load(), year - 1).awaiting == 0
    last_year = incomes(university.load(), year - 1)
    income = last_year[f"deal_payment:{reported.id}"]
    assert (income.kind, income.day, income.amount, income.reward) == ("license", date(year - 1, 12, 20),
                                                                       D("30000.00"), D("15000.00"))
    assert f"deal_payment:{reported.id}" not in incomes(university.load(), year)
    second = deal_payments.record_payment(university.load(), sold, {"amount": "50000", "paid_on": local_today()})
    transaction.commit()  # recorded by the payee itself: confirmed at once, in this year
    assert incomes(university.load(), year)[f"deal_payment:{second.id}"].reward == D("25000.00")


def test_a_rejected_payment_counts_for_nothing(sold, university, company):
    reported = deal_payments.record_payment(company.load(), sold, {"amount": "80000", "paid_on": local_today()})
    transaction.commit()
    [consent] = [c for p in reported_proposals(reported.id) for c in p.consents]
    from marketplace.consents import services as consents
    consents.decide(university.load(), consent.id, False, "未到账")
    transaction.commit()
    assert f"deal_payment:{reported.id}" not in incomes(university.load(), local_today().year)
    again = deal_payments.record_payment(company.load(), sold, {"amount": "80000", "paid_on": local_today()})
    assert again.amount == D("80000.00"), "a rejected report frees its amount"


def reported_proposals(payment_id: int):
    from sqlalchemy import select

    from marketplace.consents.models import Proposal
    from marketplace.extensions import db
    return list(db.session.scalars(select(Proposal).where(Proposal.subject_type == "deal_payment",
                                                          Proposal.subject_id == payment_id)))


@pytest.mark.parametrize("raw, field", [
    ({"amount": "80000.01", "paid_on": "today"}, "amount"),  # beyond the contract
    ({"amount": "0", "paid_on": "today"}, "amount"),
    ({"amount": "10", "paid_on": "2999-01-01"}, "paid_on"),  # in the future
    ({"amount": "10", "paid_on": "2000-01-01"}, "paid_on"),  # before the contract
])
def test_a_payment_names_its_wrong_field(sold, company, raw, field):
    if raw["paid_on"] == "today":
        raw = {**raw, "paid_on": local_today().isoformat()}
    with pytest.raises(ValidationFailed) as caught:
        deal_payments.record_payment(company.load(), sold, raw)
    assert field in caught.value.fields


def test_only_the_parties_record_payments_and_never_of_an_equity_deal(sold, ctx, agency, university, company):
    with pytest.raises(NotFound):  # an organisation foreign to the deal does not even see it
        deal_payments.record_payment(agency.load(), sold, {"amount": "1", "paid_on": local_today()})
    patent = factories.make_granted_patent(university)
    equity = deals.record_deal(university.load(), {
        "seller_id": university.organisation_id, "buyer_id": company.organisation_id, "mode": "equity",
        "patent_ids": [patent.id], "amount": "100000.00", "contract_date": local_today().isoformat(),
        "status": "signed"})
    transaction.commit()
    with pytest.raises(Conflict):
        deal_payments.record_payment(university.load(), equity.id, {"amount": "1", "paid_on": local_today()})


def test_the_rewards_page_says_what_awaits_confirmation(sold, client, login, university, company):
    deal_payments.record_payment(company.load(), sold, {"amount": "30000", "paid_on": local_today()})
    transaction.commit()
    login(university)
    page = client.get(f"/office/rewards?year={local_today().year}").get_data(as_text=True)
    assert 'data-awaiting="1"' in page and "实际收到并确认的款项" in page
