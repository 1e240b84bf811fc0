from decimal import Decimal

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.core.money import format_cny, parse_money, parse_price_range


@pytest.mark.parametrize("raw, expected", [
    ("1234.5", Decimal("1234.50")), ("¥1,000,000", Decimal("1000000.00")), ("0", Decimal("0.00")),
    (12, Decimal("12.00")), ("0.01", Decimal("0.01")), (0.1, Decimal("0.10")), ("1000000000000", Decimal("1000000000000.00")),
    ("1e2", Decimal("100.00")), ("1.5E+3", Decimal("1500.00")), ("2.50000", Decimal("2.50")),
])
def test_parse_money_accepts_cny_amounts(raw, expected):
    assert parse_money(raw, "amount") == expected


@pytest.mark.parametrize("raw, reason", [
    ("-1", "金额不能为负"), ("1.234", "最多两位小数"), ("1000000000000.01", "上限"), ("abc", "不是有效金额"),
    ("NaN", "不是有效金额"), ("Infinity", "不是有效金额"), ("-Infinity", "不是有效金额"), (float("nan"), "不是有效金额"),
    (float("inf"), "不是有效金额"), ("1e30", "上限"), (1e30, "上限"), ("1e309", "上限"), ("1e999999999", "上限"),
    ("1e-5", "最多两位小数"), ("0.1e-999999999", "最多两位小数"), (True, "不是有效金额"), ([1], "不是有效金额"),
    ({"a": 1}, "不是有效金额"), ("9" * 100_000, "不是有效金额"), (10**40, "上限"),
])
def test_parse_money_names_the_field_and_reason(raw, reason):
    """Issue 11: 1e30 and 1e309 raised decimal.InvalidOperation (a 500) instead of a field error."""
    with pytest.raises(ValidationFailed) as caught:
        parse_money(raw, "amount")
    assert reason in caught.value.fields["amount"]


def test_negative_zero_is_zero():
    amount = parse_money("-0", "amount")
    assert amount == 0 and not amount.is_signed() and str(amount) == "0.00"
    assert str(parse_money("-0.00", "amount")) == "0.00"


def test_zero_can_be_refused():
    with pytest.raises(ValidationFailed):
        parse_money("0", "amount", allow_zero=False)


def test_price_range_order():
    assert parse_price_range("10", "", "price") == (Decimal("10.00"), None)
    with pytest.raises(ValidationFailed) as caught:
        parse_price_range("20", "10", "price")
    assert "price_max" in caught.value.fields


def test_format_cny():
    assert format_cny(Decimal("1234567.5")) == "¥1,234,567.50"
    assert format_cny(Decimal("1234567"), cents=False) == "¥1,234,567"
    assert format_cny(None) == "—"
