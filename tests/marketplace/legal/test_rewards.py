"""Art. 45 rewards, pure: the statutory floor, net income, rounding up to the cent, shares adding up to 100 and a
split whose parts always sum to the total."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.legal import rewards
from tests.conftest import examples

D = Decimal


@pytest.mark.parametrize("kind", ["transfer", "license", "equity"])
def test_the_statutory_minimum_is_half(kind):
    assert rewards.statutory_minimum(kind) == D(50)


def test_an_unknown_kind_has_no_minimum():
    with pytest.raises(ValueError):
        rewards.statutory_minimum("pledge")


@pytest.mark.parametrize(("percent", "agreement", "allowed"), [
    (D("50"), False, True), (D("70"), False, True), (D("49.99"), False, False), (D("30"), True, True),
    (D("0"), True, True), (D("100.01"), True, False), (D("-1"), True, False)])
def test_below_the_statute_only_with_an_agreement(percent, agreement, allowed):
    assert rewards.percent_allowed("license", percent, agreement) is allowed


def test_net_income_deducts_costs_and_never_goes_negative():
    assert rewards.net_income(D("100000.00"), D("12345.67")) == D("87654.33")
    assert rewards.net_income(D("1000.00"), D("5000.00")) == D("0.00")
    with pytest.raises(ValueError):
        rewards.net_income(D("-1"), D("0"))


def test_transfer_reward_is_on_net_income_equity_reward_on_the_shares():
    assert rewards.reward_due("transfer", D("100000.00"), D("20000.00"), D("50")) == D("40000.00")
    assert rewards.reward_due("equity", D("100000.00"), D("20000.00"), D("50")) == D("50000.00")


def test_the_reward_is_rounded_up_so_never_below_the_percentage():
    assert rewards.reward_due("license", D("0.03"), D("0"), D("50")) == D("0.02")  # 0.015 → 0.02
    assert rewards.reward_due("license", D("333.33"), D("0"), D("50.01")) == D("166.70")  # 166.698333 → 166.70


@pytest.mark.parametrize(("shares", "ok"), [
    ([D("60"), D("40")], True), ([D("33.33"), D("33.33"), D("33.34")], True), ([D("60"), D("30")], False),
    ([D("100"), D("0")], False), ([D("50.005"), D("49.995")], False), ([], False)])
def test_shares_are_positive_and_add_up_to_100(shares, ok):
    assert (rewards.shares_problem(shares) is None) is ok


def test_allocation_gives_leftover_cents_to_largest_remainders_then_first_listed():
    assert rewards.allocate(D("100.00"), [(1, D(1)), (2, D(1)), (3, D(1))]) == {1: D("33.34"), 2: D("33.33"),
                                                                                 3: D("33.33")}
    assert rewards.allocate(D("0.05"), [("a", D("33.33")), ("b", D("66.67"))]) == {"a": D("0.02"), "b": D("0.03")}


@settings(max_examples=examples(30), deadline=None)
@given(total=st.decimals(min_value=0, max_value=10**9, places=2),
       weights=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=12))
def test_parts_always_sum_to_the_total_and_stay_within_a_cent_of_exact(total, weights):
    keyed = [(i, D(w)) for i, w in enumerate(weights)]
    parts = rewards.allocate(total, keyed)
    assert sum(parts.values()) == total
    weight_sum = sum(D(w) for w in weights)
    for i, w in keyed:
        assert abs(parts[i] - total * w / weight_sum) < D("0.01")


def test_a_deal_s_costs_are_deducted_from_its_payments_in_the_order_received():
    received = [("first", D("30000.00")), ("second", D("50000.00")), ("third", D("20000.00"))]
    assert rewards.deduct_in_order(received, D("45000.00")) == {"first": D("30000.00"), "second": D("15000.00"),
                                                                "third": D("0.00")}
    assert rewards.deduct_in_order(received, D("0")) == {"first": D("0.00"), "second": D("0.00"), "third": D("0.00")}
    assert rewards.deduct_in_order(received[:1], D("99999.99")) == {"first": D("30000.00")}, "the rest waits"
    with pytest.raises(ValueError):
        rewards.deduct_in_order(received, D("-1"))


@given(st.lists(st.decimals(min_value=0, max_value=10**6, places=2), max_size=6),
       st.decimals(min_value=0, max_value=10**6, places=2))
@settings(max_examples=examples(200))
def test_net_income_over_all_payments_is_what_was_received_minus_the_costs(amounts, costs):
    deducted = rewards.deduct_in_order(list(enumerate(amounts)), costs)
    received = sum(amounts, D(0))
    assert sum(deducted.values(), D(0)) == min(costs, received)
    assert sum(rewards.net_income(a, deducted[i]) for i, a in enumerate(amounts)) == rewards.net_income(received, costs)
