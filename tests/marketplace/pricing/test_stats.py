"""The pure arithmetic of pricing help: comparability, interpolated percentiles, per-patent shares, income."""
from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.pricing import stats

TARGET = stats.Traits("invention", frozenset({"TM-F1"}), "H01M 10/0525", "pilot")


@pytest.mark.parametrize(("other", "shared", "score"), [
    (stats.Traits("invention", frozenset({"TM-F1"}), "H01M 10/054", "pilot"),
     ("segment", "ipc_group", "patent_type", "maturity"), 9),
    (stats.Traits("invention", frozenset({"TM-F9"}), "H01M 4/13", None), ("ipc_subclass", "patent_type"), 3),
    (stats.Traits("utility_model", frozenset({"TM-F1", "X"}), None, "lab"), ("segment",), 3),
    (stats.Traits("invention", frozenset({"TM-A1"}), "G06F 16/35", "pilot"), ("patent_type", "maturity"), 0),
])
def test_what_a_comparable_shares_and_scores(other, shared, score):
    assert stats.shared_traits(TARGET, other) == shared
    assert stats.similarity(shared) == score


def test_close_means_same_type_and_same_segment_or_ipc_group():
    assert stats.is_close(("segment", "patent_type"))
    assert stats.is_close(("ipc_group", "patent_type"))
    assert not stats.is_close(("ipc_subclass", "patent_type", "maturity"))
    assert not stats.is_close(("segment", "ipc_group"))


def test_ipc_group_and_subclass():
    assert stats.ipc_group("H01M 10/0525") == "H01M 10/"
    assert stats.ipc_group("H01M") is None and stats.ipc_group(None) is None
    assert stats.ipc_subclass("H01M 10/0525") == "H01M" and stats.ipc_subclass("H0") is None


def test_percentiles_interpolate_between_ranks_to_the_cent():
    prices = [Decimal(v) for v in ("380000", "75000", "150000", "260000", "120000", "300000", "180000")]
    assert stats.percentile(prices, Decimal("0.25")) == Decimal("135000.00")
    assert stats.percentile(prices, Decimal("0.5")) == Decimal("180000.00")
    assert stats.percentile(prices, Decimal("0.75")) == Decimal("280000.00")
    assert stats.percentile([Decimal("0.01"), Decimal("0.02")], Decimal("0.5")) == Decimal("0.02")  # half up
    with pytest.raises(ValueError):
        stats.percentile([], Decimal("0.5"))
    with pytest.raises(ValueError):
        stats.percentile(prices, Decimal("1.5"))


def test_a_deal_of_several_patents_is_priced_per_patent():
    assert stats.share_of(Decimal("900000.00"), 3) == Decimal("300000.00")
    assert stats.share_of(Decimal("100000.00"), 3) == Decimal("33333.33")
    assert stats.share_of(Decimal("5.00"), 0) == Decimal("5.00")


def test_income_approach_discounts_each_year():
    value, yearly = stats.income_value(Decimal("1000000"), Decimal("5"), Decimal("50"), 3, Decimal("10"))
    assert yearly == [Decimal("22727.27"), Decimal("20661.16"), Decimal("18782.87")]
    assert value == Decimal("62171.30") and isinstance(value, Decimal)
    assert stats.income_value(Decimal("1000"), Decimal("5"), Decimal("100"), 0, Decimal("10")) == (Decimal("0.00"), [])
    with pytest.raises(ValueError):
        stats.income_value(Decimal("-1"), Decimal("5"), Decimal("50"), 3, Decimal("10"))


def test_round_significant_and_private_bounds():
    from marketplace.pricing.stats import private_bounds, private_median, round_significant
    from decimal import ROUND_CEILING, ROUND_FLOOR
    assert round_significant(Decimal("135000.00"), ROUND_FLOOR) == Decimal("130000.00")
    assert round_significant(Decimal("135000.00"), ROUND_CEILING) == Decimal("140000.00")
    assert round_significant(Decimal("987.65"), ROUND_CEILING) == Decimal("990.00")
    assert round_significant(Decimal("0"), ROUND_FLOOR) == Decimal("0.00")
    # a bound landing on a price moves one two-figure step out, across a power of ten too
    assert private_bounds(Decimal("100000"), Decimal("150000"), {Decimal("100000.00"), Decimal("150000.00")}) == (
        Decimal("99000.00"), Decimal("160000.00"))
    assert private_bounds(Decimal("100000"), Decimal("150000"), {Decimal("100000.00"), Decimal("99000.00")}) == (
        Decimal("98000.00"), Decimal("150000.00"))
    assert private_bounds(Decimal("10000"), Decimal("20000"), {Decimal("10000.00")})[0] == Decimal("9900.00")
    assert private_median(Decimal("38000"), {Decimal("38000.00")}) is None
    assert private_median(Decimal("38420"), {Decimal("38000.00")}) is None
    assert private_median(Decimal("38420"), {Decimal("38420.00")}) == Decimal("38000.00")
