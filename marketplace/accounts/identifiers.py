"""Validation of the identifiers organisations register with."""
from __future__ import annotations

import re

from marketplace.core.errors import ValidationFailed
from marketplace.core.i18n import gettext as _

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_REGION_RE = re.compile(r"^[1-8]\d{5}$")


def credit_code_check(first17: str) -> str:
    """GB 32100-2015 check character over the first 17 characters."""
    total = sum(CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS))
    value = 31 - total % 31
    return CREDIT_CODE_CHARSET[0 if value == 31 else value]


def normalise_credit_code(raw: str, field: str = "credit_code") -> str:
    """Validate a unified social credit code (统一社会信用代码), returning it upper-cased."""
    code = (raw or "").strip().upper()
    if len(code) != 18:
        raise ValidationFailed.field(field, _("统一社会信用代码应为18位"))
    bad = sorted({c for c in code if c not in CREDIT_CODE_CHARSET})
    if bad:
        raise ValidationFailed.field(field, _("含有不允许的字符 %(chars)s", chars="".join(bad)))
    expected = credit_code_check(code[:17])
    if code[17] != expected:
        raise ValidationFailed.field(
            field, _("校验位错误：应为 %(expected)s，而非 %(given)s", expected=expected, given=code[17]))
    return code


def normalise_region_code(raw: str, field: str = "region_code") -> str:
    """A 6-digit administrative division code (行政区划代码), e.g. 520100 for 贵阳市."""
    code = (raw or "").strip()
    if not _REGION_RE.match(code):
        raise ValidationFailed.field(field, _("行政区划代码应为6位数字，如 520100"))
    return code
