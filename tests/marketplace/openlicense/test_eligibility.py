"""Each legal rule of DOMAIN.md §4–5 on its own: one fact changed from an eligible patent, one named refusal."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from marketplace.openlicense.eligibility import (
    PatentFacts, add_months, assignment_refusals, license_refusals, open_license_refusals, patent_expiry,
    pledge_refusals,
)

TODAY = date(2026, 6, 1)
ELIGIBLE = PatentFacts(patent_type="invention", legal_status="granted", application_date=date(2020, 3, 15))


def codes(refusals) -> list[str]:
    return [r.code for r in refusals]


def test_an_eligible_patent_has_no_refusal():
    assert open_license_refusals(ELIGIBLE, [], TODAY) == []


@pytest.mark.parametrize("change, expected", [
    ({"legal_status": "pending"}, ["not_granted"]),
    ({"exclusive_license_in_force": True}, ["exclusive_license"]),
    ({"active_pledges": 1, "pledges_without_consent": 1}, ["pledged_without_consent"]),
    ({"legal_status": "fee_overdue"}, ["fees_unpaid"]),
    ({"proceedings_suspended": True}, ["suspended"]),
    ({"legal_status": "terminated"}, ["lapsed"]),
    ({"legal_status": "expired"}, ["lapsed"]),
    ({"legal_status": "invalidated"}, ["lapsed"]),
    ({"application_date": date(2006, 6, 1)}, ["lapsed"]),  # 20 years ran out today
    ({"patent_type": "utility_model"}, ["no_positive_evaluation"]),
    ({"patent_type": "design", "evaluation_report": "negative"}, ["no_positive_evaluation"]),
    ({"co_owners": ("贵州大学", "某某公司")}, ["co_owners_not_consenting"]),
], ids=lambda value: str(value))
def test_each_open_license_refusal_is_named(change, expected):
    assert codes(open_license_refusals(replace(ELIGIBLE, **change), [], TODAY)) == expected


def test_pledged_with_the_pledgees_consent_is_eligible():
    facts = replace(ELIGIBLE, active_pledges=1, pledges_without_consent=0)
    assert open_license_refusals(facts, [], TODAY) == []


def test_positive_report_makes_a_utility_model_eligible():
    facts = replace(ELIGIBLE, patent_type="utility_model", evaluation_report="positive")
    assert open_license_refusals(facts, [], TODAY) == []


def test_missing_co_owners_are_named_and_all_consents_clear_the_refusal():
    facts = replace(ELIGIBLE, co_owners=("贵州大学", "某某公司"))
    [refusal] = open_license_refusals(facts, ["贵州大学"], TODAY)
    assert refusal.detail == "某某公司" and "某某公司" in refusal.message
    assert open_license_refusals(facts, [" 某某公司", "贵州大学 "], TODAY) == []


def test_every_reason_is_given_at_once():
    facts = replace(ELIGIBLE, patent_type="utility_model", legal_status="fee_overdue", proceedings_suspended=True,
                    exclusive_license_in_force=True, active_pledges=1, pledges_without_consent=1)
    assert set(codes(open_license_refusals(facts, [], TODAY))) == {
        "fees_unpaid", "suspended", "exclusive_license", "pledged_without_consent", "no_positive_evaluation"}


@pytest.mark.parametrize("patent_type, filed, expiry", [
    ("invention", date(2020, 3, 15), date(2040, 3, 15)),
    ("utility_model", date(2020, 3, 15), date(2030, 3, 15)),
    ("design", date(2020, 3, 15), date(2035, 3, 15)),
    ("invention", date(2020, 2, 29), date(2040, 2, 29)),
    ("utility_model", date(2020, 2, 29), date(2030, 2, 28)),
])
def test_expiry_counts_from_filing(patent_type, filed, expiry):
    assert patent_expiry(patent_type, filed) == expiry


def test_add_months_clamps_to_month_end():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 3, 15), -36) == date(2022, 3, 15)


def pledge(facts: PatentFacts, **kwargs) -> list[str]:
    args = {"pledgor_is_patentee": True, "term_end": date(2030, 1, 1), "co_owner_consents": [],
            "open_license_consent": False, "today": TODAY, **kwargs}
    return codes(pledge_refusals(facts, **args))


@pytest.mark.parametrize("facts_change, kwargs, expected", [
    ({}, {"pledgor_is_patentee": False}, ["not_patentee"]),
    ({"legal_status": "pending"}, {}, ["not_granted"]),
    ({"legal_status": "fee_overdue"}, {}, ["fees_unpaid"]),
    ({"legal_status": "terminated"}, {}, ["lapsed"]),
    ({"legal_status": "invalidated"}, {}, ["lapsed"]),
    ({"proceedings_suspended": True}, {}, ["suspended"]),
    ({"active_pledges": 1}, {}, ["already_pledged"]),
    ({}, {"term_end": date(2040, 3, 16)}, ["term_past_expiry"]),
    ({"application_date": None}, {}, ["expiry_unknown"]),
    ({"co_owners": ("某某公司",)}, {}, ["co_owners_not_consenting"]),
    ({"open_license_declared": True}, {}, ["open_license_without_consent"]),
], ids=lambda value: str(value))
def test_each_pledge_refusal_is_named(facts_change, kwargs, expected):
    assert pledge(replace(ELIGIBLE, **facts_change), **kwargs) == expected


def test_pledge_allowed_on_the_expiry_date_and_with_consents():
    assert pledge(ELIGIBLE, term_end=date(2040, 3, 15)) == []
    facts = replace(ELIGIBLE, co_owners=("某某公司",), open_license_declared=True)
    assert pledge(facts, co_owner_consents=["某某公司"], open_license_consent=True) == []


@pytest.mark.parametrize("kind, declared, expected", [
    ("exclusive", True, ["open_license_declared"]),
    ("sole", True, ["open_license_declared"]),
    ("ordinary", True, []),
    ("exclusive", False, []),
])
def test_only_ordinary_licenses_while_an_open_license_is_declared(kind, declared, expected):
    assert codes(license_refusals(kind, replace(ELIGIBLE, open_license_declared=declared))) == expected


@pytest.mark.parametrize("change, expected", [
    ({}, []),
    ({"open_license_declared": True}, ["withdraw_open_license_first"]),
    ({"active_pledges": 1}, ["pledged"]),
])
def test_assignment_needs_the_open_license_withdrawn_and_no_pledge(change, expected):
    assert codes(assignment_refusals(replace(ELIGIBLE, **change))) == expected
