"""Field-by-field validation that names every wrong field at once (forms, API bodies, import rows)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import ValidationFailed
from marketplace.core.text import normalise_text


def clean_text(value: Any, field: str, limit: int, *, required: bool = False, multiline: bool = True) -> str:
    """Normalised (``core.text``), stripped text of at most ``limit`` characters; ``required`` refuses blank."""
    text = normalise_text(str(value or ""), multiline=multiline).strip()
    if required and not text:
        raise ValidationFailed.field(field, _("必填"))
    if len(text) > limit:
        raise ValidationFailed.field(field, _("最多 %(n)d 字", n=limit))
    return text


# Labels of the query parameters every list shares (pages and API); a feature's schema adds its own fields'.
QUERY_LABELS = {"q": _l("检索词"), "page": _l("页码"), "per_page": _l("每页条数"), "sort": _l("排序")}


def field_message(errors: Mapping[str, str], labels: Mapping[str, Any]) -> str:
    """The errors as one sentence in the visitor's language, each field named by its label (never its code)."""
    return str(_("；")).join(_("%(label)s：%(reason)s", label=str(labels.get(name, name)), reason=reason)
                            for name, reason in errors.items())


class FieldCollector:
    """Parses the fields present in ``raw`` into ``values``, collecting errors instead of stopping at the first.

    ``labels`` (field → lazy label) name the fields in the error's message: an input's one schema (the page
    and the API both call it) passes its labels, so both answer the same fields in the same words.
    """

    def __init__(self, raw: Mapping[str, Any], labels: Mapping[str, Any] | None = None) -> None:
        self.raw = raw
        self.labels = labels
        self.values: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def parse(self, field: str, parser: Callable[[Any], Any]) -> None:
        """Set ``values[field]`` from ``raw[field]`` when given; a ValidationFailed is recorded, not raised."""
        if field not in self.raw:
            return
        try:
            self.values[field] = parser(self.raw[field])
        except ValidationFailed as error:
            self.errors.update(error.fields or {field: error.message})

    def check(self, parse_many: Callable[[], dict[str, Any]]) -> None:
        """Run a parser that sets several values together (a price range); record its errors."""
        try:
            self.values.update(parse_many())
        except ValidationFailed as error:
            self.errors.update(error.fields)

    def require(self, *fields: str) -> None:
        for field in fields:
            if field not in self.raw and field not in self.errors:
                self.errors[field] = _("必填")

    def raise_errors(self, error_class: type[ValidationFailed] = ValidationFailed) -> None:
        if self.errors:
            message = field_message(self.errors, self.labels) if self.labels is not None \
                else "; ".join(f"{k}: {v}" for k, v in self.errors.items())
            raise error_class(message, self.errors)
