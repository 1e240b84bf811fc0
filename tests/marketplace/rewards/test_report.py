"""The yearly report for the authorities: its counts and amounts agree with the agency console's to the cent for
the same deals, by type, region and segment; rewards paid are included; the XLSX has every grouping."""
from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from marketplace.console.ledger import Filters, Scope
from marketplace.console.statistics import deal_statistics
from marketplace.core import transaction
from marketplace.core.errors import Forbidden
from marketplace.core.spreadsheets import to_xlsx
from marketplace.rewards import report, services

D = Decimal


def _console(agency, university, found, group_by):
    table = deal_statistics(Scope(agency.organisation_id),
                            Filters(start=found.start, end=found.end, organisation_id=university.organisation_id),
                            group_by)
    return {row.key: (row.figure.items, row.figure.amount) for row in table.rows if row.figure.items}, table.total


def test_the_report_matches_the_agency_console_to_the_cent(app, office, university, agency):
    with app.test_request_context():
        found = report.authority_report(university.load(), office.today.year)
        by_type = {line.key: (line.items, line.amount) for line in found.by_type if line.items}
        assert by_type == {"transfer": (1, D("100000.00")), "license": (1, D("33333.33")),
                           "open_license": (1, D("50000.00")), "equity": (1, D("300000.00"))}
        console, total = _console(agency, university, found, "mode")
        assert by_type == console
        assert (found.total.items, found.total.amount) == (total.items, total.amount) == (4, D("483333.33"))
        for group_by, lines in (("region", found.by_region), ("segment", found.by_segment)):
            assert {l.key: (l.items, l.amount) for l in lines} == _console(agency, university, found, group_by)[0]
        assert {l.key: l.items for l in found.by_partner} == {"sme": 4}
        assert {l.key: (l.items, l.amount) for l in found.by_license_kind} == {
            "open": (1, D("50000.00")), "ordinary": (1, D("33333.33"))}


def test_the_report_counts_rewards_paid_in_its_year(app, office, university):
    with app.test_request_context():
        services.mark_paid(university.load(), {"source": "deal_payment", "item_id": office.transfer_payment,
                                               "paid_on": office.today.isoformat()})
        transaction.commit()
        found = report.authority_report(university.load(), office.today.year)
        assert (found.inventors_paid, found.rewards_paid) == (3, D("50000.00"))
        assert report.authority_report(university.load(), office.today.year - 1).rewards_paid == D("0.00")
        book = load_workbook(BytesIO(to_xlsx(report.report_sheets(found))))
        assert len(book.sheetnames) == 6
        assert [c.value for c in book.worksheets[-1][2]] == [3, 50000]


def test_only_members_get_the_report(app, office, company, platform_admin):
    with app.test_request_context():
        for outsider in (company, platform_admin):
            with pytest.raises(Forbidden):
                report.authority_report(outsider.load(), office.today.year)
