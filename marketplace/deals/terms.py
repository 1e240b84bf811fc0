"""A deal's own fields (title, amount, dates, term, recordal number, notes): parsed and checked once for
entry, editing and amendments."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from marketplace.core.dates import parse_date
from marketplace.core.errors import ValidationFailed
from marketplace.core.money import parse_money
from marketplace.core.text import require_plain
from marketplace.deals.models import Deal, DealMode

EDITABLE = ("title", "amount", "contract_date", "term_start", "term_end", "recordal_number", "match_id", "notes")
AMENDABLE = ("title", "amount", "contract_date", "term_start", "term_end", "recordal_number", "recorded_on", "notes")


def parse_member(enum_cls: Any, raw: Any, field: str) -> Any:
    """A vocabulary member from its value or label; 422 naming the allowed values otherwise."""
    member = raw if isinstance(raw, enum_cls) else enum_cls.parse(str(raw or ""))
    if member is None:
        allowed = _("、").join(m.label for m in enum_cls)
        raise ValidationFailed.field(field, _("无效取值，可选：%(allowed)s", allowed=allowed))
    return member


def clean_fields(raw: Mapping[str, Any], mode: DealMode, names: tuple[str, ...]) -> dict[str, Any]:
    """Validate the fields of ``names`` present in ``raw``, naming every wrong one."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    parsers = {
        "title": lambda v: str(v or "").strip()[:300],
        "notes": lambda v: str(v or "").strip()[:5000],
        "amount": lambda v: parse_money(v, "amount", allow_zero=mode == DealMode.LICENSE),
        "contract_date": lambda v: parse_date(v, "contract_date"),
        "term_start": lambda v: parse_date(v, "term_start"),
        "term_end": lambda v: parse_date(v, "term_end"),
        "recorded_on": lambda v: parse_date(v, "recorded_on"),
        "recordal_number": lambda v: (require_plain(str(v or "").strip(), "recordal_number") or None),
        "match_id": lambda v: None if v in (None, "") else int(v),
    }
    for name in names:
        if name in raw:
            try:
                values[name] = parsers[name](raw[name])
            except ValidationFailed as error:
                errors.update(error.fields)
            except (TypeError, ValueError):
                errors[name] = _("应为整数")
    if values.get("recordal_number") and len(values["recordal_number"]) > 64:
        errors["recordal_number"] = _("最多 %(n)d 字", n=64)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return values


def check_term(deal: Deal) -> None:
    if deal.term_start and deal.term_end and deal.term_end < deal.term_start:
        raise ValidationFailed.field("term_end", _("不能早于起始日"))
