"""Field-by-field validation that names every wrong field at once (forms, API bodies, import rows)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

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


class FieldCollector:
    """Parses the fields present in ``raw`` into ``values``, collecting errors instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
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
            raise error_class("; ".join(f"{k}: {v}" for k, v in self.errors.items()), self.errors)
