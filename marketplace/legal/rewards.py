"""Inventors' rewards under the Law on Promoting the Transformation of S&T Achievements, art. 45: pure rules.

Absent an agreement between the institution and its inventors, the reward is at
least 50 % of the **net income** of a transfer or license (the income minus the
deductible costs of that deal: recordal, evaluation, agency fees … as recorded)
and at least 50 % of the **equity** (the shares or capital contribution, valued
at the deal's amount; no cost is deducted from shares). An institution may set
higher shares in its policy; a lower one only with an agreement recorded (its
reference is kept with the policy).

Amounts are ``Decimal`` to the cent. The reward is rounded *up* to the cent, so
it is never below the percentage applied; it is split among the inventors by
their shares with the largest-remainder method (ties go to the earlier key), so
the parts always add up to the total.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import TypeVar

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
STATUTORY_MINIMUM = Decimal(50)  # art. 45: the same floor for net income (transfer, license) and equity
KINDS = ("transfer", "license", "equity")

K = TypeVar("K", bound=Hashable)


def statutory_minimum(kind: str) -> Decimal:
    """The percentage art. 45 guarantees the inventors for a ``transfer``, ``license`` or ``equity`` deal."""
    if kind not in KINDS:
        raise ValueError(f"unknown deal kind {kind!r}")
    return STATUTORY_MINIMUM


def percent_allowed(kind: str, percent: Decimal, has_agreement: bool) -> bool:
    """A policy percentage is valid when between 0 and 100 and, without a recorded agreement, not below the
    statutory minimum."""
    if not Decimal(0) <= percent <= HUNDRED:
        return False
    return has_agreement or percent >= statutory_minimum(kind)


def net_income(income: Decimal, costs: Decimal) -> Decimal:
    """Income minus the deductible costs, never below zero (costs above the income leave nothing to share)."""
    if income < 0 or costs < 0:
        raise ValueError("income and costs are never negative")
    return max(income - costs, Decimal("0.00")).quantize(CENT)


def deduct_in_order(received: Sequence[tuple[K, Decimal]], costs: Decimal) -> dict[K, Decimal]:
    """A deal's costs deducted from its payments in the order received: each payment bears what is left of the
    costs, up to its own amount; costs above what was received wait for the next payment.

    So a transfer's net income over all its payments is what it received
    minus its costs (never below zero), and a later payment never changes what
    was deducted from an earlier one, whose rewards may already be paid.
    """
    if costs < 0 or any(amount < 0 for _key, amount in received):
        raise ValueError("income and costs are never negative")
    left = costs
    deducted: dict[K, Decimal] = {}
    for key, amount in received:
        deducted[key] = min(left, amount).quantize(CENT)
        left -= deducted[key]
    return deducted


def reward_base(kind: str, income: Decimal, costs: Decimal) -> Decimal:
    """What the percentage applies to: the equity's value for an equity deal, the net income otherwise."""
    statutory_minimum(kind)
    return income.quantize(CENT) if kind == "equity" else net_income(income, costs)


def reward_due(kind: str, income: Decimal, costs: Decimal, percent: Decimal) -> Decimal:
    """The inventors' reward: ``percent`` of the base, rounded up to the cent."""
    if not Decimal(0) <= percent <= HUNDRED:
        raise ValueError("a percentage is between 0 and 100")
    return (reward_base(kind, income, costs) * percent / HUNDRED).quantize(CENT, rounding=ROUND_UP)


def shares_problem(shares: Sequence[Decimal]) -> str | None:
    """Why inventors' shares (percent, two decimals) cannot stand, or None: each above 0, together exactly 100."""
    if not shares:
        return "no inventor"
    if any(s <= 0 or s != s.quantize(CENT) for s in shares):
        return "each share is above 0 with at most two decimals"
    if sum(shares, Decimal(0)) != HUNDRED:
        return "the shares add up to 100"
    return None


def allocate(total: Decimal, weights: Sequence[tuple[K, Decimal]]) -> dict[K, Decimal]:
    """``total`` split in proportion to ``weights`` to the cent, parts summing exactly to ``total``.

    Each key first gets its share rounded down; the cents left go one by one to
    the largest remainders, ties to the key listed first.
    """
    if total < 0 or any(w < 0 for _k, w in weights):
        raise ValueError("amounts and weights are never negative")
    weight_sum = sum((w for _k, w in weights), Decimal(0))
    if not weights or weight_sum == 0:
        raise ValueError("nothing to allocate to")
    cents = int((total / CENT).to_integral_value())
    exact = [(key, Decimal(cents) * w / weight_sum) for key, w in weights]
    floors = {key: int(value.to_integral_value(rounding=ROUND_DOWN)) for key, value in exact}
    left = cents - sum(floors.values())
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i][1] - floors[exact[i][0]]), i))
    for i in order[:left]:
        floors[exact[i][0]] += 1
    return {key: (Decimal(n) * CENT).quantize(CENT) for key, n in floors.items()}
