"""Dates as the domain writes them: parsed from every common export form, and "today" in Beijing."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from marketplace.core.errors import ValidationFailed
from marketplace.core.i18n import gettext as _

CHINA = ZoneInfo("Asia/Shanghai")  # the platform's day and clock, wherever the server runs


def local_today() -> date:
    """Legal dates (announcement, notice, due dates, validity) are Beijing dates, whatever the server's zone."""
    return datetime.now(CHINA).date()


def local_time(moment: datetime) -> datetime:
    """A stored moment (naive UTC, ``core.models.utcnow``) as Beijing wall-clock time."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(CHINA)


def local_date(moment: datetime) -> date:
    """The Beijing date of a stored moment (naive UTC, ``core.models.utcnow``): at 16:30 UTC it is already tomorrow."""
    return local_time(moment).date()


YEARS = (1985, 2200)  # the Patent Law's first year … the furthest a term, a ledger or a statement reaches


def parse_year(raw: Any, field: str = "year") -> int | None:
    """A four-digit year within ``YEARS``, or None when blank: the pages and the API read a ``year`` alike."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4 and YEARS[0] <= int(text) <= YEARS[1]):
        raise ValidationFailed.field(field, _("应为四位年份（%(low)d–%(high)d）", low=YEARS[0], high=YEARS[1]))
    return int(text)


def require_date(raw: Any, field: str, default: date | None = None) -> date:
    """A date that must be given, or ``default`` when it is left blank."""
    day = parse_date(raw, field)
    if day is None:
        if default is None:
            raise ValidationFailed.field(field, _("必填"))
        return default
    return day


def parse_date(raw: Any, field: str) -> date | None:
    """Dates as patent databases export them: 2021-07-30, 2021.07.30, 2021/7/30, 20210730, Excel dates."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    match = re.fullmatch(r"(\d{4})[-./年]?(\d{1,2})[-./月]?(\d{1,2})日?", text)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
    raise ValidationFailed.field(field, _("日期无效：%(text)s（应为 YYYY-MM-DD）", text=text))
