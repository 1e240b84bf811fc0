"""Pricing help from a realistic set of concluded deals: which deals count, the range over at least five,
an honest answer below five, what each viewer may see of a comparable, who may ask, the income approach."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.core import transaction
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, OpenLicenseDeclaration
from marketplace.openlicense.terms import PaymentMethod
from marketplace.patents.vocab import TransformationMode
from marketplace.pricing import services
from tests import factories
from tests.marketplace.pricing.conftest import add_deal, add_patent

LICENSE = TransformationMode.LICENSE


def test_range_and_median_over_the_close_comparables(market, university):
    help_ = services.price_help(university.load(), market.target, LICENSE)
    assert help_.basis == "close" and help_.count == help_.close_count == 7 and help_.enough
    # per patent: 75,000 120,000 150,000 180,000 260,000 300,000 (900,000 / 3) 380,000; cancelled, negotiating,
    # transfer and other-field deals never count. Quartiles 135,000 and 280,000 shown rounded outward to two
    # significant figures; the median (180,000, one deal's price) is not shown below ten comparables.
    assert help_.acquirers == 6
    assert (help_.low, help_.median, help_.high) == (Decimal("130000.00"), None, Decimal("280000.00"))
    assert all(isinstance(c.amount, Decimal) for c in help_.used)
    assert [c.concluded_on for c in help_.shown] == sorted((c.concluded_on for c in help_.used), reverse=True)
    assert help_.shown[0].shared == ("segment", "ipc_group", "patent_type", "maturity")


def test_a_comparable_of_other_organisations_is_anonymised_and_its_amount_withheld(market, university):
    shown = services.price_help(university.load(), market.target, LICENSE).shown
    own = [c for c in shown if c.deal_id == market.own_deal.id]
    assert len(own) == 1 and own[0].shown_amount == Decimal("75000.00") and own[0].seller == "测试大学"
    others = [c for c in shown if c is not own[0]]
    assert all(c.deal_id is None and c.shown_amount is None for c in others)
    assert {c.seller for c in others} == {"某高校", "某科研院所"} and {c.buyer for c in others} == {"某企业"}
    assert not any("另一所大学" in c.seller or "测试科技" in c.buyer for c in others)


def test_the_agency_sees_the_amount_of_the_deal_it_brokered_only(market, agency):
    shown = services.price_help(agency.load(), market.target, LICENSE).shown
    assert [c.shown_amount for c in shown if c.visible] == [Decimal("260000.00")]
    assert [c.seller for c in shown if c.visible] == ["另一所大学"]


def test_a_platform_admin_sees_every_comparable(market, platform_admin):
    assert all(c.visible for c in services.price_help(platform_admin.load(), market.target, LICENSE).shown)


def test_fewer_than_five_comparables_gives_no_range(ctx, university, other_university, company):
    u, o, c = university.organisation_id, other_university.organisation_id, company.organisation_id
    water = {"segments": ("TM-E3",), "ipc_main": "C02F 1/44"}
    target = add_patent(u, **water)
    for day, amount in ((date(2024, 1, 1), "50000.00"), (date(2025, 1, 1), "70000.00")):
        add_deal(o, c, amount, day, **water)
    transaction.commit()
    help_ = services.price_help(university.load(), target, LICENSE)
    assert help_.count == 2 and not help_.enough and help_.close_count == 2
    assert help_.low is help_.median is help_.high is None
    none = services.price_help(university.load(), target, TransformationMode.EQUITY)
    assert none.count == 0 and none.basis == "none" and none.median is None


def test_few_close_comparables_widen_to_nearest_neighbours(market, university):
    design = add_patent(university.organisation_id, patent_type="utility_model")
    help_ = services.price_help(university.load(), design, LICENSE)
    assert help_.close_count == 0 and help_.basis == "neighbours" and help_.count == 7
    assert (help_.low, help_.high) == (Decimal("130000.00"), Decimal("280000.00"))


def test_a_patent_without_segment_or_ipc_has_no_comparables(market, university):
    bare = add_patent(university.organisation_id, segments=(), ipc_main=None)
    assert services.price_help(university.load(), bare, LICENSE).count == 0


def test_open_licenses_count_their_lump_sum_once_in_effect(ctx, university, other_university, company):
    u, o = university.organisation_id, other_university.organisation_id
    target = add_patent(u)
    licensees = [company.organisation_id] + [factories.make_user("company").organisation_id for _ in range(5)]
    for index, fee in enumerate(("30000.00", "45000.00", "20000.00", "60000.00", "38000.00", "99999.00")):
        c = licensees[index]
        patent = add_patent(o)
        declaration = OpenLicenseDeclaration(patent_id=patent.id, owner_id=o, payment_method=PaymentMethod.LUMP_SUM,
                                             fixed_fee=Decimal(fee), term_start=date(2024, 1, 1),
                                             term_end=date(2027, 1, 1))
        db.session.add(declaration)
        db.session.flush()
        db.session.add(LicenseGrant(declaration_id=declaration.id, patent_id=patent.id, licensor_id=o, licensee_id=c,
                                    fee_type="fixed", fixed_fee=Decimal(fee), notice_date=date(2024, 2, 1),
                                    effective_on=date(2024, 2, index + 1) if index < 5 else None,  # last: not yet
                                    term_end=date(2027, 1, 1)))
    transaction.commit()
    help_ = services.price_help(university.load(), target, TransformationMode.OPEN_LICENSE)
    # quartiles of 20,000 30,000 38,000 45,000 60,000 are 30,000 and 45,000 — two licensees' exact fees: the
    # bounds move one two-figure step out, and the median (38,000, one fee) is not shown
    assert help_.count == 5 and help_.median is None
    assert (help_.low, help_.high) == (Decimal("29000.00"), Decimal("46000.00"))


@pytest.mark.parametrize("who", ["university", "agency", "platform_admin"])
def test_who_may_ask_for_a_published_patent(market, who, request):
    user = request.getfixturevalue(who)
    assert services.get_priced_patent(user.load(), market.target.id) == market.target


@pytest.mark.parametrize("who", ["company", "other_university"])
def test_others_get_404(market, who, request):
    with pytest.raises(NotFound):
        services.get_priced_patent(request.getfixturevalue(who).load(), market.target.id)


def test_an_agency_studies_a_draft_only_when_party_to_a_deal_of_it(ctx, university, company, agency):
    draft = add_patent(university.organisation_id, published=False)
    transaction.commit()
    with pytest.raises(NotFound):
        services.get_priced_patent(agency.load(), draft.id)
    deal = add_deal(university.organisation_id, company.organisation_id, "1.00", date(2025, 1, 1),
                    agency_id=agency.organisation_id, status="negotiating")
    deal.patent_links[0].patent_id = draft.id
    transaction.commit()
    assert services.get_priced_patent(agency.load(), draft.id) == draft
    assert services.get_priced_patent(company.load(), draft.id) == draft


def test_mode_is_parsed_or_refused_naming_the_field(market):
    assert services.parse_mode("", market.target) == LICENSE
    assert services.parse_mode("开放许可", market.target) == TransformationMode.OPEN_LICENSE
    with pytest.raises(ValidationFailed) as error:
        services.parse_mode("auction;DROP", market.target)
    assert "mode" in error.value.fields


def test_income_estimate_over_the_remaining_term(market):
    estimate = services.estimate_income(market.target, {"annual_sales": "1,000,000", "royalty_rate": "5",
                                                        "share": "50", "years": "3"}, date(2026, 1, 1))
    assert estimate.value == Decimal("62171.30") and estimate.discount_rate == Decimal("10.00")
    default = services.estimate_income(market.target, {"annual_sales": "1000000", "royalty_rate": "5"},
                                       date(2026, 3, 1))
    assert default.years == 13 and default.share == Decimal("100.00")  # filed 2019-03-01: expires 2039-03-01


@pytest.mark.parametrize(("raw", "field"), [
    ({"royalty_rate": "5"}, "annual_sales"),
    ({"annual_sales": "-5", "royalty_rate": "5"}, "annual_sales"),
    ({"annual_sales": "1e999", "royalty_rate": "5"}, "annual_sales"),
    ({"annual_sales": "1000"}, "royalty_rate"),
    ({"annual_sales": "1000", "royalty_rate": "150"}, "royalty_rate"),
    ({"annual_sales": "1000", "royalty_rate": "5", "share": "abc"}, "share"),
    ({"annual_sales": "1000", "royalty_rate": "5", "discount_rate": "0"}, "discount_rate"),
    ({"annual_sales": "1000", "royalty_rate": "5", "years": "0"}, "years"),
    ({"annual_sales": "1000", "royalty_rate": "5", "years": "9" * 5000}, "years"),
])
def test_bad_income_inputs_name_the_field(market, raw, field):
    with pytest.raises(ValidationFailed) as error:
        services.estimate_income(market.target, raw, date(2026, 1, 1))
    assert field in error.value.fields


ROUND_PRICES = [  # realistic small markets: round prices, repeats, a deal of several patents
    ("50000.00", "80000.00", "100000.00", "120000.00", "200000.00"),
    ("100000.00", "100000.00", "100000.00", "150000.00", "300000.00"),
    ("29000.00", "30000.00", "45000.00", "46000.00", "60000.00", "99000.00"),
    ("10000.00", "12000.00", "12500.00", "13000.00", "14000.00", "15000.00", "16000.00", "17000.00"),
]


@pytest.mark.parametrize("prices", ROUND_PRICES)
def test_no_shown_figure_is_one_comparables_price(ctx, university, other_university, prices):
    u, o = university.organisation_id, other_university.organisation_id
    water = {"segments": ("TM-E3",), "ipc_main": "C02F 1/44"}
    target = add_patent(u, **water)
    for index, amount in enumerate(prices):
        buyer = factories.make_user("company").organisation_id
        add_deal(o, buyer, amount, date(2024, 1, 1 + index), **water)
    add_deal(o, factories.make_user("company").organisation_id, "240000.00", date(2024, 2, 1), patents=2, **water)
    transaction.commit()
    help_ = services.price_help(university.load(), target, LICENSE)
    assert help_.enough and help_.median is None  # fewer than ten: the range only
    amounts = {c.amount for c in help_.used} | {Decimal("240000.00")}
    assert help_.low not in amounts and help_.high not in amounts
    exact = sorted(c.amount for c in help_.used)
    assert help_.low <= services.stats.percentile(exact, Decimal("0.25"))
    assert help_.high >= services.stats.percentile(exact, Decimal("0.75"))


def test_five_deals_with_fewer_than_five_acquirers_give_no_range(ctx, university, other_university, company):
    u, o, c = university.organisation_id, other_university.organisation_id, company.organisation_id
    water = {"segments": ("TM-E3",), "ipc_main": "C02F 1/44"}
    target = add_patent(u, **water)
    others = [factories.make_user("company").organisation_id for _ in range(3)]
    for index, (buyer, amount) in enumerate(zip([c, c, *others], ("50000.00", "60000.00", "70000.00", "80000.00",
                                                                    "90000.00"))):
        add_deal(o, buyer, amount, date(2024, 3, 1 + index), **water)
    transaction.commit()
    help_ = services.price_help(university.load(), target, LICENSE)
    assert help_.count == 5 and help_.acquirers == 4 and not help_.enough
    assert help_.low is help_.median is help_.high is None


def test_free_deals_are_no_comparables(ctx, university, other_university):
    u, o = university.organisation_id, other_university.organisation_id
    water = {"segments": ("TM-E3",), "ipc_main": "C02F 1/44"}
    target = add_patent(u, **water)
    for index in range(5):
        add_deal(o, factories.make_user("company").organisation_id, "0.00", date(2024, 4, 1 + index), **water)
    transaction.commit()
    assert services.price_help(university.load(), target, LICENSE).count == 0


def test_the_median_shows_over_ten_comparables_unless_it_is_a_price(ctx, university, other_university):
    u, o = university.organisation_id, other_university.organisation_id
    water = {"segments": ("TM-E3",), "ipc_main": "C02F 1/44"}
    target = add_patent(u, **water)
    for index, amount in enumerate((41000, 52000, 63000, 74000, 85000, 96000, 107000, 118000, 129000, 140000)):
        add_deal(o, factories.make_user("company").organisation_id, f"{amount}.00", date(2024, 5, 1 + index),
                 **water)
    transaction.commit()
    help_ = services.price_help(university.load(), target, LICENSE)
    # exact median 90,500 → 91,000 (two significant figures), which is no deal's price
    assert help_.count == 10 and help_.median == Decimal("91000.00")
    assert (help_.low, help_.high) == (Decimal("65000.00"), Decimal("120000.00"))


def test_an_auction_prices_as_a_transfer(ctx, university, other_university):
    u, o = university.organisation_id, other_university.organisation_id
    target = add_patent(u)
    for index in range(5):
        add_deal(o, factories.make_user("company").organisation_id, f"{300000 + index * 50000}.00",
                 date(2024, 6, 1 + index), mode="auction" if index % 2 else "transfer")
    transaction.commit()
    help_ = services.price_help(university.load(), target, TransformationMode.TRANSFER)
    assert help_.count == 5 and help_.enough
    assert (help_.low, help_.high) == (Decimal("340000.00"), Decimal("460000.00"))
