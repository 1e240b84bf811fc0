"""CSV and XLSX files of exactly what the console shows: the ledger items of a list, the tables of a dashboard."""
from __future__ import annotations

from decimal import Decimal

from marketplace.console.listing import LedgerItem, Listing
from marketplace.console.regions import region_label
from marketplace.console.statistics import MODE_LABELS, Table
from marketplace.core.spreadsheets import to_csv, to_xlsx  # every export neutralises formulas (one helper)

ITEM_HEADERS = ["类型", "编号", "方式", "日期", "名称", "专利申请号", "转让方/许可方/出质人", "受让方/被许可方/质权人",
                "地区", "付费方式", "金额（元）", "登记/备案号"]
SOURCE_LABELS = {"deal": "交易", "open_license": "开放许可", "pledge": "质押"}


def item_row(item: LedgerItem) -> list[object]:
    return [SOURCE_LABELS[item.source], item.id, item.mode_label, item.day.isoformat(), item.title,
            "、".join(item.patent_numbers), item.holder, item.acquirer, region_label(item.region_code),
            item.fee_label, item.amount, item.reference or ""]


def listing_rows(listing: Listing) -> list[list[object]]:
    """The list's rows and a closing total row, as both file formats write them."""
    rows = [item_row(item) for item in listing.items]
    rows.append(["合计", listing.total, "", "", "", "", "", "", "", "", listing.amount, ""])
    return rows


def table_rows(table: Table) -> tuple[list[str], list[list[object]]]:
    """A statistics table as headers and rows: each row's count and amount, then per mode."""
    modes = table.modes
    headers = ["分组", "笔数", "金额（元）"] + [f"{MODE_LABELS[m]}{suffix}" for m in modes for suffix in ("笔数", "金额（元）")]
    rows: list[list[object]] = []
    for row in table.rows:
        line: list[object] = [row.label, row.figure.items, row.figure.amount]
        for mode in modes:
            figure = row.by_mode.get(mode)
            line += [figure.items if figure else 0, figure.amount if figure else Decimal("0.00")]
        rows.append(line)
    rows.append(["合计", table.total.items, table.total.amount] + [""] * (2 * len(modes)))
    return headers, rows


def listing_csv(listing: Listing) -> bytes:
    return to_csv(ITEM_HEADERS, listing_rows(listing))


def listing_xlsx(listing: Listing, title: str = "交易明细") -> bytes:
    return to_xlsx([(title, ITEM_HEADERS, listing_rows(listing))])
