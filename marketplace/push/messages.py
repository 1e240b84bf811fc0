"""Texts stored as a message key and its parameters, rendered when read, in the reader's language.

An inbox entry is written once (by a job, or by one organisation's act) and
read later by people who may read another language than the writer: the
English inbox must not show the Chinese the writer's request happened to
use. So what is stored is the message (its msgid, the Chinese source, and
its parameters) and the text is made when it is shown — on a page or in the
API in the visitor's language, in an e-mail in the recipient's.

A stored message is plain JSON: ``{"msgid": "…", "params": {…}}``. Mark a
msgid with ``N_`` (extracted into the catalog like ``_``) and build the
message with ``message``. Parameter values are either user data kept as
written (titles, names, numbers, dates as ISO strings) or one of these typed
values, rendered in the reader's language too:

- an enum member (``LabelledEnum`` or one with ``lazy_labels``) → its label;
- ``money(amount)`` → ``¥1,234.00``;
- ``segments(codes)`` → the segments' labels, as a list;
- ``listing(items)`` → a list of such values (e.g. enum members, keywords);
- ``bilingual(zh, en)`` → the matching one (the engine's factor names);
- a nested ``message(…)``.

A body is a list of lines, each a message, ``text(…)`` (user data such as
a comment or a patent title, never translated) or ``bilingual(…)``.
"""
from __future__ import annotations

import enum
import importlib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from marketplace.core.money import format_cny
from marketplace.patents.vocab import LabelledEnum, label_of

Message = dict[str, Any]
Line = dict[str, Any]  # a message, or {"text": "…"}


def N_(msgid: str) -> str:  # noqa: N802 — gettext's name for "mark, translate later"
    """Mark ``msgid`` for extraction into the catalog; it is translated when the message is rendered."""
    return msgid


def message(msgid: str, **params: Any) -> Message:
    """A message to store: ``msgid`` (marked with ``N_``) with its parameters, encoded as JSON."""
    return {"msgid": msgid, "params": {name: _encode(value) for name, value in params.items()}}


def text(value: str) -> Line:
    """A line of user data, shown as written in every language."""
    return {"text": value}


def money(amount: Decimal | None) -> dict[str, str | None]:
    return {"money": None if amount is None else str(amount)}


def segments(codes: Iterable[str]) -> dict[str, list[str]]:
    return {"segments": list(codes)}


def listing(items: Iterable[Any], empty: Message | None = None) -> dict[str, Any]:
    """A list (enum members shown by their labels, user data as written), joined as the reader's language
    joins lists; ``empty`` (a message) is shown when there are no items."""
    return {"list": [_encode(item) for item in items], "empty": empty}


def bilingual(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return {"enum": f"{type(value).__module__}:{type(value).__qualname__}", "value": value.value}
    if isinstance(value, Decimal):
        return money(value)
    return value


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _enum_label(reference: str, value: str) -> str:
    module, _sep, name = reference.partition(":")
    if not module.startswith("marketplace."):  # stored by the platform itself; never import anything else
        raise ValueError(f"not a platform enum: {reference}")
    enum_class = getattr(importlib.import_module(module), name)
    member = enum_class(value)
    return str(member.label) if isinstance(member, LabelledEnum) else label_of(member)


def _value(value: Any) -> Any:
    """A stored parameter as shown in the current locale."""
    if not isinstance(value, dict):
        return value
    if "enum" in value:
        return _enum_label(value["enum"], value["value"])
    if "money" in value:
        return format_cny(None if value["money"] is None else Decimal(value["money"]))
    if "segments" in value:
        taxonomy = current_app.extensions["taxonomy"]
        locale = "en" if _english() else "zh"
        return _("、").join(taxonomy.label(code, locale) for code in value["segments"])
    if "list" in value:
        items = [str(_value(item)) for item in value["list"]]
        return _("、").join(items) if items or not value.get("empty") else render(value["empty"])
    if "zh" in value and "en" in value:
        return value["en"] if _english() else value["zh"]
    if "msgid" in value:
        return render(value)
    return value


def render(stored: Mapping[str, Any]) -> str:
    """A stored message in the current locale."""
    params = {name: _value(value) for name, value in (stored.get("params") or {}).items()}
    return _(stored["msgid"], **params)


def render_lines(lines: Sequence[Line]) -> str:
    """A stored body: its lines in the current locale, empty ones left out."""
    shown = (line["text"] if "text" in line else str(_value(line)) for line in lines)
    return "\n".join(line for line in shown if line)
