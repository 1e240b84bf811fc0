"""Money is CNY as ``Decimal`` with exactly two places; never float."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from marketplace.core.errors import ValidationFailed

CENT = Decimal("0.01")
MONEY_CEILING = Decimal("1000000000000")  # ¥10^12: above any real deal, below Numeric(16,2)


def parse_money(value: object, field: str, *, allow_zero: bool = True) -> Decimal:
    """Parse user input into CNY, refusing floats' surprises, negatives and sub-cent digits."""
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("，", "").removeprefix("¥").removeprefix("￥")
    try:
        amount = Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed.field(field, "不是有效金额 / not a valid amount") from None
    if not amount.is_finite():
        raise ValidationFailed.field(field, "不是有效金额 / not a valid amount")
    if amount < 0:
        raise ValidationFailed.field(field, "金额不能为负 / must not be negative")
    if amount == 0 and not allow_zero:
        raise ValidationFailed.field(field, "金额必须大于零 / must be greater than zero")
    if amount != amount.quantize(CENT):
        raise ValidationFailed.field(field, "最多两位小数 / at most 2 decimal places")
    if amount > MONEY_CEILING:
        raise ValidationFailed.field(field, "金额超过上限 ¥10¹² / exceeds ¥10^12")
    return amount.quantize(CENT)


def parse_price_range(low: object, high: object, prefix: str) -> tuple[Decimal | None, Decimal | None]:
    """Parse an optional asking-price or budget range, checking its order."""
    low_amount = parse_money(low, f"{prefix}_min") if low not in (None, "") else None
    high_amount = parse_money(high, f"{prefix}_max") if high not in (None, "") else None
    if low_amount is not None and high_amount is not None and low_amount > high_amount:
        raise ValidationFailed.field(f"{prefix}_max", "上限不能低于下限 / must not be below the minimum")
    return low_amount, high_amount


def format_cny(amount: Decimal | None) -> str:
    """¥1,234,567.00 — the display form used in pages and exports."""
    if amount is None:
        return "—"
    return f"¥{amount:,.2f}"
