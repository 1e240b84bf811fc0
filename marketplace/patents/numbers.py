"""Chinese patent identifiers: application numbers (ZC 0006-2003), publication numbers, IPC codes.

Each parser returns one normalised form or raises ``ValidationFailed`` naming
the field and, for a wrong check digit, the digit it should have been.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _

from marketplace.core.errors import ValidationFailed
from marketplace.legal.identity import TYPE_DIGITS

_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
_APPLICATION_RE = re.compile(r"^(?:CN|ZL)?\s*(\d{12}|\d{8})\s*\.?\s*([0-9X])?$")
_PUBLICATION_RE = re.compile(r"^CN\s*(\d{9})\s*([ABCUYS]\d?)$")
_IPC_RE = re.compile(r"^([A-H])(\d{2})([A-Z])\s*(\d{1,4})\s*/\s*(\d{2,6})$")
_IPC_SUBCLASS_RE = re.compile(r"^([A-H])(\d{2})([A-Z])$")


def check_character(digits: str) -> str:
    """The check character for 12 (post-2003) or 8 (pre-2003) digits; 10 is written X."""
    weights = _WEIGHTS_12 if len(digits) == 12 else _WEIGHTS_8
    remainder = sum(int(d) * w for d, w in zip(digits, weights)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_application_number(raw: str, field: str = "application_number") -> str:
    """``CN201710601862.3``, ``ZL 2017106018623``, ``201710601862.3`` → ``201710601862.3``."""
    text = (raw or "").strip().upper().replace(" ", "")
    match = _APPLICATION_RE.match(text)
    if not match:
        raise ValidationFailed.field(field, _("申请号格式应为12位数字加校验位，如 201710601862.3"))
    digits, given = match.groups()
    expected = check_character(digits)
    if given is None:
        raise ValidationFailed.field(field, _("缺少校验位，应为 %(expected)s", expected=expected))
    if given != expected:
        raise ValidationFailed.field(field, _("校验位错误：应为 %(expected)s，而非 %(given)s", expected=expected,
                                              given=given))
    if len(digits) == 12 and digits[4] not in TYPE_DIGITS:
        raise ValidationFailed.field(field, _("第5位类型码 %(digit)s 无效", digit=digits[4]))
    return f"{digits}.{expected}"


def normalise_publication_number(raw: str, field: str = "publication_numbers") -> str:
    """``CN 108572939 B`` → ``CN108572939B``."""
    text = (raw or "").strip().upper().replace(" ", "")
    match = _PUBLICATION_RE.match(text)
    if not match:
        raise ValidationFailed.field(field, _("公开号格式无效：%(raw)s", raw=raw))
    return f"CN{match.group(1)}{match.group(2)}"


def normalise_ipc(raw: str, field: str = "ipc_codes") -> str:
    """``H01M10/0525`` or ``h01m 10/0525`` → ``H01M 10/0525``; a bare subclass ``H01M`` is kept as is."""
    text = (raw or "").strip().upper().replace("　", " ")
    text = re.sub(r"\(\d{4}\.\d{2}\)[IN]?$", "", text).strip()  # drop version suffix like (2006.01) or (2006.01)I
    subclass = _IPC_SUBCLASS_RE.match(text)
    if subclass:
        return text
    match = _IPC_RE.match(text)
    if not match:
        raise ValidationFailed.field(field, _("IPC 分类号格式无效：%(raw)s", raw=raw))
    section, klass, sub, group, subgroup = match.groups()
    return f"{section}{klass}{sub} {int(group)}/{subgroup}"


def split_ipc_list(raw: str, field: str = "ipc_codes") -> list[str]:
    """Split the ``;``/``,``/whitespace-separated IPC lists patent databases export."""
    parts = [p for p in re.split(r"[;；,，\n]+", raw or "") if p.strip()]
    codes: list[str] = []
    for part in parts:
        code = normalise_ipc(part, field)
        if code not in codes:
            codes.append(code)
    return codes
