"""Limits every request input meets before any service sees it: JSON shape, integer range, text.

A JSON body is parsed by ``load_json`` only: at most ``MAX_JSON_DEPTH``
levels of nesting (5,000 nested arrays would exhaust Python's recursion
limit), no ``NaN``/``Infinity`` literals (not JSON), integers within 64 bits
(no database column holds more, and SQLite raises ``OverflowError``), and no
lone surrogates (``"\\ud800"`` is valid JSON but no database or spreadsheet
can store it). Failures are ``InputRejected`` carrying the HTTP status and,
where one value is to blame, the field it was in.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _

from marketplace.core.text import has_lone_surrogate

MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 1024 * 1024
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_MAX_INT_DIGITS = len(str(INT_MAX))


class InputRejected(ValueError):
    """A request body refused before parsing into a schema: ``status`` 400 (malformed) or 422 (a value out of range)."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}


class _HugeInt(int):
    """An integer literal too large for 64 bits; kept (as 0) only until its field is named."""


def _parse_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > _MAX_INT_DIGITS or not INT_MIN <= int(text) <= INT_MAX:
        return _HugeInt(0)
    return int(text)


def _refuse_constant(name: str) -> Any:
    raise InputRejected(400, _("JSON 中不允许 %(name)s", name=name))


def load_json(data: bytes | str) -> Any:
    """Parse a request body as strict JSON within the limits above (see module doc)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputRejected(400, _("请求体不是 UTF-8 编码的 JSON")) from None
    try:
        value = json.loads(data, parse_int=_parse_int, parse_constant=_refuse_constant)
    except RecursionError:
        raise InputRejected(400, _("JSON 嵌套过深（最多 %(n)d 层）", n=MAX_JSON_DEPTH)) from None
    except json.JSONDecodeError as error:
        raise InputRejected(400, _("JSON 格式错误：第 %(line)d 行第 %(col)d 列", line=error.lineno, col=error.colno)) from None
    check_value(value)
    return value


def check_value(value: Any) -> None:
    """Depth, integer range and lone surrogates of an already parsed value; raises ``InputRejected``."""
    fields: dict[str, str] = {}
    for path, depth, item in _walk(value):
        if depth > MAX_JSON_DEPTH:
            raise InputRejected(400, _("JSON 嵌套过深（最多 %(n)d 层）", n=MAX_JSON_DEPTH))
        if isinstance(item, _HugeInt) or (isinstance(item, int) and not isinstance(item, bool)
                                          and not INT_MIN <= item <= INT_MAX):
            fields.setdefault(path or "body", _("数值超出范围"))
        elif isinstance(item, str) and has_lone_surrogate(item):
            fields.setdefault(path or "body", _("含有无效的 Unicode 字符（孤立代理项）"))
    if fields:
        raise InputRejected(422, "; ".join(f"{k}: {v}" for k, v in fields.items()), fields)


def _walk(value: Any) -> Iterator[tuple[str, int, Any]]:
    """Every value with its dotted path and nesting depth, iteratively (no recursion to exhaust)."""
    stack: list[tuple[str, int, Any]] = [("", 0, value)]
    while stack:
        path, depth, item = stack.pop()
        yield path, depth, item
        if isinstance(item, dict):
            for key, child in item.items():
                if has_lone_surrogate(key):
                    yield path or "body", depth, key
                stack.append((f"{path}.{key}" if path else str(key), depth + 1, child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{index}" if path else str(index), depth + 1, child)
                         for index, child in enumerate(item))
