"""A deal's own fields (title, amount, dates, term, recordal number, notes, and the fields of auctions and
entrusted operations): parsed and checked once for entry, editing and amendments."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from marketplace.core.dates import local_date, parse_date
from marketplace.core.errors import ValidationFailed
from marketplace.core.money import parse_money
from marketplace.core.text import require_plain
from marketplace.deals.models import Deal, DealMode
from marketplace.patents.models import Patent

AUCTION_FIELDS = ("reserve_price", "auction_house_id", "auction_house_name", "auction_date")
ENTRUSTED_FIELDS = ("fee_share", "operation_scope")
MODE_FIELDS = {DealMode.AUCTION: AUCTION_FIELDS, DealMode.ENTRUSTED: ENTRUSTED_FIELDS}
EDITABLE = ("title", "amount", "contract_date", "term_start", "term_end", "recordal_number", "match_id", "notes",
            *AUCTION_FIELDS, *ENTRUSTED_FIELDS)
AMENDABLE = ("title", "amount", "contract_date", "term_start", "term_end", "recordal_number", "recorded_on", "notes")


def parse_member(enum_cls: Any, raw: Any, field: str) -> Any:
    """A vocabulary member from its value or label; 422 naming the allowed values otherwise."""
    member = raw if isinstance(raw, enum_cls) else enum_cls.parse(str(raw or ""))
    if member is None:
        allowed = _("、").join(m.label for m in enum_cls)
        raise ValidationFailed.field(field, _("无效取值，可选：%(allowed)s", allowed=allowed))
    return member


def parse_percent(value: Any, field: str) -> Decimal | None:
    """A share in percent, 0–100 with at most two decimals (blank: none)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        share = Decimal(str(value).strip().removesuffix("%"))
    except (InvalidOperation, ValueError):
        raise ValidationFailed.field(field, _("不是有效的百分比")) from None
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(100):
        raise ValidationFailed.field(field, _("应在 %(low)d–%(high)d 之间", low=0, high=100))
    if share != share.quantize(Decimal("0.01")):
        raise ValidationFailed.field(field, _("最多两位小数"))
    return share.quantize(Decimal("0.01"))


def _optional_text(value: Any, field: str, limit: int) -> str | None:
    text = str(value or "").strip()
    if len(text) > limit:
        raise ValidationFailed.field(field, _("最多 %(n)d 字", n=limit))
    return text or None


def clean_fields(raw: Mapping[str, Any], mode: DealMode, names: tuple[str, ...]) -> dict[str, Any]:
    """Validate the fields of ``names`` present in ``raw``, naming every wrong one."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    parsers = {
        "title": lambda v: str(v or "").strip()[:300],
        "notes": lambda v: str(v or "").strip()[:5000],
        # free licenses exist; an entrusted operation's fixed service fee may be none (the operator lives on its share)
        "amount": lambda v: parse_money(v, "amount", allow_zero=mode in (DealMode.LICENSE, DealMode.ENTRUSTED)),
        "contract_date": lambda v: parse_date(v, "contract_date"),
        "term_start": lambda v: parse_date(v, "term_start"),
        "term_end": lambda v: parse_date(v, "term_end"),
        "recorded_on": lambda v: parse_date(v, "recorded_on"),
        "recordal_number": lambda v: (require_plain(str(v or "").strip(), "recordal_number") or None),
        "match_id": lambda v: None if v in (None, "") else int(v),
        "reserve_price": lambda v: None if v in (None, "") else parse_money(v, "reserve_price"),
        "auction_house_id": lambda v: None if v in (None, "") else int(v),
        "auction_house_name": lambda v: _optional_text(require_plain(str(v or ""), "auction_house_name"),
                                                       "auction_house_name", 200),
        "auction_date": lambda v: parse_date(v, "auction_date"),
        "fee_share": lambda v: parse_percent(v, "fee_share"),
        "operation_scope": lambda v: _optional_text(v, "operation_scope", 1000),
    }
    for name in names:
        if name in raw:
            try:
                values[name] = parsers[name](raw[name])
            except ValidationFailed as error:
                errors.update(error.fields)
            except (TypeError, ValueError):
                errors[name] = _("应为整数")
    if values.get("recordal_number") and len(values["recordal_number"]) > 64:
        errors["recordal_number"] = _("最多 %(n)d 字", n=64)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return values


def check_term(deal: Deal) -> None:
    if deal.term_start and deal.term_end and deal.term_end < deal.term_start:
        raise ValidationFailed.field("term_end", _("不能早于起始日"))


def foreign_mode_fields(raw: Mapping[str, Any], mode: DealMode) -> None:
    """Fields of another deal mode, given a value: 422 naming the first (an auction's reserve on a license …)."""
    for other, names in MODE_FIELDS.items():
        if other == mode:
            continue
        for name in names:
            if raw.get(name) not in (None, ""):
                raise ValidationFailed.field(name, _("仅“%(mode)s”交易填写此项", mode=other.label))


def check_mode_fields(deal: Deal, patents: Iterable[Patent], today: date,
                      changes: Mapping[str, Any] | None = None) -> None:
    """The rules of an auction and of an entrusted operation, every wrong field named at once.

    Auction: reserve price, auction house (on the platform or by name) and
    auction date are required; the hammer price (the amount) is not below the
    reserve; the auction took place (not after today), not before any of its
    patents was listed on the platform, and the contract follows it.
    Entrusted operation: the term (start and end) and the operator's fee
    share (0–100 %) and scope are required. The operator being an agency is
    checked where the parties are resolved. ``changes`` (a proposed
    amendment) are checked as if applied, without touching the deal.
    """
    def get(name: str) -> Any:
        return (changes or {}).get(name, getattr(deal, name))

    errors: dict[str, str] = {}
    amount, reserve, held, contract = get("amount"), get("reserve_price"), get("auction_date"), get("contract_date")
    if deal.mode == DealMode.AUCTION:
        if reserve is None:
            errors["reserve_price"] = _("拍卖须填写保留价")
        elif amount is not None and amount < reserve:
            errors["amount"] = _("成交价不能低于保留价 %(reserve)s", reserve=f"¥{reserve:,.2f}")
        if get("auction_house_id") is None and not get("auction_house_name"):
            errors["auction_house_name"] = _("拍卖须填写拍卖机构")
        if held is None:
            errors["auction_date"] = _("拍卖须填写拍卖日")
        else:
            listed = [local_date(p.published_at) for p in patents if p.published_at is not None]
            if held > today:
                errors["auction_date"] = _("拍卖成交后才能录入，拍卖日不能晚于今天")
            elif listed and held < min(listed):
                errors["auction_date"] = _("拍卖日不能早于专利在平台挂牌之日（%(day)s）", day=min(listed).isoformat())
            elif contract and contract < held:
                errors["contract_date"] = _("成交确认书/合同不能早于拍卖日")
    elif deal.mode == DealMode.ENTRUSTED:
        if get("term_start") is None:
            errors["term_start"] = _("委托运营须填写期限起")
        if get("term_end") is None:
            errors["term_end"] = _("委托运营须填写期限止")
        if get("fee_share") is None:
            errors["fee_share"] = _("委托运营须填写运营方分成比例")
        if not get("operation_scope"):
            errors["operation_scope"] = _("委托运营须填写委托范围")
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
