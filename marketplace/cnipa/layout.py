"""The column layout of an open-license announcement list (专利开放许可声明公告) and how one row is read.

No machine-readable copy of CNIPA's announcement lists was found to copy a
layout from, so the columns are the statutory contents of a declaration
(Implementing Rules art. 85, DOMAIN.md §4): patent number, title, patentee,
the royalty payment method and standard, the term, the announcement date and
the contact. The platform's export writes exactly these headers; the import
also takes the usual variants (申请号 for 专利号, one 许可使用费 text such as
``入门费10万元+净销售额3%`` instead of the split fee columns, one 许可期限 text
``2025-01-01至2030-12-31`` instead of its two dates).

Pure functions (no database): each rule is unit-tested directly.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from marketplace.core.dates import parse_date
from marketplace.core.errors import ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.money import parse_money
from marketplace.core.spreadsheets import FORMULA_TRIGGERS
from marketplace.imports.columns import Layout, cell_text
from marketplace.legal.term import add_months
from marketplace.openlicense.terms import (FIXED_FEE_CEILING, ROYALTY_CEILINGS, PaymentMethod, RoyaltyBase,
                                           parse_rate)
from marketplace.patents.numbers import normalise_application_number

# target → header aliases; the first alias is the header the export writes.
ALIASES: dict[str, tuple[str, ...]] = {
    "application_number": ("专利号", "申请号", "专利申请号", "申请号/专利号", "patent number", "application number"),
    "title": ("专利名称", "名称", "发明名称", "title", "patent title"),
    "patent_type": ("专利类型", "类型", "patent type"),
    "patentee": ("专利权人", "权利人", "许可人", "patentee"),
    "payment_method": ("许可使用费支付方式", "支付方式", "付费方式", "payment method", "license fee payment method"),
    "fixed_fee": ("固定费用（元）", "一次性付费/入门费（元）", "固定费用", "入门费", "一次性付费金额", "fixed fee"),
    "royalty_rate": ("提成比例（%）", "提成比例", "提成率", "royalty rate", "royalty rate (%)"),
    "royalty_base": ("提成基数", "提成基础", "royalty base"),
    "fee_text": ("许可使用费", "许可使用费标准", "使用费", "license fee"),
    "term_start": ("许可期限起", "许可起始日", "许可期限开始", "term start", "license term start"),
    "term_end": ("许可期限止", "许可截止日", "许可期限届满日", "term end", "license term end"),
    "term": ("许可期限", "term"),
    "announced_on": ("公告日", "公告日期", "开放许可公告日", "announcement date"),
    "contact_name": ("联系人", "contact", "contact person"),
    "contact_phone": ("联系电话", "电话", "phone", "contact phone"),
    "contact_email": ("联系邮箱", "电子邮箱", "邮箱", "email", "contact email"),
}
REQUIRED = ("application_number", "patentee", "announced_on")
ANNOUNCEMENTS = Layout(ALIASES, REQUIRED)
# What the export writes, in this order (the import reads the same file back).
EXPORT_TARGETS = ("application_number", "title", "patent_type", "patentee", "payment_method", "fixed_fee",
                  "royalty_rate", "royalty_base", "fee_text", "term_start", "term_end", "announced_on",
                  "contact_name", "contact_phone", "contact_email")
E = TypeVar("E", PaymentMethod, RoyaltyBase)
TEXT_LIMITS = {"title": 500, "patentee": 200, "contact_name": 100, "contact_phone": 40, "contact_email": 254}

_NUMBER = r"(\d+(?:\.\d+)?)"
_WAN = Decimal(10000)
_LUMP = re.compile(rf"^(?:一次性(?:付费|支付|缴纳)?)?{_NUMBER}(万)?元?$")
_ROYALTY = re.compile(rf"^(?:按)?(净销售额|销售额|利润)(?:的)?(?:提成)?{_NUMBER}%$")
_ENTRY = re.compile(rf"^入门费{_NUMBER}(万)?元?[+＋,，;；]?(?:按)?(净销售额|销售额|利润)(?:的)?(?:提成)?{_NUMBER}%$")
_TERM = re.compile(r"^(.+?)(?:至|到|~|～|—|–|--)(.+)$")
_BASES = {"净销售额": RoyaltyBase.SALES, "销售额": RoyaltyBase.SALES, "利润": RoyaltyBase.PROFIT}
_ROYALTY_METHOD = {RoyaltyBase.SALES: PaymentMethod.ROYALTY_SALES, RoyaltyBase.PROFIT: PaymentMethod.ROYALTY_PROFIT}


@dataclass(frozen=True)
class Announcement:
    """One validated row: an announced open license's terms as the office published them."""

    application_number: str
    title: str
    patent_type: str
    patentee: str
    payment_method: PaymentMethod
    fixed_fee: Decimal
    royalty_rate: Decimal | None
    royalty_base: RoyaltyBase | None
    term_start: date
    term_end: date
    announced_on: date
    contact_name: str
    contact_phone: str | None
    contact_email: str | None

    def terms(self) -> dict[str, Any]:
        """The terms a declaration carries, compared field by field to find a conflict or an update."""
        return {"payment_method": self.payment_method, "fixed_fee": self.fixed_fee,
                "royalty_rate": self.royalty_rate, "royalty_base": self.royalty_base,
                "term_start": self.term_start, "term_end": self.term_end}


