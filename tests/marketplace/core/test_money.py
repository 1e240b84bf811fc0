from decimal import Decimal

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.core.money import format_cny, parse_money, parse_price_range


@pytest.mark.parametrize("raw, expected", [
    ("1234.5", Decimal("1234.50")), ("¥1,000,000", Decimal("1000000.00")), ("0", Decimal("0.00")),
    (12, Decimal("12.00")), ("0.01", Decimal("0.01")), (0.1, Decimal("0.10")), ("1000000000000", Decimal("1000000000000.00")),
])
def test_parse_money_accepts_cny_amounts(raw, expected):
    assert parse_money(raw, "amount") == expected


@pytest.mark.parametrize("raw, reason", [
    ("-1", "negative"), ("1.234", "2 decimal"), ("1000000000000.01", "10^12"), ("abc", "not a valid"),
    ("NaN", "not a valid"), ("Infinity", "not a valid"),
])
def test_parse_money_names_the_field_and_reason(raw, reason):
    with pytest.raises(ValidationFailed) as caught:
        parse_money(raw, "amount")
    assert reason in caught.value.fields["amount"]


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
    assert format_cny(None) == "—"
