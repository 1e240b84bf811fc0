"""Validation of patent fields: every path that writes a patent (forms, API, import, demo) goes through here.

``validate_patent_values`` names every wrong field at once, so a form or an
import row report can show them all.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation
from marketplace.core.dates import parse_date
from marketplace.core.errors import ValidationFailed
from marketplace.core.money import parse_price_range
from marketplace.core.validation import FieldCollector, clean_text
from marketplace.legal.identity import conflicting_type, implied_type, type_digit
from marketplace.patents.numbers import (
    normalise_application_number, normalise_ipc, normalise_publication_number, split_ipc_list,
)
from marketplace.patents.vocab import LabelledEnum, LegalStatus, Maturity, PatentType, TransformationMode

EDITABLE_FIELDS = (
    "application_number", "publication_numbers", "patent_type", "title", "abstract", "first_claim", "ipc_main",
    "ipc_codes", "co_owners", "inventors", "application_date", "publication_date", "grant_date", "legal_status",
    "legal_status_on", "proceedings_suspended", "evaluation_report", "grade", "tags", "segments", "modes", "maturity",
    "price_min", "price_max",
)
MAX_TITLE = 500
MAX_TEXT = 20000


class ValidationErrors(ValidationFailed):
    """Several fields wrong at once, so a form or an import row can name every one."""


@dataclass
class PatentValues:
    """A validated, normalised set of patent fields (only those given)."""

    values: dict[str, Any]


def _split_list(raw: Any) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [p.strip() for p in re.split(r"[;；,，、\n|]+", raw) if p.strip()]
    return [str(p).strip() for p in raw if str(p).strip()]


def _date_parser(field: str) -> Callable[[Any], date | None]:
    return lambda raw: parse_date(raw, field)


def _parse_enum(enum_cls: type[LabelledEnum], raw: Any, field: str) -> LabelledEnum | None:
    if raw is None or raw == "":
        return None
    member = raw if isinstance(raw, enum_cls) else enum_cls.parse(str(raw))
    if member is None:
        allowed = _("、").join(m.label for m in enum_cls)
        raise ValidationFailed.field(field, _("无效取值 %(value)s；可选：%(allowed)s", value=raw, allowed=allowed))
    return member


def _type_label(patent_type: str) -> str:
    return PatentType(patent_type).label


def type_conflict_message(number: str, declared: str, implied: str) -> str:
    """The 422 reason naming both types: the one the number's type digit decides and the one given."""
    return _("申请号 %(number)s 的类型码 %(digit)s 表示%(implied)s，与填写的专利类型“%(declared)s”不符",
             number=number, digit=type_digit(number), implied=_type_label(implied), declared=_type_label(declared))


def _settle_type(values: dict[str, Any], errors: dict[str, str], raw: Mapping[str, Any], *, partial: bool,
                 stored_number: str | None) -> None:
    """The application number's type digit decides the type; an explicit type that contradicts it is refused."""
    number = values.get("application_number") or stored_number
    declared = values.get("patent_type")
    if not number or "application_number" in errors or "patent_type" in errors:
        return
    implied = conflicting_type(number, declared)
    if implied is not None:
        errors["patent_type"] = type_conflict_message(number, declared, implied)
    elif declared is None and ("application_number" in values or "patent_type" in raw or not partial):
        values["patent_type"] = implied_type(number) or (None if partial else PatentType.INVENTION)
    if values.get("patent_type") is not None:
        values["patent_type"] = PatentType(values["patent_type"])


