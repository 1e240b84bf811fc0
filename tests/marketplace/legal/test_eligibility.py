"""Each legal rule of DOMAIN.md §4–5 on its own: one fact changed from an eligible patent, one named refusal."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from marketplace.legal.eligibility import (
    CoOwner, PatentFacts, assignment_refusals, co_owner_refusals, open_license_refusals, pledge_refusals,
)

TODAY = date(2026, 6, 1)
ELIGIBLE = PatentFacts(patent_type="invention", legal_status="granted", application_date=date(2020, 3, 15))
LINKED = CoOwner("贵州大学", 7)
UNLINKED = CoOwner("某某公司")


def codes(refusals) -> list[str]:
    return [r.code for r in refusals]


def test_an_eligible_patent_has_no_refusal():
    assert open_license_refusals(ELIGIBLE, TODAY) == []


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
    ({"co_owners": (LINKED, UNLINKED)}, ["co_owner_not_on_platform"]),
    ({"legal_status": "invalidation_pending"}, []),  # still in force: an open license is not barred
    ({"co_owners": (LINKED,)}, []),  # a linked co-owner consents through its account, not by a typed name
], ids=lambda value: str(value))
def test_each_open_license_refusal_is_named(change, expected):
    assert codes(open_license_refusals(replace(ELIGIBLE, **change), TODAY)) == expected


def test_pledged_with_the_pledgees_consent_is_eligible():
    facts = replace(ELIGIBLE, active_pledges=1, pledges_without_consent=0)
    assert open_license_refusals(facts, TODAY) == []


def test_positive_report_makes_a_utility_model_eligible():
    facts = replace(ELIGIBLE, patent_type="utility_model", evaluation_report="positive")
    assert open_license_refusals(facts, TODAY) == []


def test_co_owners_without_an_account_are_named():
    [refusal] = co_owner_refusals(replace(ELIGIBLE, co_owners=(UNLINKED, LINKED, CoOwner("黔南研究院"))))
    assert refusal.detail == "某某公司、黔南研究院" and "某某公司" in refusal.message


def test_every_reason_is_given_at_once():
    facts = replace(ELIGIBLE, patent_type="utility_model", legal_status="fee_overdue", proceedings_suspended=True,
                    exclusive_license_in_force=True, active_pledges=1, pledges_without_consent=1)
    assert set(codes(open_license_refusals(facts, TODAY))) == {
        "fees_unpaid", "suspended", "exclusive_license", "pledged_without_consent", "no_positive_evaluation"}


def pledge(facts: PatentFacts, **kwargs) -> list[str]:
    args = {"pledgor_is_patentee": True, "term_end": date(2030, 1, 1), "open_license_consent": False,
            "invalidation_accepted": False, "today": TODAY, **kwargs}
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
    ({"co_owners": (UNLINKED,)}, {}, ["co_owner_not_on_platform"]),
    ({"open_license_declared": True}, {}, ["open_license_without_consent"]),
    ({"legal_status": "invalidation_pending", "legal_status_on": date(2026, 3, 1)}, {}, ["invalidation_pending"]),
    ({"legal_status": "invalidation_pending"}, {"invalidation_accepted": True}, []),
], ids=lambda value: str(value))
def test_each_pledge_refusal_is_named(facts_change, kwargs, expected):
    assert pledge(replace(ELIGIBLE, **facts_change), **kwargs) == expected


def test_pending_invalidation_names_its_date():
    [refusal] = pledge_refusals(replace(ELIGIBLE, legal_status="invalidation_pending",
                                        legal_status_on=date(2026, 3, 1)),
                                pledgor_is_patentee=True, term_end=date(2030, 1, 1), open_license_consent=False,
                                invalidation_accepted=False, today=TODAY)
    assert refusal.detail == "2026-03-01"


def test_pledge_allowed_on_the_expiry_date_and_with_consents():
    assert pledge(ELIGIBLE, term_end=date(2040, 3, 15)) == []
    facts = replace(ELIGIBLE, co_owners=(LINKED,), open_license_declared=True)
    assert pledge(facts, open_license_consent=True) == []


@pytest.mark.parametrize("change, expected", [
    ({}, []),
    ({"open_license_declared": True}, ["withdraw_open_license_first"]),
    ({"active_pledges": 1}, ["pledged"]),
    ({"co_owners": (LINKED, UNLINKED)}, ["co_owner_not_on_platform"]),
])
def test_assignment_needs_the_open_license_withdrawn_no_pledge_and_every_co_owner(change, expected):
    assert codes(assignment_refusals(replace(ELIGIBLE, **change))) == expected
