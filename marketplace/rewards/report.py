"""The yearly report for the authorities: the institution's transfers, licenses, open licenses and equity deals
of its reporting year, by type, license kind, partner kind (SME or not), region and segment, plus rewards paid.

The deals are counted exactly as the agency console counts them (``console.ledger``: binding deals at their
contract amount on their contract date, open licenses at the fixed fees paid and confirmed on their effective
date; pledges are financing, not transformation, and left out), so the report's figures and the console's agree
to the cent for the same deals (``tests/marketplace/rewards/test_report.py``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.console.ledger import Filters, Scope, items
from marketplace.console.regions import region_label
from marketplace.console.statistics import MODE_LABELS, segment_label, to_amount
from marketplace.core.i18n import gettext as _
from marketplace.deals.models import Deal, LicenseKind
from marketplace.extensions import db
from marketplace.rewards import services

TYPES = ("transfer", "license", "open_license", "equity", "auction")


@dataclass
class Line:
    key: str
    label: str
    items: int = 0
    cents: int = 0

    @property
    def amount(self) -> Decimal:
        return to_amount(self.cents)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "items": self.items, "amount": self.amount}


@dataclass
class AuthorityReport:
    organisation: Organisation
    year: int
    start: date
    end: date
    total: Line
    by_type: list[Line]
    by_license_kind: list[Line]
    by_partner: list[Line]
    by_region: list[Line]
    by_segment: list[Line]
    inventors_paid: int
    rewards_paid: Decimal
    sections: list[tuple[str, list[Line]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sections = [(_("按类型"), self.by_type), (_("按许可方式"), self.by_license_kind),
                         (_("按受让方类型"), self.by_partner), (_("按地区"), self.by_region),
                         (_("按产业领域"), self.by_segment)]


def _add(lines: dict[str, Line], key: str, label: str, cents: int) -> None:
    line = lines.setdefault(key, Line(key, label))
    line.items += 1
    line.cents += cents


def _ordered(lines: dict[str, Line]) -> list[Line]:
    return sorted(lines.values(), key=lambda l: (-l.cents, -l.items, l.key))


def authority_report(user: User, year: int) -> AuthorityReport:
    """The report of the institution's reporting year ``year``, for its members."""
    organisation = services.office_of(user)
    policy = services.policy_of(organisation.id)
    start, end = policy.year_range(services.check_year(year))
    stmt = items(Scope(), Filters(start=start, end=end, organisation_id=organisation.id), segments=True)
    rows = [r for r in db.session.execute(stmt) if r.mode in TYPES] if stmt is not None else []
    unique = {(r.source, r.item_id): r for r in rows}
    kinds = {deal_id: kind for deal_id, kind in db.session.execute(select(Deal.id, Deal.license_kind).where(
        Deal.id.in_([i for s, i in unique if s == "deal"])))}
    by_type = {t: Line(t, str(MODE_LABELS[t])) for t in TYPES}
    by_kind: dict[str, Line] = {}
    by_partner: dict[str, Line] = {}
    by_region: dict[str, Line] = {}
    total = Line("total", _("合计"))
    for (source, item_id), row in unique.items():
        cents = int(row.cents or 0)
        _add(by_type, row.mode, "", cents)
        total.items += 1
        total.cents += cents
        if row.mode == "open_license":
            _add(by_kind, "open", _("开放许可"), cents)
        elif row.mode == "license":
            kind = kinds.get(item_id)
            _add(by_kind, kind.value if kind else "", kind.label if isinstance(kind, LicenseKind) else "", cents)
        sme = bool(row.acquirer_sme)
        _add(by_partner, "sme" if sme else "other", _("中小企业") if sme else _("其他"), cents)
        _add(by_region, row.region_code or "", region_label(row.region_code or ""), cents)
    by_segment: dict[str, Line] = {}
    for row in rows:
        _add(by_segment, row.segment, segment_label(row.segment), int(row.cents or 0))
    inventors_paid, rewards_paid = services.paid_in(organisation.id, start, end)
    return AuthorityReport(organisation, year, start, end, total, list(by_type.values()), _ordered(by_kind),
                           _ordered(by_partner), _ordered(by_region), _ordered(by_segment), inventors_paid,
                           rewards_paid)


def report_sheets(report: AuthorityReport) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The report as XLSX sheets: one per grouping, then the rewards paid."""
    headers = [_("分组"), _("项数"), _("金额（元）")]
    sheets: list[tuple[str, list[str], list[list[Any]]]] = []
    for title, lines in report.sections:
        rows: list[list[Any]] = [[line.label, line.items, line.amount] for line in lines]
        rows.append([report.total.label, report.total.items, report.total.amount])
        sheets.append((title, headers, rows))
    sheets.append((_("发明人奖酬"), [_("获奖人数"), _("已发放奖酬（元）")],
                   [[report.inventors_paid, report.rewards_paid]]))
    return sheets
