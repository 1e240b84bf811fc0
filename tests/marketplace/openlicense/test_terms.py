"""Declared terms: the statutory ceilings, the term rules, rates and money to the cent."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.core.errors import ValidationFailed
from marketplace.openlicense.terms import PaymentMethod, RoyaltyBase, split_evenly, validate_terms

TODAY = date(2026, 6, 1)
EXPIRY = date(2040, 3, 15)


def terms(**raw):
    return validate_terms({"term_end": "2030-06-01", **raw}, expiry=EXPIRY, today=TODAY)


def refused(**raw) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        terms(**raw)
    return caught.value.fields


@pytest.mark.parametrize("raw, field", [
    ({"payment_method": "lump_sum", "fixed_fee": "20000000.01"}, "fixed_fee"),
    ({"payment_method": "entry_fee_royalty", "fixed_fee": "20000000.01", "royalty_rate": "5"}, "fixed_fee"),
    ({"payment_method": "royalty_sales", "royalty_rate": "20.01"}, "royalty_rate"),
    ({"payment_method": "royalty_profit", "royalty_rate": "40.01"}, "royalty_rate"),
    ({"payment_method": "entry_fee_royalty", "fixed_fee": "1000", "royalty_rate": "20.5",
      "royalty_base": "sales"}, "royalty_rate"),
], ids=["lump-sum", "entry-fee", "sales-royalty", "profit-royalty", "entry-fee-sales-royalty"])
def test_each_ceiling_is_enforced(raw, field):
    assert field in refused(**raw)


@pytest.mark.parametrize("raw", [
    {"payment_method": "lump_sum", "fixed_fee": "20000000.00"},
    {"payment_method": "royalty_sales", "royalty_rate": "20.00"},
    {"payment_method": "royalty_profit", "royalty_rate": "40"},
    {"payment_method": "entry_fee_royalty", "fixed_fee": "1000", "royalty_rate": "35", "royalty_base": "profit"},
])
def test_ceilings_themselves_are_allowed(raw):
    assert terms(**raw).payment_method == PaymentMethod(raw["payment_method"])


def test_royalty_base_follows_the_method():
    assert terms(payment_method="royalty_profit", royalty_rate="30").royalty_base == RoyaltyBase.PROFIT
    assert terms(payment_method="royalty_sales", royalty_rate="3.5").royalty_rate == Decimal("3.50")
    free = terms(payment_method="free", fixed_fee="100", royalty_rate="5")
    assert (free.fixed_fee, free.royalty_rate, free.royalty_base) == (Decimal("0.00"), None, None)


@pytest.mark.parametrize("raw, field", [
    ({"term_end": "2027-05-31"}, "term_end"),  # shorter than a year
    ({"term_end": "2040-03-16"}, "term_end"),  # past the patent's expiry
    ({"fee_explanation": "字" * 2001}, "fee_explanation"),
    ({"royalty_rate": "3.555", "payment_method": "royalty_sales"}, "royalty_rate"),
    ({"royalty_rate": "-1", "payment_method": "royalty_sales"}, "royalty_rate"),
    ({"payment_method": "royalty_sales"}, "royalty_rate"),
    ({"payment_method": "lump_sum"}, "fixed_fee"),
    ({"payment_method": "lump_sum", "fixed_fee": "-5"}, "fixed_fee"),
    ({"payment_method": "lump_sum", "fixed_fee": "10.001"}, "fixed_fee"),
    ({"payment_method": "barter"}, "payment_method"),
    ({"trial_months": "40"}, "trial_months"),
])
def test_bad_terms_name_their_field(raw, field):
    assert field in refused(**{"payment_method": "free", **raw})


def test_term_of_exactly_one_year_ending_on_expiry_is_allowed():
    assert terms(payment_method="free", term_end="2027-06-01").term_end == date(2027, 6, 1)
    assert terms(payment_method="free", term_end="2040-03-15").term_end == EXPIRY


def test_unknown_expiry_refuses_the_term():
    with pytest.raises(ValidationFailed) as caught:
        validate_terms({"payment_method": "free", "term_end": "2030-01-01"}, expiry=None, today=TODAY)
    assert "term_end" in caught.value.fields


def test_every_wrong_field_is_named_at_once():
    assert set(refused(payment_method="lump_sum", fixed_fee="-1", term_end="2026-07-01",
                       fee_explanation="x" * 2001)) == {"fixed_fee", "term_end", "fee_explanation"}


@pytest.mark.parametrize("total, parts", [("100000.00", 3), ("0.05", 3), ("19999999.99", 7), ("50000.00", 1)])
def test_installments_sum_to_the_cent(total, parts):
    shares = split_evenly(Decimal(total), parts)
    assert len(shares) == parts and sum(shares) == Decimal(total)
    assert all(share == share.quantize(Decimal("0.01")) and share >= 0 for share in shares)
