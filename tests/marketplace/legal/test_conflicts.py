"""License conflict rules over the licenses' terms: what excludes what, only where the terms overlap."""
from __future__ import annotations

from datetime import date

import pytest

from marketplace.legal.conflicts import LicenseTerm, license_conflicts, overlap

Y2026, Y2027, Y2028, Y2029 = (date(y, 1, 1) for y in (2026, 2027, 2028, 2029))
END26, END27, END28 = date(2026, 12, 31), date(2027, 12, 31), date(2028, 12, 31)


def term(kind: str, start=Y2026, end=END28, licensee: int | None = 1, label: str = "") -> LicenseTerm:
    return LicenseTerm(kind, start, end, None if kind == "open_declaration" else licensee, label or kind)


@pytest.mark.parametrize("existing, new, expected", [
    # an exclusive license excludes every other license and the patentee's own declaration
    (term("exclusive"), term("exclusive", licensee=2), ["exclusive_license_in_force"]),
    (term("exclusive"), term("ordinary", licensee=2), ["exclusive_license_in_force"]),
    (term("exclusive"), term("sole", licensee=2), ["exclusive_license_in_force"]),
    (term("exclusive"), term("open_declaration"), ["exclusive_license_in_force"]),
    (term("exclusive"), term("open_grant", licensee=2), ["exclusive_license_in_force"]),
    (term("ordinary"), term("exclusive", licensee=2), ["licenses_granted"]),
    (term("open_grant"), term("exclusive", licensee=2), ["licenses_granted"]),
    # a sole license excludes other licensees, not the patentee, not its own licensee
    (term("sole"), term("ordinary", licensee=2), ["sole_license_in_force"]),
    (term("sole"), term("sole", licensee=2), ["sole_license_in_force"]),
    (term("sole"), term("open_declaration"), ["sole_license_in_force"]),
    (term("sole"), term("open_grant", licensee=2), ["sole_license_in_force"]),
    (term("sole"), term("ordinary", licensee=1), []),
    (term("ordinary", licensee=2), term("sole"), ["licenses_granted"]),
    (term("ordinary", licensee=1), term("sole"), []),
    # a declared open license excludes exclusive and sole licenses, not ordinary ones
    (term("open_declaration"), term("exclusive"), ["open_license_declared"]),
    (term("open_declaration"), term("sole"), ["open_license_declared"]),
    (term("open_declaration"), term("ordinary"), []),
    (term("open_declaration"), term("open_grant"), []),
    # ordinary licenses coexist
    (term("ordinary"), term("ordinary", licensee=2), []),
    (term("open_grant"), term("ordinary", licensee=2), []),
], ids=lambda value: value.kind if isinstance(value, LicenseTerm) else str(value))
def test_what_excludes_what(existing, new, expected):
    assert [r.code for r in license_conflicts(new, [existing])] == expected


@pytest.mark.parametrize("a, b, overlapping", [
    (term("ordinary", Y2026, END26), term("ordinary", Y2027, END27), False),
    (term("ordinary", Y2026, END27), term("ordinary", Y2027, END28), True),
    (term("ordinary", Y2026, Y2027), term("ordinary", Y2027, END27), True),  # sharing one day is an overlap
    (term("ordinary", None, END26), term("ordinary", Y2027, None), False),
    (term("ordinary", None, None), term("ordinary", Y2029, END28), True),  # unbounded reaches everywhere
])
def test_overlap(a, b, overlapping):
    assert overlap(a, b) is overlapping and overlap(b, a) is overlapping


def test_licenses_conflict_only_where_their_terms_overlap():
    exclusive_2026 = term("exclusive", Y2026, END26)
    assert license_conflicts(term("ordinary", Y2027, END28, licensee=2), [exclusive_2026]) == []
    assert [r.code for r in license_conflicts(term("ordinary", date(2026, 12, 31), END28, licensee=2),
                                              [exclusive_2026])] == ["exclusive_license_in_force"]


def test_the_refusal_names_each_conflicting_license_and_its_term():
    existing = [term("exclusive", label="交易 #12《锂电池负极》"), term("ordinary", licensee=3, label="交易 #13")]
    [refusal] = license_conflicts(term("ordinary", licensee=2), existing)
    assert refusal.detail == "交易 #12《锂电池负极》 2026-01-01–2028-12-31"
    assert "交易 #12" in refusal.message


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        LicenseTerm("auction", None, None)
