"""Money is CNY as ``Decimal`` with exactly two places; never float."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from marketplace.core.errors import ValidationFailed

CENT = Decimal("0.01")
MONEY_CEILING = Decimal("1000000000000")  # ¥10^12: above any real deal, below Numeric(16,2)
MAX_MONEY_TEXT = 64  # "1000000000000.00" with separators fits; a 10 MB digit string is not an amount


def parse_money(value: object, field: str, *, allow_zero: bool = True) -> Decimal:
    """Parse user input into CNY, refusing floats' surprises, negatives, sub-cent digits and absurd sizes.

    Bounds are checked before any arithmetic: ``1e30`` or ``1e999999999`` would
    otherwise overflow ``quantize`` (``decimal.InvalidOperation``). ``-0`` is 0.
    """
    if isinstance(value, bool):
        raise ValidationFailed.field(field, _("不是有效金额"))
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("，", "").removeprefix("¥").removeprefix("￥")
        if len(value) > MAX_MONEY_TEXT:
            raise ValidationFailed.field(field, _("不是有效金额"))
    try:
        amount = Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationFailed.field(field, _("不是有效金额")) from None
    if not amount.is_finite():
        raise ValidationFailed.field(field, _("不是有效金额"))
    if amount < 0:
        raise ValidationFailed.field(field, _("金额不能为负"))
    if amount > MONEY_CEILING:
        raise ValidationFailed.field(field, _("金额超过上限 ¥10¹²"))
    if amount == 0 and not allow_zero:
        raise ValidationFailed.field(field, _("金额必须大于零"))
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT):  # type: ignore[operator]
        raise ValidationFailed.field(field, _("最多两位小数"))
    return abs(amount).quantize(CENT)


def parse_price_range(low: object, high: object, prefix: str) -> tuple[Decimal | None, Decimal | None]:
    """Parse an optional asking-price or budget range, checking its order."""
    low_amount = parse_money(low, f"{prefix}_min") if low not in (None, "") else None
    high_amount = parse_money(high, f"{prefix}_max") if high not in (None, "") else None
    if low_amount is not None and high_amount is not None and low_amount > high_amount:
        raise ValidationFailed.field(f"{prefix}_max", _("上限不能低于下限"))
    return low_amount, high_amount


def format_cny(amount: Decimal | None, *, cents: bool = True) -> str:
    """¥1,234,567.00 — the display form used in pages and exports; ``cents=False``: ¥1,234,567 (estimates)."""
    if amount is None:
        return "—"
    return f"¥{amount:,.2f}" if cents else f"¥{amount:,.0f}"
