"""The annual-fee arithmetic (pure): due dates on the filing anniversary, reductions explained, the surcharge
month by month in the grace period, and an honest gap when the schedule lacks a year."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest

from marketplace.legal import annual_fees as rules
from marketplace.legal.annual_fees import FeeSchedule, FeeScheduleGap


@pytest.fixture(scope="module")
def schedule() -> FeeSchedule:
    text = resources.files("marketplace").joinpath("data/annual_fees.json").read_text(encoding="utf-8")
    return FeeSchedule.from_dict(json.loads(text))


def test_the_shipped_schedule_has_every_year_of_every_term(schedule):
    assert schedule.gaps() == []
    now = schedule.in_force(date(2026, 12, 2))
    assert [now.standard("invention", y) for y in (1, 3, 4, 7, 10, 13, 16, 20)] == [
        Decimal(v) for v in ("900", "900", "1200", "2000", "4000", "6000", "8000", "8000")]
    assert now.standard("utility_model", 10) == Decimal("2000") and now.standard("design", 15) == Decimal("3000")


def test_due_dates_follow_the_filing_anniversary_and_the_year_of_grant_is_paid_with_it(schedule):
    filing, grant = date(2020, 2, 29), date(2022, 6, 1)
    assert rules.fee_year_of(filing, grant) == 3
    assert rules.due_date(filing, grant, 3) == grant
    assert rules.due_date(filing, grant, 4) == date(2023, 2, 28)  # no 29 February in 2023
    assert rules.due_date(filing, grant, 5) == date(2024, 2, 29)


def test_reductions_apply_in_order_and_each_is_explained(schedule):
    filing, grant = date(2020, 3, 10), date(2021, 9, 1)
    found = rules.quote(schedule, "invention", filing, grant, 4, reduction=rules.SINGLE, open_license="2026-001")
    assert found.standard == Decimal("1200") and found.due == date(2023, 3, 10)
    assert [(line.code, line.amount) for line in found.lines] == [
        ("standard", Decimal("1200")), ("fee_reduction_single", Decimal("180.00")),
        ("open_license", Decimal("153.00"))]
    joint = rules.quote(schedule, "invention", filing, grant, 4, reduction=rules.JOINT)
    assert joint.amount == Decimal("360.00")
    open_only = rules.quote(schedule, "invention", filing, grant, 4, open_license="2026-001")
    assert open_only.amount == Decimal("1020.00")
    late = rules.quote(schedule, "invention", filing, grant, 13, reduction=rules.SINGLE)
    assert late.amount == Decimal("6000") and late.lines[-1].code == "fee_reduction_ended"
    refused = rules.quote(schedule, "invention", filing, grant, 4, reduction_refused="某公司")
    assert refused.amount == Decimal("1200") and refused.lines[-1].code == "fee_reduction_co_owners"


def test_surcharge_is_free_in_the_first_month_then_5_percent_per_month_begun(schedule):
    surcharge = schedule.in_force(date(2026, 1, 1)).surcharge
    due, fee, standard = date(2026, 1, 10), Decimal("180.00"), Decimal("1200")
    assert rules.payable(standard, fee, due, due, surcharge) == (Decimal("0.00"), fee)
    assert rules.payable(standard, fee, due, date(2026, 2, 10), surcharge) == (Decimal("0.00"), fee)
    assert rules.payable(standard, fee, due, date(2026, 2, 11), surcharge) == (Decimal("60.00"), Decimal("240.00"))
    assert rules.payable(standard, fee, due, date(2026, 7, 10), surcharge) == (Decimal("300.00"), Decimal("480.00"))
    assert rules.payable(standard, fee, due, date(2026, 7, 11), surcharge) is None  # the right has lapsed
    assert rules.grace_end(due, surcharge) == date(2026, 7, 10)


def test_a_schedule_gap_is_an_honest_409_naming_the_year():
    partial = FeeSchedule.from_dict({"schedules": [{"effective_from": "2017-07-01",
                                                     "fees": {"invention": [[1, 3, "900"]]}}]})
    assert ("invention", 4) in [(kind, year) for _day, kind, year in partial.gaps()]
    with pytest.raises(FeeScheduleGap) as caught:
        rules.quote(partial, "invention", date(2020, 1, 1), date(2021, 6, 1), 4)
    assert caught.value.status == 409 and caught.value.fields == {"fee_schedule": "invention:4"}
    with pytest.raises(FeeScheduleGap):
        rules.quote(partial, "invention", date(2020, 1, 1), date(2021, 6, 1), 21)


@pytest.mark.parametrize("bad", [
    {"schedules": []},
    {"schedules": [{"effective_from": "2017-07-01", "fees": {"invention": [[1, 3, "-900"]]}}]},
    {"schedules": [{"effective_from": "2017-07-01", "fees": {"invention": [[1, 3, "900"], [3, 5, "1"]]}}]},
    {"schedules": [{"effective_from": "2017-07-01", "fees": {"plant": [[1, 3, "900"]]}}]},
    {"schedules": [{"effective_from": "2017-07-01", "fees": {"invention": [[1, 30, "900"]]}}]},
])
def test_a_malformed_schedule_is_refused_at_load(bad):
    with pytest.raises(ValueError):
        FeeSchedule.from_dict(bad)
