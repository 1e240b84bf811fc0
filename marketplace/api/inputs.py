"""One schema per input, read by the page and by the API alike (issue 11 item 6).

An input's marshmallow schema (in its feature's ``api.py``) is the input's only definition: field names,
types, bounds, choices (an enum's values, refused with its labels) and messages. The API reads a body through
it (``@blp.arguments``); a page reads its submitted form through it with ``load_form``, and its WTForms form
only draws the fields, each labelled by ``label(schema, name)``. Either way a wrong field gets the same reason
(``field_reasons``), in the visitor's language, and the same label names it.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from flask import request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from marketplace.core.errors import ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.validation import FIELD_LABELS, field_message


class Text(fields.String):
    """Text of at most ``max`` characters, stripped; blank is "必填" when ``required`` (a form sends an empty
    field as ``""``, a client may too: both are refused in the same words)."""

    def __init__(self, *, max: int, **kwargs: Any) -> None:  # noqa: A002 (the bound's usual name)
        metadata = {"maxLength": max, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.max_length = max

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = str(super()._deserialize(value, attr, data, **kwargs)).strip()
        if self.required and not text:
            raise ValidationError(_("必填"))
        if len(text) > self.max_length:
            raise ValidationError(_("最多 %(n)d 字", n=self.max_length))
        return text


class Parsed(fields.Raw):
    """A value read by the feature's own parser ``parse(value, field)`` (the one the services call), its
    ``ValidationFailed`` reason becoming the field's; blank is none."""

    def __init__(self, parse: Callable[[Any, str], Any], **kwargs: Any) -> None:
        metadata = {"type": "string", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.parse = parse

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return self.parse(value, attr or "value")
        except ValidationFailed as error:
            raise ValidationError(next(iter(error.fields.values()), error.message)) from None


class Choice(validate.OneOf):
    """One of an enum's values; refused naming the allowed ones by their labels in the visitor's language."""

    def __init__(self, members: Iterable[enum.Enum]) -> None:
        self.members = list(members)
        super().__init__([m.value for m in self.members])

    def _format_error(self, value: Any) -> str:
        allowed = _("、").join(str(getattr(m, "lazy_label", m.value)) for m in self.members)
        return _("无效取值，可选：%(allowed)s", allowed=allowed)


def label(schema: type[Schema], name: str) -> Any:
    """The field's label (lazy): its ``metadata["label"]`` in the schema, else ``FIELD_LABELS``; the page's form
    shows it and both the page and the API name the field by it in their messages."""
    field = schema._declared_fields[name]
    return field.metadata.get("label") or FIELD_LABELS[name]


class SchemaForm(FlaskForm):
    """A form drawing an input's ``schema``: the browser's own hints (``required``, ``maxlength``) come from the
    schema too, so the page asks for what the schema will refuse."""

    schema: ClassVar[type[Schema]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        declared = self.schema._declared_fields
        for field in self:
            spec = declared.get(field.name)
            if spec is None or isinstance(spec, (fields.List, fields.Boolean)):  # a box is never required
                continue
            hints: dict[str, Any] = {"required": True} if spec.required else {}
            if isinstance(spec, Text):
                hints["maxlength"] = spec.max_length
            field.render_kw = {**hints, **(field.render_kw or {})}


def load_form(schema: type[Schema], names: Iterable[str] | None = None, **given: Any) -> dict[str, Any]:
    """The submitted form read through the input's schema: what the API's body would give, or ValidationFailed
    naming every wrong field with the API's reasons (``show_errors`` puts each under its field).

    ``names`` limits the fields read (a deal's page sends only its mode's fields); ``given`` are values the page
    computed itself (patent ids from numbers). A blank control is a missing value (``None`` where the field takes
    one), except text, which the schema reads as given; a list or a checkbox left unchecked is empty or false.
    """
    declared = schema._declared_fields
    raw: dict[str, Any] = {}
    for name in names if names is not None else declared:
        field = declared[name]
        if isinstance(field, fields.List):  # unchecked boxes send nothing: none chosen
            raw[name] = [v for v in request.form.getlist(name) if v.strip()]
        elif isinstance(field, fields.Boolean):
            raw[name] = name in request.form and request.form[name] not in ("", "n", "false", "0")
        elif name in request.form:
            value = request.form[name]
            if value.strip() or _is_text(field):
                raw[name] = value
            elif field.allow_none:
                raw[name] = None
    raw.update(given)
    try:
        return dict(schema(unknown=EXCLUDE).load(raw))
    except ValidationError as error:
        reasons = field_reasons(error.messages if isinstance(error.messages, dict) else {"body": error.messages})
        labels = {name: label(schema, name) for name in reasons if name in declared}
        raise ValidationFailed(field_message(reasons, {**FIELD_LABELS, **labels}), reasons) from None


def _is_text(field: fields.Field) -> bool:
    return isinstance(field, fields.String) and not any(isinstance(v, validate.OneOf) for v in field.validators)


def field_reasons(messages: Mapping[str, Any]) -> dict[str, str]:
    """A schema's messages as {field: reason} in the visitor's language (marshmallow's English defaults
    replaced), as the API's 422 ``fields`` and the page's field errors both show them."""
    return {str(name): str(_("；")).join(in_visitor_language(reason) for reason in _flatten(reasons))
            for name, reasons in messages.items()}


# marshmallow's own messages (English whatever the visitor reads) in the platform's words; ours pass unchanged.
_MARSHMALLOW_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^Missing data for required field\.$"), lambda m: _("必填")),
    (re.compile(r"^Unknown field\.$"), lambda m: _("未知字段")),
    (re.compile(r"^Field may not be null\.$"), lambda m: _("不能为空")),
    (re.compile(r"^Not a valid (integer|number)\.$|^Number too large\.$"), lambda m: _("应为数字")),
    (re.compile(r"^Not a valid boolean\.$"), lambda m: _("应为 true 或 false")),
    (re.compile(r"^Not a valid (date|datetime|time)\.$|cannot be formatted as a"), lambda m: _("日期格式无效")),
    (re.compile(r"^Must be one of: (.*)\.$"), lambda m: _("可选值：%(values)s", values=m.group(1))),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: _("最多 %(n)d 字", n=int(m.group(1)))),
]


def in_visitor_language(reason: str) -> str:
    """One reason in the visitor's language: marshmallow's English defaults are replaced, anything else in
    English words on a Chinese answer (a validator's default) becomes the generic "invalid value"."""
    for pattern, words in _MARSHMALLOW_MESSAGES:
        match = pattern.search(reason)
        if match:
            return words(match)
    if str(get_locale()) != "en" and re.fullmatch(r"[\x20-\x7e]+", reason) and re.search(r"[a-z]{3}", reason):
        return _("无效取值")
    return reason


def _flatten(reasons: Any) -> list[str]:
    if isinstance(reasons, str):
        return [reasons]
    if isinstance(reasons, dict):  # a nested field's reasons name it; a list item's need no index
        return [m if isinstance(k, int) else f"{k}: {m}" for k, v in reasons.items() for m in _flatten(v)]
    if isinstance(reasons, (list, tuple)):
        return [m for r in reasons for m in _flatten(r)]
    return [str(reasons)]