def fee_text(method: PaymentMethod, fixed_fee: Decimal, rate: Decimal | None, base: RoyaltyBase | None) -> str:
    """The fee standard as one phrase (``入门费100000.00元+净销售额3.00%``), which ``parse_fee_text`` reads back."""
    base_word = "利润" if base == RoyaltyBase.PROFIT else "净销售额"
    if method == PaymentMethod.FREE:
        return "免费"
    if method == PaymentMethod.LUMP_SUM:
        return f"一次性付费{fixed_fee:.2f}元"
    if method == PaymentMethod.ENTRY_FEE_ROYALTY:
        return f"入门费{fixed_fee:.2f}元+{base_word}{rate}%"
    return f"{base_word}{rate}%"


def parse_fee_text(text: str) -> tuple[PaymentMethod, Decimal, Decimal | None, RoyaltyBase | None]:
    """``免费`` · ``一次性付费50万元`` · ``净销售额3%`` · ``利润的10%`` · ``入门费10万元+净销售额3%``."""
    folded = re.sub(r"[\s,¥￥]|人民币", "", unicodedata.normalize("NFKC", text))
    if folded in ("免费", "无偿", "0", "0元"):
        return PaymentMethod.FREE, Decimal("0.00"), None, None
    if match := _ENTRY.match(folded):
        base = _BASES[match.group(3)]
        return (PaymentMethod.ENTRY_FEE_ROYALTY, _amount(match.group(1), match.group(2)),
                parse_rate(match.group(4), "royalty_rate"), base)
    if match := _ROYALTY.match(folded):
        base = _BASES[match.group(1)]
        return _ROYALTY_METHOD[base], Decimal("0.00"), parse_rate(match.group(2), "royalty_rate"), base
    if match := _LUMP.match(folded):
        return PaymentMethod.LUMP_SUM, _amount(match.group(1), match.group(2)), None, None
    raise ValidationFailed.field("fee_text", _("无法识别的许可使用费：%(text)s（示例：一次性付费50万元、净销售额3％、"
                                               "入门费10万元+净销售额3％、免费）", text=text[:60]))


def _amount(number: str, wan: str | None) -> Decimal:
    return parse_money(str(Decimal(number) * _WAN) if wan else number, "fixed_fee")


def _text(value: Any, field: str) -> str:
    """A text cell; a cell that would run as a formula in Excel is refused (the export's own ``'`` escape is undone)."""
    text = cell_text(value)
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    if text.startswith(("=", "@")) or (text[:1] in "+-" and not re.fullmatch(r"[+\-][\d\s()\-]+", text)):
        raise ValidationFailed.field(field, _("单元格是公式或以公式符号开头，请填写数值或文字"))
    return text


_PLACEHOLDERS = {"", "-", "--", "—", "/", "无", "暂无"}


def _blank(value: Any) -> bool:
    """Empty, or a placeholder lists write for "none"."""
    return value is None or (isinstance(value, str) and value.strip() in _PLACEHOLDERS)


