"""The royalty arithmetic, pure: base × declared rate, to the cent, half up."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MAX_UNITS = 10**12  # units sold in one period: beyond this the figure is a typo, not a sale


def royalty_of(base_amount: Decimal, rate_percent: Decimal) -> Decimal:
    """The royalty on ``base_amount`` (net sales or profit) at ``rate_percent`` (e.g. 3.50 for 3.5 %)."""
    if base_amount < 0 or rate_percent < 0:
        raise ValueError("a royalty base and rate are never negative")
    return (base_amount * rate_percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
