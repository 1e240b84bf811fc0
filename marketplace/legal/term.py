"""A patent's term of protection and the calendar arithmetic legal dates need (Patent Law art. 42)."""
from __future__ import annotations

import calendar
from datetime import date

INVENTION, UTILITY_MODEL, DESIGN = "invention", "utility_model", "design"
TERM_YEARS = {INVENTION: 20, UTILITY_MODEL: 10, DESIGN: 15}
# Legal statuses after which the patent right no longer exists.
LAPSED = frozenset({"terminated", "expired", "invalidated"})


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def patent_expiry(patent_type: str, application_date: date | None) -> date | None:
    """The date the term ends, counted from filing: 20 years invention, 10 utility model, 15 design."""
    if application_date is None:
        return None
    return add_months(application_date, 12 * TERM_YEARS[str(patent_type)])


def has_lapsed(legal_status: str, expiry: date | None, today: date) -> bool:
    """Terminated, expired or invalidated by its status, or past its expiry date whatever the status says."""
    return str(legal_status) in LAPSED or (expiry is not None and expiry <= today)
