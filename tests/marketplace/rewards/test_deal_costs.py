"""A transfer's or license's net income is what the institution received for it minus the costs recorded against
it: the costs are the deal's, deducted from its confirmed payments in the order received, and the rewards that
follow agree to the cent in the inventor's statement, the finance export and the report for the authorities."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict
from marketplace.deals import payments as deal_payments
from marketplace.deals import services as deals
from marketplace.extensions import db
from marketplace.rewards import report, services
from marketplace.rewards.models import IncomeCost, RewardPayment
from tests import factories

D = Decimal


@dataclass(frozen=True)
class Sold:
    deal: int
    payments: tuple[int, int]
    a: int
    b: int


@pytest.fixture
def sold(ctx, university, company) -> Sold:
    """A ¥100,000 transfer of one patent (inventors A 60 %, B 40 %) paid in two confirmed payments this year:
    ¥30,000 first, then ¥70,000."""
    today = local_today()
    patent = factories.make_granted_patent(university)
    deal = deals.record_deal(university.load(), {
        "seller_id": university.organisation_id, "buyer_id": company.organisation_id, "mode": "transfer",
        "patent_ids": [patent.id], "amount": "100000.00", "contract_date": today.replace(day=1).isoformat(),
        "status": "signed", "title": "分期付款的转让"})
    transaction.commit()
    factories.approve("deal", deal.id, university, company)
    owner = university.load()
    first = deal_payments.record_payment(owner, deal.id, {"amount": "30000", "paid_on": today.replace(day=1)})
    second = deal_payments.record_payment(owner, deal.id, {"amount": "70000", "paid_on": today})
    a = services.add_inventor(owner, {"name": "甲"}).id
    b = services.add_inventor(owner, {"name": "乙"}).id
    services.set_shares(owner, patent.id, [{"inventor_id": a, "share": "60"}, {"inventor_id": b, "share": "40"}])
    transaction.commit()
    return Sold(deal.id, (first.id, second.id), a, b)


def _payments(university, sold: Sold):
    found = {i.key: i for i in services.overview(university.load(), local_today().year).incomes}
    return [found[f"deal_payment:{payment}"] for payment in sold.payments]


# ¥12,345.67 of costs fall on the first payment: 50 % of 17,654.33 is 8,827.165, rounded up to 8,827.17, split
# 60/40 as 5,296.302 / 3,530.868 (the cent left goes to the larger remainder: 5,296.30 / 3,530.87); the second
# payment bears none: 35,000.00 as 21,000.00 / 14,000.00.
EXPECTED_A = [D("5296.30"), D("21000.00")]
EXPECTED_B = [D("3530.87"), D("14000.00")]
EXPECTED_TOTAL = D("43827.17")


@pytest.mark.parametrize("named_by", ["deal", "second payment"])
def test_a_deal_s_cost_lowers_its_payments_in_order_in_statement_export_and_report(sold, university, named_by):
    owner = university.load()
    source, item_id = ("deal", sold.deal) if named_by == "deal" else ("deal_payment", sold.payments[1])
    services.add_cost(owner, {"source": source, "item_id": item_id, "amount": "12345.67", "description": "评估费"})
    transaction.commit()
    assert db.session.query(IncomeCost.source, IncomeCost.item_id).all() == [("deal", sold.deal)]
    first, second = _payments(university, sold)
    assert (first.costs, first.base, first.reward) == (D("12345.67"), D("17654.33"), D("8827.17"))
    assert (second.costs, second.base, second.reward) == (D("0.00"), D("70000.00"), D("35000.00"))

    year = local_today().year
    for inventor, expected in ((sold.a, EXPECTED_A), (sold.b, EXPECTED_B)):
        statement = services.statement(owner, inventor, year)
        assert [line.share for line in statement.lines] == expected and statement.total == sum(expected)

    headers, rows = services.finance_rows(services.overview(owner, year))
    share, costs = headers.index("应得奖酬（元）"), headers.index("可扣除成本（元）")
    inventor = headers.index("发明人")
    exported = [(row[inventor], row[costs], row[share]) for row in rows[:-1]]
    assert exported == [("甲", D("12345.67"), EXPECTED_A[0]), ("乙", D("12345.67"), EXPECTED_B[0]),
                        ("甲", D("0.00"), EXPECTED_A[1]), ("乙", D("0.00"), EXPECTED_B[1])]
    assert rows[-1][share] == EXPECTED_TOTAL

    for payment in sold.payments:
        services.mark_paid(owner, {"source": "deal_payment", "item_id": payment, "paid_on": local_today()})
    transaction.commit()
    found = report.authority_report(owner, year)
    assert (found.inventors_paid, found.rewards_paid) == (2, EXPECTED_TOTAL)
    assert services.statement(owner, sold.a, year).paid == sum(EXPECTED_A)


def test_costs_above_the_first_payment_run_on_to_the_next(sold, university):
    services.add_cost(university.load(), {"source": "deal", "item_id": sold.deal, "amount": "45000",
                                          "description": "代理费"})
    first, second = _payments(university, sold)
    assert (first.costs, first.reward, second.costs, second.reward) == (D("30000.00"), D("0.00"), D("15000.00"),
                                                                        D("27500.00"))


def test_a_cost_that_would_lower_a_paid_income_is_refused_one_that_falls_later_is_not(sold, university):
    owner = university.load()
    services.add_cost(owner, {"source": "deal", "item_id": sold.deal, "amount": "30000", "description": "代理费"})
    services.mark_paid(owner, {"source": "deal_payment", "item_id": sold.payments[0], "paid_on": local_today()})
    transaction.commit()
    services.add_cost(owner, {"source": "deal", "item_id": sold.deal, "amount": "1000", "description": "登记费"})
    transaction.commit()  # the first payment bears all it can already: this one falls on the second
    assert [i.costs for i in _payments(university, sold)] == [D("30000.00"), D("1000.00")]
    services.mark_paid(owner, {"source": "deal_payment", "item_id": sold.payments[1], "paid_on": local_today()})
    transaction.commit()
    with pytest.raises(Conflict):
        services.add_cost(owner, {"source": "deal_payment", "item_id": sold.payments[1], "amount": "1",
                                  "description": "登记费"})


def test_rewards_paid_on_the_whole_deal_before_they_followed_payments_cover_what_was_received_by_then(
        sold, university):
    """The earlier model paid a transfer's reward once, against the deal (``source`` deal)."""
    paid_on = local_today() - timedelta(days=1) if local_today().day > 1 else local_today()
    db.session.add(RewardPayment(organisation_id=university.organisation_id, source="deal", item_id=sold.deal,
                                 inventor_id=sold.a, amount=D("30000.00"), paid_on=paid_on))
    transaction.commit()
    first, second = _payments(university, sold)
    assert first.paid_on == paid_on
    assert second.paid_on == (paid_on if second.day <= paid_on else None)


def test_an_auction_s_payment_is_rewarded_as_a_transfer(ctx, university, company):
    today = local_today()
    patent = factories.make_granted_patent(university)
    deal = deals.record_deal(university.load(), {
        "mode": "auction", "seller_id": university.organisation_id, "buyer_id": company.organisation_id,
        "patent_ids": [patent.id], "amount": "260000.00", "reserve_price": "200000.00",
        "auction_house_name": "贵州产权交易所", "auction_date": today.isoformat(), "contract_date": today.isoformat(),
        "status": "signed"})
    transaction.commit()
    factories.approve("deal", deal.id, university, company)
    payment = deal_payments.record_payment(university.load(), deal.id, {"amount": "260000", "paid_on": today})
    transaction.commit()
    income = next(i for i in services.overview(university.load(), today.year).incomes if i.item_id == payment.id)
    assert (income.kind, income.reward) == ("transfer", D("130000.00"))
