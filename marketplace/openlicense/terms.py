"""The declared terms of an open license: payment method, fees, royalty, term, payment schedule.

Pure validation (no database) so each statutory ceiling and the term rules are
unit-tested directly. Implementing Rules art. 85 and the pilot guidance set the
contents; the ceilings (fixed fee ≤ ¥20 million, royalty ≤ 20 % of net sales or
≤ 40 % of profit) follow the CNIPA open-license pilot practice.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from marketplace.core.dates import require_date
from marketplace.core.errors import ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.core.money import parse_money
from marketplace.legal.term import add_months
from marketplace.patents.vocab import LabelledEnum

FIXED_FEE_CEILING = Decimal("20000000.00")
RATE_PLACES = Decimal("0.01")
MAX_FEE_EXPLANATION = 2000
MAX_TRIAL_MONTHS = 36
MAX_INSTALLMENTS = 12
# The counts a declaration sets: (least, most, default), for the service and the input's schema alike.
COUNTS = {"trial_months": (0, MAX_TRIAL_MONTHS, 0), "installments": (1, MAX_INSTALLMENTS, 1),
          "installment_interval_months": (1, 24, 12)}


class PaymentMethod(LabelledEnum):
    LUMP_SUM = "lump_sum", "一次性付费"
    ROYALTY_SALES = "royalty_sales", "按净销售额提成"
    ROYALTY_PROFIT = "royalty_profit", "按利润提成"
    ENTRY_FEE_ROYALTY = "entry_fee_royalty", "入门费+提成"
    FREE = "free", "免费"

    @property
    def has_fixed_fee(self) -> bool:
        return self in (PaymentMethod.LUMP_SUM, PaymentMethod.ENTRY_FEE_ROYALTY)

    @property
    def has_royalty(self) -> bool:
        return self in (PaymentMethod.ROYALTY_SALES, PaymentMethod.ROYALTY_PROFIT, PaymentMethod.ENTRY_FEE_ROYALTY)

    @property
    def fee_type(self) -> str:
        """The split agencies report: fixed fee, royalty (with or without entry fee) or free."""
        if self == PaymentMethod.FREE:
            return "free"
        return "royalty" if self.has_royalty else "fixed"


FEE_LABELS = {"fixed": _l("固定费用"), "royalty": _l("提成"), "free": _l("免费")}  # PaymentMethod.fee_type's values


class RoyaltyBase(LabelledEnum):
    SALES = "sales", "净销售额"
    PROFIT = "profit", "利润"


ROYALTY_CEILINGS = {RoyaltyBase.SALES: Decimal("20.00"), RoyaltyBase.PROFIT: Decimal("40.00")}
_IMPLIED_BASE = {PaymentMethod.ROYALTY_SALES: RoyaltyBase.SALES, PaymentMethod.ROYALTY_PROFIT: RoyaltyBase.PROFIT}


@dataclass(frozen=True)
class DeclaredTerms:
    """Validated terms; ``fixed_fee`` is the lump sum or the entry fee (0 when there is none)."""

    payment_method: PaymentMethod
    fixed_fee: Decimal
    royalty_rate: Decimal | None
    royalty_base: RoyaltyBase | None
    term_start: date
    term_end: date
    trial_months: int
    installments: int
    installment_interval_months: int
    fee_explanation: str

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def parse_rate(value: object, field: str) -> Decimal:
    """A royalty rate in percent, above 0 and with at most 2 decimals (e.g. 3.50 for 3.5 %)."""
    try:
        rate = Decimal(str(value).strip().removesuffix("%"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed.field(field, _("不是有效的百分比")) from None
    if not rate.is_finite() or rate <= 0:
        raise ValidationFailed.field(field, _("提成比例须大于 0"))
    try:
        if rate != rate.quantize(RATE_PLACES):
            raise ValidationFailed.field(field, _("最多两位小数"))
        return rate.quantize(RATE_PLACES)
    except InvalidOperation:  # 1e30 %: too many digits to quantize
        raise ValidationFailed.field(field, _("不是有效的百分比")) from None


def parse_count(value: object, field: str) -> int:
    """One of the declaration's ``COUNTS``, a whole number within its bounds."""
    low, high, _default = COUNTS[field]
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationFailed.field(field, _("应为整数")) from None
    if not low <= number <= high:
        raise ValidationFailed.field(field, _("应在 %(low)d–%(high)d 之间", low=low, high=high))
    return number


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_terms(raw: Mapping[str, Any], *, expiry: date | None, today: date) -> DeclaredTerms:
    """Check every declared term, collecting all errors so a form can name each one."""
    errors: dict[str, str] = {}

    def attempt(field: str, parse, default: Any = None) -> Any:
        if _blank(raw.get(field)):
            return default
        try:
            return parse(raw[field])
        except ValidationFailed as error:
            errors.update(error.fields)
            return None

    method = attempt("payment_method", lambda v: _enum(PaymentMethod, v, "payment_method"))
    if method is None and "payment_method" not in errors:
        errors["payment_method"] = _("必填")
    fixed_fee = attempt("fixed_fee", lambda v: parse_money(v, "fixed_fee"), Decimal("0.00"))
    rate = attempt("royalty_rate", lambda v: parse_rate(v, "royalty_rate"))
    base = attempt("royalty_base", lambda v: _enum(RoyaltyBase, v, "royalty_base"))
    term_start = attempt("term_start", lambda v: require_date(v, "term_start"), today)
    term_end = attempt("term_end", lambda v: require_date(v, "term_end"))
    trial, installments, interval = (attempt(name, lambda v, name=name: parse_count(v, name), COUNTS[name][2])
                                     for name in ("trial_months", "installments", "installment_interval_months"))
    explanation = str(raw.get("fee_explanation") or "").strip()
    if len(explanation) > MAX_FEE_EXPLANATION:
        errors["fee_explanation"] = _("最多 %(n)d 字", n=MAX_FEE_EXPLANATION)

    if method is not None:
        if method.has_fixed_fee:
            if fixed_fee is not None and "fixed_fee" not in errors and fixed_fee <= 0:
                errors["fixed_fee"] = _("须填写大于 0 的费用")
            elif fixed_fee is not None and fixed_fee > FIXED_FEE_CEILING:
                errors["fixed_fee"] = _("固定费用不得超过 ¥20,000,000")
        else:
            fixed_fee = Decimal("0.00")
        if method.has_royalty:
            base = _IMPLIED_BASE.get(method, base or RoyaltyBase.SALES)
            if rate is None and "royalty_rate" not in errors:
                errors["royalty_rate"] = _("须填写提成比例")
            elif rate is not None and rate > ROYALTY_CEILINGS[base]:
                ceiling = ROYALTY_CEILINGS[base]
                errors["royalty_rate"] = _("按%(base)s提成不得超过 %(ceiling)s%%", base=base.label, ceiling=ceiling)
        else:
            rate, base = None, None

    if term_end is None and "term_end" not in errors:
        errors["term_end"] = _("必填")
    if term_start is not None and term_end is not None:
        if term_end < add_months(term_start, 12):
            errors["term_end"] = _("许可期限至少一年")
        elif expiry is None:
            errors["term_end"] = _("缺少申请日，无法核对专利权期限")
        elif term_end > expiry:
            errors["term_end"] = _("许可期限不得超过专利权届满日 %(expiry)s", expiry=expiry.isoformat())
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return DeclaredTerms(payment_method=method, fixed_fee=fixed_fee, royalty_rate=rate, royalty_base=base,
                         term_start=term_start, term_end=term_end, trial_months=trial, installments=installments,
                         installment_interval_months=interval, fee_explanation=explanation)


def _enum(enum_cls: type[LabelledEnum], value: object, field: str) -> Any:
    member = value if isinstance(value, enum_cls) else enum_cls.parse(str(value))
    if member is None:
        allowed = _("、").join(m.label for m in enum_cls)
        raise ValidationFailed.field(field, _("无效取值，可选：%(allowed)s", allowed=allowed))
    return member


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` installments to the cent; the last carries the remainder so they sum exactly."""
    share = (total / parts).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    return [share] * (parts - 1) + [total - share * (parts - 1)]

