"""Rewards per income and inventor: the statutory default, net income after costs, a higher policy, a lower one
only with an agreement, shares adding up to 100, payments frozen once, statements per inventor, access."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.core import transaction
from marketplace.core.audit import AuditEntry
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.rewards import services
from marketplace.rewards.models import InventorShare, RewardPayment
from tests import factories

D = Decimal


def incomes(user, year):
    return {i.key: i for i in services.overview(user, year).incomes}


def test_statutory_default_splits_half_the_net_income_by_patent_and_share(ctx, office, university):
    found = incomes(university.load(), office.today.year)
    a, b, c = (office.inventors[k] for k in "ABC")
    transfer = found[f"deal_payment:{office.transfer_payment}"]
    assert (transfer.percent, transfer.reward) == (D("50.00"), D("50000.00"))
    assert transfer.parts == {a: D("15000.00"), b: D("10000.00"), c: D("25000.00")}  # p1 half 60/40, p2 half C
    license_ = found[f"deal_payment:{office.license_payment}"]
    assert license_.reward == D("16666.67")  # 16,666.665 rounded up: never below half
    assert license_.parts == {a: D("10000.00"), b: D("6666.67")} and sum(license_.parts.values()) == license_.reward
    payment = found[f"license_payment:{office.payment}"]
    assert (payment.kind, payment.reward, payment.parts) == ("license", D("25000.00"), {c: D("25000.00")})
    equity = found[f"deal:{office.equity}"]
    assert equity.reward == D("150000.00") and equity.parts == {None: D("150000.00")}, "no inventors: unassigned"


def test_costs_lower_the_net_income_of_a_transfer_not_an_equity_reward(ctx, office, university):
    owner = university.load()
    services.add_cost(owner, {"source": "deal_payment", "item_id": office.transfer_payment, "amount": "20,000.00",
                              "description": "评估费"})
    services.add_cost(owner, {"source": "deal", "item_id": office.equity, "amount": "1000", "description": "评估费"})
    found = incomes(owner, office.today.year)
    transfer = found[f"deal_payment:{office.transfer_payment}"]
    assert (transfer.costs, transfer.base, transfer.reward) == (D("20000.00"), D("80000.00"), D("40000.00"))
    assert found[f"deal:{office.equity}"].reward == D("150000.00")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "rewards.cost_added")) == 2


@pytest.mark.parametrize(("raw", "field"), [
    ({"source": "deal", "item_id": "x", "amount": "1", "description": "d"}, "item_id"),
    ({"source": "pledge", "item_id": 1, "amount": "1", "description": "d"}, "source"),
    ({"source": "deal", "item_id": 10**9, "amount": "1", "description": "d"}, "item_id"),
    ({"source": "deal", "item_id": None, "amount": "-5", "description": "d"}, "item_id"),
])
def test_a_cost_names_its_wrong_field(ctx, office, university, raw, field):
    with pytest.raises(ValidationFailed) as caught:
        services.add_cost(university.load(), raw)
    assert field in caught.value.fields


def test_cost_amount_and_description_are_checked(ctx, office, university):
    for raw, field in (({"amount": "-5", "description": "d"}, "amount"), ({"amount": "5", "description": ""},
                                                                           "description")):
        with pytest.raises(ValidationFailed) as caught:
            services.add_cost(university.load(), {"source": "deal_payment", "item_id": office.transfer_payment, **raw})
        assert field in caught.value.fields


def test_a_higher_policy_applies_and_a_lower_one_needs_an_agreement(ctx, office, university):
    owner = university.load()
    with pytest.raises(ValidationFailed) as caught:
        services.set_policy(owner, {"transfer_license_percent": "40", "equity_percent": "50"})
    assert "transfer_license_percent" in caught.value.fields
    services.set_policy(owner, {"transfer_license_percent": "70", "equity_percent": "60"})
    found = incomes(owner, office.today.year)
    assert found[f"deal_payment:{office.transfer_payment}"].reward == D("70000.00")
    assert found[f"deal:{office.equity}"].reward == D("180000.00")
    policy = services.set_policy(owner, {"transfer_license_percent": "30", "equity_percent": "50",
                                         "agreement": "2026年奖酬约定第3号"})
    assert policy.agreement == "2026年奖酬约定第3号" and not policy.statutory
    assert incomes(owner, office.today.year)[f"deal_payment:{office.transfer_payment}"].reward == D("30000.00")


@pytest.mark.parametrize(("raw", "field"), [
    ({"transfer_license_percent": "abc", "equity_percent": "50"}, "transfer_license_percent"),
    ({"transfer_license_percent": "50", "equity_percent": "100.5"}, "equity_percent"),
    ({"transfer_license_percent": "50.001", "equity_percent": "50"}, "transfer_license_percent"),
    ({"transfer_license_percent": "50", "equity_percent": "50", "year_start_month": "13"}, "year_start_month"),
    ({"transfer_license_percent": "50", "equity_percent": "50", "agreement": "x" * 501}, "agreement"),
])
def test_policy_input_names_the_wrong_field(ctx, university, raw, field):
    with pytest.raises(ValidationFailed) as caught:
        services.set_policy(university.load(), raw)
    assert field in caught.value.fields


def test_the_reporting_year_follows_the_policy(ctx, office, university):
    owner = university.load()
    services.set_policy(owner, {"transfer_license_percent": "50", "equity_percent": "50", "year_start_month": "9"})
    year = services.policy_of(university.organisation_id).year_of(office.today)
    found = services.overview(owner, year)
    assert found.start.month == 9 and found.start <= office.today <= found.end and len(found.incomes) == 4


@pytest.mark.parametrize("shares", [["60", "30"], ["100", "0"], ["50.005", "49.995"]])
def test_shares_must_add_up_to_100_and_nothing_changes_otherwise(ctx, office, university, shares):
    a, b = office.inventors["A"], office.inventors["B"]
    with pytest.raises(ValidationFailed) as caught:
        services.set_shares(university.load(), office.patents[0],
                            [{"inventor_id": a, "share": shares[0]}, {"inventor_id": b, "share": shares[1]}])
    assert "share" in caught.value.fields
    transaction.rollback()
    assert {s.inventor_id: s.share for s in db.session.scalars(
        select(InventorShare).where(InventorShare.patent_id == office.patents[0]))} == {a: D("60.00"), b: D("40.00")}


def test_shares_name_only_the_institutions_own_people_once(ctx, office, university, other_university):
    stranger = services.add_inventor(other_university.load(), {"name": "外校"})
    for entries, field in (([{"inventor_id": stranger.id, "share": "100"}], "inventor_id"),
                           ([{"inventor_id": office.inventors["A"], "share": "50"}] * 2, "inventor_id"),
                           ([{"inventor_id": "x", "share": "100"}], "inventor_id"),
                           ("A=100", "inventors"), ([], "inventors")):
        with pytest.raises(ValidationFailed) as caught:
            services.set_shares(university.load(), office.patents[0], entries)
        assert field in caught.value.fields


def test_paying_freezes_each_part_once_and_needs_every_patent_s_inventors(ctx, office, university):
    owner = university.load()
    with pytest.raises(Conflict):
        services.mark_paid(owner, {"source": "deal", "item_id": office.equity, "paid_on": office.today.isoformat()})
    paid = services.mark_paid(owner, {"source": "deal_payment", "item_id": office.transfer_payment,
                                      "paid_on": office.today.isoformat()})
    transaction.commit()
    assert sorted(p.amount for p in paid) == [D("10000.00"), D("15000.00"), D("25000.00")]
    with pytest.raises(Conflict):
        services.mark_paid(owner, {"source": "deal_payment", "item_id": office.transfer_payment, "paid_on": office.today})
    with pytest.raises(Conflict):
        services.add_cost(owner, {"source": "deal_payment", "item_id": office.transfer_payment, "amount": "1", "description": "d"})
    with pytest.raises(ValidationFailed) as caught:
        services.mark_paid(owner, {"source": "deal_payment", "item_id": office.license_payment, "paid_on": "soon"})
    assert "paid_on" in caught.value.fields
    assert services.paid_in(university.organisation_id, office.today, office.today) == (3, D("50000.00"))
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "rewards.paid")) == 1


def test_an_inventor_statement_lists_the_year_s_parts(ctx, office, university):
    found = services.statement(university.load(), office.inventors["C"], office.today.year)
    assert [line.share for line in found.lines] == [D("25000.00"), D("25000.00")]
    assert found.total == D("50000.00") and found.paid == D("0.00")
    assert services.statement(university.load(), office.inventors["C"], office.today.year - 1).lines == []


def test_only_the_institution_s_members_see_rewards(ctx, office, university, company, other_university,
                                                    platform_admin):
    for outsider in (company, platform_admin):
        with pytest.raises(Forbidden):
            services.overview(outsider.load(), office.today.year)
    with pytest.raises(NotFound):
        services.statement(other_university.load(), office.inventors["A"], office.today.year)
    with pytest.raises(NotFound):
        services.own_patent(other_university.load(), office.patents[0])
    assert services.overview(other_university.load(), office.today.year).incomes == []
    member = factories.add_member(university, "member", email="staff@tsinghua.test")
    assert len(services.overview(member.load(), office.today.year).incomes) == 4, "members read"
    with pytest.raises(Forbidden):
        services.set_policy(member.load(), {"transfer_license_percent": "60", "equity_percent": "60"})
    with pytest.raises(Forbidden):
        services.mark_paid(member.load(), {"source": "deal_payment", "item_id": office.transfer_payment, "paid_on": office.today})
    assert db.session.scalar(select(func.count()).select_from(RewardPayment)) == 0


def test_a_year_out_of_range_is_named(ctx, university):
    with pytest.raises(ValidationFailed) as caught:
        services.overview(university.load(), 99999)
    assert "year" in caught.value.fields


def test_shares_stay_recordable_on_a_patent_the_institution_sold(ctx, office, university, company):
    from marketplace.patents.models import Patent

    db.session.get(Patent, office.patents[2]).owner_id = company.organisation_id  # as a completed transfer does
    transaction.commit()
    shares = services.set_shares(university.load(), office.patents[2],
                                 [{"inventor_id": office.inventors["A"], "share": "100"}])
    assert [s.inventor_id for s in shares] == [office.inventors["A"]]


def test_an_agreement_with_control_characters_is_refused_and_nothing_saved(ctx, university):
    with pytest.raises(ValidationFailed) as caught:
        services.set_policy(university.load(), {"transfer_license_percent": "30", "equity_percent": "50",
                                                "agreement": "约定\x07"})
    assert "agreement" in caught.value.fields and services.policy_of(university.organisation_id).statutory
