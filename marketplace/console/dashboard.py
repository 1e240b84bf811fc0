"""Everything one console year shows, assembled once for the page, the printable report and the workbook.

The three outputs take the same ``Dashboard`` so a downloaded figure is the
figure on the screen.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from marketplace.console import exports, pending, statistics, targets
from marketplace.console.cells import memoised
from marketplace.console.ledger import Filters, Scope
from marketplace.console.statistics import Comparison, Row, SmeSummary, Table
from marketplace.core.i18n import gettext as _
from marketplace.core.i18n import lazy_gettext as _l

BREAKDOWNS = ("mode", "segment", "region", "organisation")
BREAKDOWN_TITLES = {"month": _l("按月"), "quarter": _l("按季度"), "mode": _l("按方式"), "segment": _l("按产业领域"),
                    "region": _l("按地区（受让方/被许可方/出质人所在地）"), "organisation": _l("按高校院所（专利持有方）")}
# Worksheet names: short, and without the characters Excel refuses (/ \ ? * [ ] :).
SHEET_TITLES = {"quarter": _l("按季度"), "mode": _l("按方式"), "segment": _l("按产业领域"),
                "region": _l("按地区"), "organisation": _l("按高校院所")}


@dataclass
class Dashboard:
    scope: Scope
    year: int
    today: date
    period: Filters
    monthly: Table
    last_year_monthly: Table
    quarterly: Table
    breakdowns: dict[str, Table]
    growth: list[Comparison]
    smes: SmeSummary
    fees: list[Row]
    progress: list[targets.Progress]
    pending: pending.Pending


def build_dashboard(scope: Scope, year: int, today: date) -> Dashboard:
    """This year (to date, or whole once past), last year's months for comparison, targets for an agency, and
    what is not counted yet (listed apart)."""
    period = Filters(start=date(year, 1, 1), end=date(year, 12, 31))
    with memoised():  # the tables share months and totals: each aggregation runs once per page
        progress = targets.target_progress(scope.agency_id, year, today) if scope.agency_id is not None else []
        return Dashboard(
            scope=scope, year=year, today=today, period=period,
            monthly=statistics.deal_statistics(scope, period, "month"),
            last_year_monthly=statistics.deal_statistics(
                scope, Filters(start=date(year - 1, 1, 1), end=date(year - 1, 12, 31)), "month"),
            quarterly=statistics.deal_statistics(scope, period, "quarter"),
            breakdowns={name: statistics.deal_statistics(scope, period, name) for name in BREAKDOWNS},
            growth=statistics.year_on_year(scope, year, today),
            smes=statistics.sme_summary(scope, year, today),
            fees=statistics.fee_split(scope, period),
            progress=progress,
            pending=pending.pending_items(scope, period, today),
        )


def workbook(board: Dashboard) -> bytes:
    """The dashboard's tables, one worksheet each, in the order the page shows them."""
    sheets: list[tuple[str, list[str], list[list[Any]]]] = []
    if board.progress:
        sheets.append((_("目标进度"), [_("指标"), _("目标"), _("本年至今"), _("年底预测"), _("完成率（%）")],
                       [[p.label, p.target, p.actual, p.forecast, p.percent] for p in board.progress]))
    sheets.append((_("同比增长"), [_("方式"), _("本年至今笔数"), _("去年同期笔数"), _("笔数增长（%）"),
                               _("本年至今金额（元）"), _("去年同期金额（元）"), _("金额增长（%）")],
                   [[c.label, c.current.items, c.previous.items, c.items_growth, c.current.amount, c.previous.amount,
                     c.amount_growth] for c in board.growth]))
    for title, table in [(_("%(year)d 年按月", year=board.year), board.monthly),
                         (_("%(year)d 年按月", year=board.year - 1), board.last_year_monthly),
                         (str(SHEET_TITLES["quarter"]), board.quarterly),
                         *[(str(SHEET_TITLES[name]), board.breakdowns[name]) for name in BREAKDOWNS]]:
        headers, rows = exports.table_rows(table)
        sheets.append((title, headers, rows))
    sheets.append((_("中小企业"), [_("中小企业"), _("获得高校院所专利笔数")],
                   [[name, n] for _id, name, n in board.smes.current]))
    sheets.append((_("开放许可付费方式"), [_("付费方式"), _("笔数"), _("已确认收讫的固定费用（元）")],
                   [[r.label, r.figure.items, r.figure.amount] for r in board.fees]))
    sheets.append((_("未计入的待确认与未付款项"), *pending.sheet(board.pending)))
    return exports.to_xlsx(sheets)