def read_row(cells: dict[str, Any], today: date) -> Announcement:
    """Validate one row (its cells by target) into an ``Announcement``, naming every wrong field at once."""
    errors: dict[str, str] = {}
    texts: dict[str, str] = {}
    for target in ("application_number", "title", "patent_type", "patentee", "payment_method", "royalty_base",
                   "fee_text", "term", "contact_name", "contact_phone", "contact_email", "fixed_fee",
                   "royalty_rate"):
        if _blank(cells.get(target)):
            continue
        try:
            texts[target] = _text(cells[target], target)
        except ValidationFailed as error:
            errors.update(error.fields)
    for target, limit in TEXT_LIMITS.items():
        if len(texts.get(target, "")) > limit:
            errors[target] = _("最多 %(n)d 字", n=limit)

    def attempt(field: str, parse) -> Any:
        try:
            return parse()
        except ValidationFailed as error:
            errors.update(error.fields)
            return None

    number = attempt("application_number", lambda: normalise_application_number(texts.get("application_number", "")))
    if not texts.get("patentee") and "patentee" not in errors:
        errors["patentee"] = _("必填")
    announced_on = attempt("announced_on", lambda: _date(cells.get("announced_on"), "announced_on", required=True))
    if announced_on is not None and announced_on > today:
        errors["announced_on"] = _("公告日不能晚于今天")
    method, fixed_fee, rate, base = attempt("fee_text", lambda: _fee(texts)) or (None,) * 4
    term_start, term_end = attempt("term", lambda: _term(cells, texts)) or (None, None)
    if term_start is not None and term_end is not None:
        if term_end < term_start:
            errors["term_end"] = _("许可期限止早于许可期限起")
        elif term_end < add_months(term_start, 12):
            errors["term_end"] = _("许可期限至少一年")
    email = texts.get("contact_email")
    if email and "@" not in email:
        errors["contact_email"] = _("邮箱格式无效")
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    assert number is not None and announced_on is not None and method is not None
    assert term_start is not None and term_end is not None
    return Announcement(application_number=number, title=texts.get("title", ""),
                        patent_type=texts.get("patent_type", ""), patentee=texts["patentee"], payment_method=method,
                        fixed_fee=fixed_fee, royalty_rate=rate, royalty_base=base, term_start=term_start,
                        term_end=term_end, announced_on=announced_on, contact_name=texts.get("contact_name", ""),
                        contact_phone=texts.get("contact_phone"), contact_email=email)


def _member(enum_cls: type[E], text: str, field: str) -> E:
    member = enum_cls.parse(text)
    if not isinstance(member, enum_cls):
        allowed = _("、").join(m.label for m in enum_cls)
        raise ValidationFailed.field(field, _("无效取值，可选：%(allowed)s", allowed=allowed))
    return member


def _date(value: Any, field: str, *, required: bool = False) -> date | None:
    day = parse_date(cell_text(value) if isinstance(value, str) else value, field) if not _blank(value) else None
    if day is None and required:
        raise ValidationFailed.field(field, _("必填"))
    return day


def _term(cells: dict[str, Any], texts: dict[str, str]) -> tuple[date, date]:
    """The two date columns, else one 许可期限 text ``2025-01-01至2030-12-31``."""
    if not _blank(cells.get("term_start")) or not _blank(cells.get("term_end")):
        start, end = _date(cells.get("term_start"), "term_start", required=True), \
            _date(cells.get("term_end"), "term_end", required=True)
        assert start is not None and end is not None
        return start, end
    match = _TERM.match(texts.get("term", "").replace(" ", ""))
    if not match:
        raise ValidationFailed.field("term", _("须填写许可期限（起止日期，如 2025-01-01至2030-12-31）"))
    start, end = _date(match.group(1), "term", required=True), _date(match.group(2), "term", required=True)
    assert start is not None and end is not None
    return start, end


def _fee(texts: dict[str, str]) -> tuple[PaymentMethod, Decimal, Decimal | None, RoyaltyBase | None]:
    """The split columns (支付方式, 固定费用, 提成比例, 提成基数) when a method is given, else the 许可使用费 text;
    then the statutory ceilings."""
    fixed_fee = Decimal("0.00")
    rate: Decimal | None = None
    base: RoyaltyBase | None = None
    if texts.get("payment_method"):
        method = _member(PaymentMethod, texts["payment_method"], "payment_method")
        if method.has_fixed_fee:
            if not texts.get("fixed_fee"):
                raise ValidationFailed.field("fixed_fee", _("须填写大于 0 的费用"))
            fixed_fee = parse_money(texts["fixed_fee"], "fixed_fee", allow_zero=False)
        if method.has_royalty:
            if not texts.get("royalty_rate"):
                raise ValidationFailed.field("royalty_rate", _("须填写提成比例"))
            rate = parse_rate(texts["royalty_rate"], "royalty_rate")
            implied = {m: b for b, m in _ROYALTY_METHOD.items()}.get(method)
            base = implied or (_member(RoyaltyBase, texts["royalty_base"], "royalty_base")
                               if texts.get("royalty_base") else RoyaltyBase.SALES)
    elif texts.get("fee_text"):
        method, fixed_fee, rate, base = parse_fee_text(texts["fee_text"])
    else:
        raise ValidationFailed.field("payment_method", _("须填写许可使用费支付方式或许可使用费"))
    if fixed_fee > FIXED_FEE_CEILING:
        raise ValidationFailed.field("fixed_fee", _("固定费用不得超过 ¥20,000,000"))
    if rate is not None and base is not None and rate > ROYALTY_CEILINGS[base]:
        raise ValidationFailed.field("royalty_rate", _("按%(base)s提成不得超过 %(ceiling)s%%", base=base.label,
                                                       ceiling=ROYALTY_CEILINGS[base]))
    return method, fixed_fee, rate, base
