"""Everything one console year shows, assembled once for the page, the printable report and the workbook.

The three outputs take the same ``Dashboard`` so a downloaded figure is the
figure on the screen.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from marketplace.console import exports, statistics, targets
from marketplace.console.ledger import Filters, Scope
from marketplace.console.statistics import Comparison, Row, SmeSummary, Table

BREAKDOWNS = ("mode", "segment", "region", "organisation")
BREAKDOWN_TITLES = {"month": "按月", "quarter": "按季度", "mode": "按方式", "segment": "按产业领域",
                    "region": "按地区（受让方/被许可方/出质人所在地）", "organisation": "按高校院所（专利持有方）"}


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


def build_dashboard(scope: Scope, year: int, today: date) -> Dashboard:
    """This year (to date, or whole once past), last year's months for comparison, targets for an agency."""
    period = Filters(start=date(year, 1, 1), end=date(year, 12, 31))
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
    )


def workbook(board: Dashboard) -> bytes:
    """The dashboard's tables, one worksheet each, in the order the page shows them."""
    sheets: list[tuple[str, list[str], list[list[Any]]]] = []
    if board.progress:
        sheets.append(("目标进度", ["指标", "目标", "本年至今", "年底预测", "完成率（%）"],
                       [[p.label, p.target, p.actual, p.forecast, p.percent] for p in board.progress]))
    sheets.append(("同比增长", ["方式", "本年至今笔数", "去年同期笔数", "笔数增长（%）", "本年至今金额（元）",
                            "去年同期金额（元）", "金额增长（%）"],
                   [[c.label, c.current.items, c.previous.items, c.items_growth, c.current.amount, c.previous.amount,
                     c.amount_growth] for c in board.growth]))
    for title, table in [(f"{board.year}{BREAKDOWN_TITLES['month']}", board.monthly),
                         (f"{board.year - 1}{BREAKDOWN_TITLES['month']}", board.last_year_monthly),
                         (BREAKDOWN_TITLES["quarter"], board.quarterly),
                         *[(BREAKDOWN_TITLES[name], board.breakdowns[name]) for name in BREAKDOWNS]]:
        headers, rows = exports.table_rows(table)
        sheets.append((title.split("（")[0], headers, rows))
    sheets.append(("中小企业", ["中小企业", "获得高校院所专利笔数"], [[name, n] for _id, name, n in board.smes.current]))
    sheets.append(("开放许可付费方式", ["付费方式", "笔数", "金额（元）"],
                   [[r.label, r.figure.items, r.figure.amount] for r in board.fees]))
    return exports.to_xlsx(sheets)
