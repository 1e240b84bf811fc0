"""The deal ledger as CSV or XLSX: the deals the user may see, with each mode's own fields (an auction's reserve,
house and date; an entrusted operation's term, fee share and scope)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketplace.accounts.models import User
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.deals import services
from marketplace.deals.models import Deal

EXPORT_LIMIT = 10000  # newest first; a ledger past this is exported by filters (mode, status)
HEADERS = [_l("编号"), _l("交易名称"), _l("方式"), _l("许可类型"), _l("状态"), _l("专利申请号"), _l("转让方/许可方/委托方"),
           _l("受让方/被许可方/竞得人/运营方"), _l("经办机构"), _l("合同金额/成交价（元）"), _l("签订日"), _l("期限起"), _l("期限止"),
           _l("登记/备案号"), _l("保留价（元）"), _l("拍卖机构"), _l("拍卖日"), _l("运营方分成比例（%）"), _l("委托范围"),
           _l("完成/终止日")]


def _day(value: Any) -> str:
    return value.isoformat() if value else ""


def deal_row(deal: Deal) -> list[object]:
    return [deal.id, deal.title, deal.mode.label, deal.license_kind.label if deal.license_kind else "",
            deal.status.label, _("、").join(p.application_number for p in deal.patents), deal.seller.name,
            deal.buyer.name, deal.agency.name if deal.agency else "", deal.amount, _day(deal.contract_date),
            _day(deal.term_start), _day(deal.term_end), deal.recordal_number or "",
            deal.reserve_price if deal.reserve_price is not None else "", deal.auction_house_label,
            _day(deal.auction_date), deal.fee_share if deal.fee_share is not None else "", deal.operation_scope or "",
            _day(deal.completed_on)]


def ledger_rows(user: User, filters: Mapping[str, Any]) -> tuple[list[str], list[list[object]]]:
    items, _total = services.list_deals(user, filters, 1, EXPORT_LIMIT)
    return [str(h) for h in HEADERS], [deal_row(deal) for deal in items]
