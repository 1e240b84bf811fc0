"""The ledger items behind a figure: the drill-down list and the rows of the deal exports.

A figure's filters select exactly the items it counts, so the list's count
and sum equal the figure, and an export of the list equals the list.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select, union_all

from marketplace.accounts.models import Organisation
from marketplace.console.cells import cells, merge
from marketplace.console.ledger import Filters, Scope, item_selects
from marketplace.console.statistics import FEE_LABELS, MODE_LABELS, to_amount
from marketplace.deals.models import Deal, DealPatent
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant
from marketplace.patents.models import Patent
from marketplace.pledges.models import Pledge, PledgePatent


@dataclass
class LedgerItem:
    source: str
    id: int
    mode: str
    day: date
    amount: Decimal
    holder: str
    acquirer: str
    region_code: str
    fee_type: str | None
    title: str
    reference: str | None
    patent_numbers: list[str]

    @property
    def mode_label(self) -> str:
        return str(MODE_LABELS[self.mode])

    @property
    def fee_label(self) -> str:
        return str(FEE_LABELS.get(self.fee_type or "", ""))


@dataclass
class Listing:
    items: list[LedgerItem]
    total: int
    amount: Decimal


def list_items(scope: Scope, filters: Filters, page: int = 1, per_page: int | None = 50) -> Listing:
    """The items in scope and filter, newest first; ``per_page=None`` returns them all (exports)."""
    selects = item_selects(scope, filters)
    if not selects:
        return Listing([], 0, Decimal("0.00"))
    totals = merge(cells(scope, filters, "all"))
    count, cents = sum(n for n, _ in totals.values()), sum(c for _, c in totals.values())
    if per_page is not None:
        # Each table gives only its newest rows of the page (an index walk), then they are merged.
        selects = [stmt.order_by(stmt.selected_columns.day.desc(), stmt.selected_columns.item_id.desc())
                   .limit(page * per_page).subquery().select() for stmt in selects]
    rows = (selects[0] if len(selects) == 1 else union_all(*selects)).subquery("ledger_items")
    stmt = select(rows).order_by(rows.c.day.desc(), rows.c.source, rows.c.item_id.desc())
    if per_page is not None:
        stmt = stmt.limit(per_page).offset((page - 1) * per_page)
    found = list(db.session.execute(stmt))
    return Listing(_describe(found), count, to_amount(cents))


def _describe(rows: list) -> list[LedgerItem]:
    """Names, titles, references and patent numbers for one page of items, a few queries in all."""
    ids: dict[str, list[int]] = {"deal": [], "open_license": [], "pledge": []}
    for row in rows:
        ids[row.source].append(row.item_id)
    organisations = {row.acquirer_id for row in rows}
    names = {org_id: name for org_id, name in db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisations)))} if organisations else {}
    titles: dict[tuple[str, int], tuple[str, str | None]] = {}
    numbers: dict[tuple[str, int], list[str]] = {}
    if ids["deal"]:
        for deal_id, title, recordal in db.session.execute(
                select(Deal.id, Deal.title, Deal.recordal_number).where(Deal.id.in_(ids["deal"]))):
            titles[("deal", deal_id)] = (title, recordal)
        for deal_id, number, title in db.session.execute(
                select(DealPatent.deal_id, Patent.application_number, Patent.title).join(Patent)
                .where(DealPatent.deal_id.in_(ids["deal"])).order_by(Patent.application_number)):
            numbers.setdefault(("deal", deal_id), []).append(number)
            if not titles[("deal", deal_id)][0]:
                titles[("deal", deal_id)] = (title, titles[("deal", deal_id)][1])
    if ids["open_license"]:
        for grant_id, number, title, recordal in db.session.execute(
                select(LicenseGrant.id, Patent.application_number, Patent.title, LicenseGrant.recordal_number)
                .join(Patent, Patent.id == LicenseGrant.patent_id).where(LicenseGrant.id.in_(ids["open_license"]))):
            titles[("open_license", grant_id)] = (title, recordal)
            numbers[("open_license", grant_id)] = [number]
    if ids["pledge"]:
        for pledge_id, registration in db.session.execute(
                select(Pledge.id, Pledge.registration_number).where(Pledge.id.in_(ids["pledge"]))):
            titles[("pledge", pledge_id)] = ("", registration)
        for pledge_id, number, title in db.session.execute(
                select(PledgePatent.pledge_id, Patent.application_number, Patent.title).join(Patent)
                .where(PledgePatent.pledge_id.in_(ids["pledge"])).order_by(Patent.application_number)):
            numbers.setdefault(("pledge", pledge_id), []).append(number)
            if not titles[("pledge", pledge_id)][0]:
                titles[("pledge", pledge_id)] = (title, titles[("pledge", pledge_id)][1])
    return [LedgerItem(source=row.source, id=row.item_id, mode=row.mode, day=row.day,
                       amount=to_amount(int(row.cents)), holder=row.holder_name, acquirer=names.get(row.acquirer_id, ""),
                       region_code=row.region_code, fee_type=row.fee_type,
                       title=titles.get((row.source, row.item_id), ("", None))[0],
                       reference=titles.get((row.source, row.item_id), ("", None))[1],
                       patent_numbers=numbers.get((row.source, row.item_id), []))
            for row in rows]
