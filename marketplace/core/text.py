"""Text as it is stored: NFC, no control characters, no lone surrogates — so every export can write it.

Free text is *normalised* (``normalise_text``): composed to NFC, ``\\r\\n`` and
``\\r`` turned into ``\\n``, other control characters (C0 except tab and
newline, DEL, C1) and lone surrogates dropped. Identifiers are *checked*
instead (``require_plain``): silently dropping a character from a
registration number or an e-mail would store a different identifier than the
one typed, so those are refused with a field error.

``normalise_model_text`` applies ``normalise_text`` to every string column of
the objects a flush writes (single-line for short columns) (installed on the session by ``install``): the last
line of defence, so whatever path a value takes (form, API, import, CLI) the
database never holds text that an XLSX writer or a PostgreSQL client refuses.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import JSON, String, Text, event, inspect
from sqlalchemy.orm import Session

from marketplace.core.errors import ValidationFailed

# C0 controls except \t (09) and \n (0a); \r (0d) is handled separately; DEL; C1; lone surrogates.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def is_clean(text: str, *, multiline: bool = True) -> bool:
    """True when ``normalise_text`` would leave ``text`` unchanged."""
    pattern = _FORBIDDEN if multiline else _FORBIDDEN_SINGLE_LINE
    return "\r" not in text and pattern.search(text) is None and unicodedata.is_normalized("NFC", text)


def normalise_text(text: str, *, multiline: bool = True) -> str:
    """NFC, newlines as ``\\n``, control characters and lone surrogates removed (tabs and newlines kept if ``multiline``)."""
    if is_clean(text, multiline=multiline):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    text = _FORBIDDEN.sub("", text)
    return unicodedata.normalize("NFC", text)


def has_lone_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def require_plain(value: str, field: str) -> str:
    """An identifier must be typed as it is stored: refuse control characters, lone surrogates and non-NFC forms."""
    if not is_clean(value, multiline=False):
        raise ValidationFailed.field(field, _("含有不可见的控制字符或无效字符"))
    return value


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, dict):
        return {(_clean_json(k) if isinstance(k, str) else k): _clean_json(v) for k, v in value.items()}
    return value


def _needs_cleaning(value: Any) -> bool:
    if isinstance(value, str):
        return not is_clean(value)
    if isinstance(value, list):
        return any(_needs_cleaning(v) for v in value)
    if isinstance(value, dict):
        return any(_needs_cleaning(k) or _needs_cleaning(v) for k, v in value.items())
    return False


_TEXT_COLUMNS: dict[Any, list[tuple[str, bool, bool]]] = {}
MULTILINE_LENGTH = 1000  # String columns this long (and Text) hold paragraphs; shorter ones are single-line


def _text_columns(mapper: Any) -> list[tuple[str, bool, bool]]:
    """(attribute, is JSON, keeps newlines and tabs) for the text columns of a mapped class, computed once."""
    cached = _TEXT_COLUMNS.get(mapper)
    if cached is None:
        cached = []
        for attr in mapper.column_attrs:
            if len(attr.columns) != 1 or not isinstance(attr.columns[0].type, (String, JSON)):
                continue
            kind = attr.columns[0].type
            multiline = isinstance(kind, (JSON, Text)) or kind.length is None or kind.length >= MULTILINE_LENGTH
            cached.append((attr.key, isinstance(kind, JSON), multiline))
        _TEXT_COLUMNS[mapper] = cached
    return cached


def normalise_model_text(session: Session, flush_context: Any, instances: Any) -> None:
    """``before_flush``: normalise the text of every new object and of every changed attribute of a dirty one.

    Short ``String`` columns (titles, names, numbers) are single-line: a newline or tab becomes a space.
    """
    for obj in [*session.new, *session.dirty]:
        state = inspect(obj)
        for key, is_json, multiline in _text_columns(state.mapper):
            if not state.has_identity or key in state.committed_state:
                value = state.dict.get(key)
                if value is None:
                    continue
                if is_json:
                    if _needs_cleaning(value):
                        setattr(obj, key, _clean_json(value))
                elif not is_clean(value, multiline=multiline):
                    setattr(obj, key, normalise_text(value, multiline=multiline))


def install(session_factory: Any) -> None:
    """Normalise text on every flush of ``session_factory``'s sessions (idempotent)."""
    if not event.contains(session_factory, "before_flush", normalise_model_text):
        event.listen(session_factory, "before_flush", normalise_model_text)
