"""The pure arithmetic of pricing help: how alike two patents are, percentiles of prices, the income approach.

No database and no Flask, so every rule is unit-tested directly
(``tests/marketplace/pricing/test_stats.py``).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# What each shared trait adds to a comparable's score; a candidate sharing neither a segment nor an IPC
# subclass is not comparable at all. "Close" comparables share the type and a segment or an IPC main group.
WEIGHTS = {"segment": 3, "ipc_group": 3, "ipc_subclass": 1, "patent_type": 2, "maturity": 1}


@dataclass(frozen=True)
class Traits:
    """What makes two patents comparable for pricing."""

    patent_type: str
    segments: frozenset[str]
    ipc_main: str | None
    maturity: str | None


def ipc_group(code: str | None) -> str | None:
    """``H01M 10/0525`` → ``H01M 10/`` (the main group, as stored by ``normalise_ipc``); a bare subclass → None."""
    if not code or "/" not in code:
        return None
    return code.split("/", 1)[0] + "/"


def ipc_subclass(code: str | None) -> str | None:
    """``H01M 10/0525`` → ``H01M``."""
    return code[:4] if code and len(code) >= 4 else None


def shared_traits(target: Traits, other: Traits) -> tuple[str, ...]:
    """The traits ``other`` shares with ``target``, in ``WEIGHTS`` order (a shared IPC group implies its
    subclass, which is then not named twice)."""
    shared = []
    if target.segments & other.segments:
        shared.append("segment")
    group = ipc_group(target.ipc_main)
    if group and ipc_group(other.ipc_main) == group:
        shared.append("ipc_group")
    elif ipc_subclass(target.ipc_main) and ipc_subclass(other.ipc_main) == ipc_subclass(target.ipc_main):
        shared.append("ipc_subclass")
    if target.patent_type == other.patent_type:
        shared.append("patent_type")
    if target.maturity and target.maturity == other.maturity:
        shared.append("maturity")
    return tuple(shared)


def similarity(shared: Iterable[str]) -> int:
    """The score of a comparable: the weights of its shared traits; 0 when it shares no field of technology."""
    names = set(shared)
    if not names & {"segment", "ipc_group", "ipc_subclass"}:
        return 0
    return sum(WEIGHTS[name] for name in names)


def is_close(shared: Iterable[str]) -> bool:
    """Same patent type and the same segment or IPC main group: the issue's "comparable"; others are neighbours."""
    names = set(shared)
    return "patent_type" in names and bool(names & {"segment", "ipc_group"})


def percentile(values: Sequence[Decimal], fraction: Decimal) -> Decimal:
    """The ``fraction`` (0–1) percentile of ``values`` by linear interpolation between closest ranks, to the cent.

    Between ranks the figure is a weighted mean of two prices, so a quartile of
    few deals is not one deal's price.
    """
    if not values:
        raise ValueError("no values")
    if not Decimal(0) <= fraction <= Decimal(1):
        raise ValueError("fraction outside 0..1")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_significant(value: Decimal, rounding: str, digits: int = 2) -> Decimal:
    """``value`` to ``digits`` significant figures, in the direction ``rounding`` (ROUND_FLOOR, ROUND_CEILING,
    ROUND_HALF_UP); 0 stays 0."""
    if value <= 0:
        return Decimal("0.00")
    unit = Decimal(1).scaleb(value.adjusted() - digits + 1)
    return ((value / unit).to_integral_value(rounding=rounding) * unit).quantize(CENT)


def private_bounds(low: Decimal, high: Decimal, prices: Iterable[Decimal]) -> tuple[Decimal, Decimal]:
    """The range ``low``–``high`` as shown: rounded outward to two significant figures and moved further out,
    one two-figure step at a time, while a bound equals one of ``prices`` (the comparables' amounts), so that
    no shown bound is any one deal's price. The lower bound stops at 0 (no comparable is free)."""
    taken = set(prices)
    shown_low = round_significant(low, ROUND_FLOOR)
    while shown_low in taken and shown_low > 0:
        shown_low = round_significant(shown_low - CENT, ROUND_FLOOR)
    shown_high = round_significant(high, ROUND_CEILING)
    while shown_high in taken:
        shown_high = round_significant(shown_high + CENT, ROUND_CEILING)
    return shown_low, shown_high


def private_median(median: Decimal, prices: Iterable[Decimal]) -> Decimal | None:
    """The median to two significant figures, or None when that figure is one of ``prices``."""
    shown = round_significant(median, ROUND_HALF_UP)
    return None if shown in set(prices) else shown


def share_of(amount: Decimal, parts: int) -> Decimal:
    """A deal's amount per patent (a deal of several patents is priced per patent), to the cent."""
    return (amount / max(parts, 1)).quantize(CENT, rounding=ROUND_HALF_UP)


def income_value(annual_sales: Decimal, royalty_percent: Decimal, share_percent: Decimal, years: int,
                 discount_percent: Decimal) -> tuple[Decimal, list[Decimal]]:
    """The income approach (CNIPA 《专利开放许可使用费估算指引（试行）》): each year's expected sales × royalty rate ×
    the patent's share of that royalty, discounted at ``discount_percent`` a year; returns the total present
    value and each year's discounted figure, to the cent."""
    if years < 0 or min(annual_sales, royalty_percent, share_percent, discount_percent) < 0:
        raise ValueError("inputs are never negative")
    yearly = annual_sales * royalty_percent / 100 * share_percent / 100
    factor = 1 + discount_percent / 100
    values = [(yearly / factor ** year).quantize(CENT, rounding=ROUND_HALF_UP) for year in range(1, years + 1)]
    return sum(values, Decimal("0.00")), values