def validate_patent_values(raw: Mapping[str, Any], organisation: Organisation, *, partial: bool = False,
                           stored_number: str | None = None) -> PatentValues:
    """Check and normalise every given field, collecting all errors before raising.

    ``partial`` (PATCH, bulk edit) validates only the keys present; otherwise
    application number and title are required. ``stored_number`` is the
    number of the patent being edited, against which a type given alone is checked.
    """
    taxonomy = current_app.extensions["taxonomy"]
    fields = FieldCollector(raw)
    attempt, values, errors = fields.parse, fields.values, fields.errors

    def grade(value: Any) -> str | None:
        """One of the organisation's labels, spelled as the label is (``a`` is ``A``)."""
        label = str(value or "").strip() or None
        known = {g.upper(): g for g in organisation.grade_labels}
        if label is not None and label.upper() not in known:
            raise ValidationFailed.field("grade", _("分级 %(grade)s 不在本机构的分级标签 %(labels)s 中", grade=label,
                                                     labels="/".join(organisation.grade_labels)))
        return known[label.upper()] if label is not None else None

    def modes(value: Any) -> list[str]:
        return [m.value for m in (_parse_enum(TransformationMode, v, "modes") for v in _split_list(value)) if m]

    def evaluation(value: Any) -> str | None:
        label = {"positive": "positive", "肯定": "positive", "正面": "positive",
                 "negative": "negative", "否定": "negative", "负面": "negative"}.get(str(value or "").strip().lower())
        if value not in (None, "") and label is None:
            raise ValidationFailed.field("evaluation_report", _("应为 positive/negative（肯定/否定）"))
        return label

    def boolean(value: Any) -> bool:
        return str(value).strip().lower() in {"1", "true", "yes", "on", "是"}

    attempt("application_number", normalise_application_number)
    attempt("publication_numbers", lambda v: [normalise_publication_number(p) for p in _split_list(v)])
    attempt("patent_type", lambda v: _parse_enum(PatentType, v, "patent_type"))
    attempt("title", lambda v: clean_text(v, "title", MAX_TITLE, required=True))
    attempt("abstract", lambda v: clean_text(v, "abstract", MAX_TEXT))
    attempt("first_claim", lambda v: clean_text(v, "first_claim", MAX_TEXT))
    attempt("ipc_main", lambda v: normalise_ipc(str(v), "ipc_main") if v not in (None, "") else None)
    attempt("ipc_codes", lambda v: split_ipc_list(v) if isinstance(v, str) else [normalise_ipc(c) for c in v or []])
    attempt("co_owners", _split_list)
    attempt("inventors", _split_list)
    for field in ("application_date", "publication_date", "grant_date"):
        attempt(field, _date_parser(field))
    attempt("legal_status", lambda v: _parse_enum(LegalStatus, v, "legal_status"))
    attempt("legal_status_on", lambda v: parse_date(v, "legal_status_on"))
    attempt("proceedings_suspended", boolean)
    attempt("evaluation_report", evaluation)
    attempt("grade", grade)
    attempt("tags", lambda v: [t[:40] for t in _split_list(v)][:30])
    attempt("segments", lambda v: taxonomy.parse_codes(_split_list(v)))
    attempt("modes", modes)
    attempt("maturity", lambda v: _parse_enum(Maturity, v, "maturity"))
    if "price_min" in raw or "price_max" in raw:
        fields.check(lambda: dict(zip(("price_min", "price_max"),
                                      parse_price_range(raw.get("price_min"), raw.get("price_max"), "price"))))
    if not partial:
        fields.require("application_number", "title")
    _settle_type(values, errors, raw, partial=partial, stored_number=stored_number)
    if values.get("legal_status") == LegalStatus.INVALIDATION_PENDING and not values.get("legal_status_on") \
            and "legal_status_on" not in errors:
        errors["legal_status_on"] = _("无效宣告请求审查中须填写请求日期（法律状态日期）")
    for required in ("patent_type", "legal_status"):  # blank keeps the stored value (new ones: defaults)
        if required in values and values[required] is None:
            del values[required]
    if values.get("ipc_main") and "ipc_codes" in values and values["ipc_main"] not in values["ipc_codes"]:
        values["ipc_codes"] = [values["ipc_main"], *values["ipc_codes"]]
    fields.raise_errors(ValidationErrors)
    return PatentValues(values)
