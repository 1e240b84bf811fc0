"""The term of protection and the calendar arithmetic of legal dates."""
from __future__ import annotations

from datetime import date

import pytest

from marketplace.legal.term import add_months, has_lapsed, patent_expiry


@pytest.mark.parametrize("patent_type, filed, expiry", [
    ("invention", date(2020, 3, 15), date(2040, 3, 15)),
    ("utility_model", date(2020, 3, 15), date(2030, 3, 15)),
    ("design", date(2020, 3, 15), date(2035, 3, 15)),
    ("invention", date(2020, 2, 29), date(2040, 2, 29)),
    ("utility_model", date(2020, 2, 29), date(2030, 2, 28)),
    ("invention", None, None),
])
def test_expiry_counts_from_filing_by_type(patent_type, filed, expiry):
    assert patent_expiry(patent_type, filed) == expiry


@pytest.mark.parametrize("start, months, expected", [
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),
    (date(2025, 3, 15), -36, date(2022, 3, 15)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
])
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize("status, expiry, lapsed", [
    ("granted", date(2030, 1, 1), False),
    ("granted", date(2026, 6, 1), True),  # the term ended today, whatever the status still says
    ("fee_overdue", None, False),
    ("invalidation_pending", date(2030, 1, 1), False),
    ("terminated", date(2030, 1, 1), True),
    ("expired", None, True),
    ("invalidated", date(2030, 1, 1), True),
])
def test_has_lapsed(status, expiry, lapsed):
    assert has_lapsed(status, expiry, date(2026, 6, 1)) is lapsed
