"""CSV and XLSX files of exactly what the console shows: the ledger items of a list, the tables of a dashboard."""
from __future__ import annotations

from decimal import Decimal

from marketplace.console.listing import LedgerItem, Listing
from marketplace.console.regions import region_label
from marketplace.console.statistics import MODE_LABELS, Table
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.core.spreadsheets import to_csv, to_xlsx  # every export neutralises formulas (one helper)

ITEM_HEADERS = [_l("来源"), _l("编号"), _l("方式"), _l("日期"), _l("名称"), _l("专利申请号"), _l("转让方/许可方/出质人"),
                _l("受让方/被许可方/质权人"), _l("地区"), _l("付费方式"), _l("金额（元）"), _l("登记/备案号")]
SOURCE_LABELS = {"deal": _l("交易"), "open_license": _l("开放许可"), "pledge": _l("质押")}


def item_row(item: LedgerItem) -> list[object]:
    return [str(SOURCE_LABELS[item.source]), item.id, item.mode_label, item.day.isoformat(), item.title,
            _("、").join(item.patent_numbers), item.holder, item.acquirer, region_label(item.region_code),
            item.fee_label, item.amount, item.reference or ""]


def listing_rows(listing: Listing) -> list[list[object]]:
    """The list's rows and a closing total row, as both file formats write them."""
    rows = [item_row(item) for item in listing.items]
    rows.append([_("合计"), listing.total, "", "", "", "", "", "", "", "", listing.amount, ""])
    return rows


def table_rows(table: Table) -> tuple[list[str], list[list[object]]]:
    """A statistics table as headers and rows: each row's count and amount, then per mode."""
    modes = table.modes
    headers = [_("分组"), _("笔数"), _("金额（元）")] + [
        _("%(mode)s笔数", mode=MODE_LABELS[m]) if count else _("%(mode)s金额（元）", mode=MODE_LABELS[m])
        for m in modes for count in (True, False)]
    rows: list[list[object]] = []
    for row in table.rows:
        line: list[object] = [row.label, row.figure.items, row.figure.amount]
        for mode in modes:
            figure = row.by_mode.get(mode)
            line += [figure.items if figure else 0, figure.amount if figure else Decimal("0.00")]
        rows.append(line)
    rows.append([_("合计"), table.total.items, table.total.amount] + [""] * (2 * len(modes)))
    return headers, rows


def listing_csv(listing: Listing) -> bytes:
    return to_csv(ITEM_HEADERS, listing_rows(listing))


def listing_xlsx(listing: Listing, title: str | None = None) -> bytes:
    return to_xlsx([(title or _("交易明细"), ITEM_HEADERS, listing_rows(listing))])
