"""Importing announcements and exporting declarations through the services: who may do what, per-row outcomes,
conflicts never overwritten, and an export that imports back without changing anything."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.cnipa import services
from marketplace.cnipa.models import OpenLicenseAnnouncement
from marketplace.core import transaction
from marketplace.core.dates import local_today
from marketplace.core.errors import Forbidden
from marketplace.core.spreadsheets import to_csv, to_xlsx
from marketplace.extensions import db
from marketplace.imports.errors import ImportRejected
from marketplace.openlicense.models import DeclarationStatus, OpenLicenseDeclaration
from marketplace.legal.term import add_months
from tests import factories

HEADERS = ["专利号", "专利名称", "专利权人", "许可使用费", "许可期限", "公告日", "联系人", "联系电话"]


def row(patent, patentee: str = "贵州理工大学", fee: str = "一次性付费5万元", announced=None, years: int = 2) -> list:
    start = local_today()
    announced = announced or start - timedelta(days=10)
    number = patent if isinstance(patent, str) else patent.application_number
    return [f"ZL{number}", "一种测试专利", patentee, fee, f"{start.isoformat()}至{add_months(start, 12 * years)}",
            announced.isoformat(), "技术转移办公室", "0851-88888888"]


def raw_csv(rows) -> bytes:
    """A hostile file as someone else wrote it: no formula escaping (``to_csv`` would add it)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADERS, *rows])
    return buffer.getvalue().encode()


def run(user, rows, *, name: str = "announcements.csv", mode: str = "valid_only"):
    data = raw_csv(rows) if name.endswith(".csv") else to_xlsx([("公告", HEADERS, rows)])
    batch = services.import_announcements(user.load(), name, io.BytesIO(data), mode=mode)
    transaction.commit()
    return {r["row"]: r for r in batch.report["rows"]}, batch


def declarations(patent) -> list[OpenLicenseDeclaration]:
    return list(db.session.scalars(select(OpenLicenseDeclaration).where(
        OpenLicenseDeclaration.patent_id == patent.id)))


def test_the_patentee_imports_its_announcement_as_a_declaration_marked_cnipa(ctx, university):
    patent = factories.make_granted_patent(university)
    outcomes, batch = run(university, [row(patent)])
    assert outcomes[2]["outcome"] == "created" and batch.created_count == 1
    [declaration] = declarations(patent)
    assert declaration.status == DeclarationStatus.PUBLISHED and declaration.source == "CNIPA"
    assert declaration.announced_on == local_today() - timedelta(days=10) and str(declaration.fixed_fee) == "50000.00"
    again, batch = run(university, [row(patent)])  # the same list twice: nothing changes
    assert again[2]["outcome"] == "unchanged" and batch.unchanged_count == 1 and len(declarations(patent)) == 1
    later, _batch = run(university, [row(patent, fee="一次性付费6万元", announced=local_today())])
    assert later[2]["outcome"] == "updated" and str(declarations(patent)[0].fixed_fee) == "60000.00"


def test_a_declaration_made_on_the_platform_is_never_overwritten(ctx, university):
    patent = factories.make_granted_patent(university)
    factories.make_open_license(university, patent)  # ¥50,000 lump sum, declared here
    outcomes, batch = run(university, [row(patent, fee="净销售额3%")])
    assert outcomes[2]["outcome"] == "conflict" and "支付方式 一次性付费 ≠ 按净销售额提成" in outcomes[2]["reason"]
    [declaration] = declarations(patent)
    assert declaration.source == "platform" and str(declaration.fixed_fee) == "50000.00"
    assert batch.created_count == batch.updated_count == 0


def test_an_ineligible_patent_is_recorded_but_suspended(ctx, university):
    patent = factories.make_granted_patent(university, legal_status="fee_overdue")
    outcomes, _batch = run(university, [row(patent)])
    [declaration] = declarations(patent)
    assert outcomes[2]["outcome"] == "created" and declaration.needs_withdrawal and outcomes[2]["reason"]


def test_other_organisations_patents_and_unknown_patents_are_listed_not_touched(ctx, university, other_university):
    theirs = factories.make_granted_patent(other_university)
    outcomes, batch = run(university, [row(theirs), row("201610311380.X")])
    assert outcomes[2]["outcome"] == "not_yours" and outcomes[3]["outcome"] == "not_on_platform"
    assert declarations(theirs) == [] and db.session.scalar(select(func.count()).select_from(
        OpenLicenseAnnouncement)) == 0
    headers, rows = services.outcome_rows(batch, "not_on_platform")
    assert [r[1] for r in rows] == ["201610311380.X"] and headers[1] == "专利号"


def test_an_agency_records_public_announcements_never_declarations(ctx, university, agency):
    patent = factories.make_granted_patent(university)
    outcomes, batch = run(agency, [row(patent), row("201610311380.X", patentee="某公司")])
    assert outcomes[2]["outcome"] == outcomes[3]["outcome"] == "recorded" and batch.created_count == 2
    assert outcomes[3]["patent_id"] is None and declarations(patent) == []
    [recorded] = services.announcements_for(patent.application_number)
    assert recorded.recorded_by_id == agency.organisation_id and recorded.source == "CNIPA"
    again, batch = run(agency, [row(patent), row("201610311380.X", patentee="某公司")], name="again.xlsx")
    assert {r["outcome"] for r in again.values()} == {"unchanged"} and batch.unchanged_count == 2


def test_a_platform_admin_without_an_organisation_records_announcements(ctx, platform_admin, university):
    patent = factories.make_granted_patent(university)
    outcomes, batch = run(platform_admin, [row(patent)])
    assert outcomes[2]["outcome"] == "recorded" and batch.organisation_id is None
    assert services.get_batch(platform_admin.load(), batch.id) is batch


def test_banks_may_not_import(ctx, bank):
    with pytest.raises(Forbidden):
        run(bank, [row("201610311380.X")])


def test_bad_rows_get_their_reasons_and_all_or_nothing_writes_nothing(ctx, university):
    patent = factories.make_granted_patent(university)
    start = local_today()
    bad = [row("201710601862.4"),  # check digit
           row(patent, fee="按净销售额提成25%"),  # above the ceiling
           [f"ZL{patent.application_number}", "x", "贵州理工大学", "免费", f"{start}至{start - timedelta(days=1)}",
            start.isoformat(), "", ""],  # ends before it starts
           [f"ZL{patent.application_number}", "=cmd()", "贵州理工大学", "免费", f"{start}至{add_months(start, 24)}",
            (start - timedelta(days=3)).isoformat(), "", ""]]  # a formula cell
    outcomes, batch = run(university, bad)
    reasons = {(e["row"], e["field"]) for e in batch.report["errors"]}
    assert reasons == {(2, "application_number"), (3, "royalty_rate"), (4, "term_end"), (5, "title")}
    assert outcomes == {} and batch.failed_count == 4 and declarations(patent) == []
    assert next(e for e in batch.report["errors"] if e["row"] == 2)["column"] == "专利号"
    with pytest.raises(ImportRejected):
        services.import_announcements(university.load(), "a.csv", io.BytesIO(raw_csv([row(patent), *bad])),
                                      mode="all_or_nothing")
    transaction.rollback()
    assert declarations(patent) == []


def test_export_then_import_changes_nothing(ctx, university):
    declared = factories.make_granted_patent(university)
    factories.make_open_license(university, declared, payment_method="entry_fee_royalty", fixed_fee="20000",
                                royalty_rate="3.5", royalty_base="profit")
    imported = factories.make_granted_patent(university, patent_type="utility_model")
    run(university, [row(imported, fee="免费")])
    exported = services.export_rows(services.export_declarations(services.parse_export_filters(
        {"owner_id": str(university.organisation_id)})))
    assert [r[0] for r in exported] == [f"ZL{declared.application_number}", f"ZL{imported.application_number}"] or \
        [r[0] for r in exported] == [f"ZL{imported.application_number}", f"ZL{declared.application_number}"]
    for fmt in ("csv", "xlsx"):
        data = to_csv(services.export_headers(), exported) if fmt == "csv" else \
            to_xlsx([("x", services.export_headers(), exported)])
        batch = services.import_announcements(university.load(), f"export.{fmt}", io.BytesIO(data))
        transaction.commit()
        assert {r["outcome"] for r in batch.report["rows"]} == {"unchanged"} and not batch.report["errors"]
    assert len(declarations(declared)) == len(declarations(imported)) == 1


def test_export_filters_and_never_drafts(ctx, university, other_university):
    mine = factories.make_granted_patent(university)
    factories.make_open_license(university, mine)
    draft = factories.make_granted_patent(university)
    factories.make_open_license(university, draft, publish=False)
    theirs = factories.make_granted_patent(other_university)
    factories.make_open_license(other_university, theirs)
    everything = services.export_declarations(services.parse_export_filters({"status": "all"}))
    assert {d.patent_id for d in everything} == {mine.id, theirs.id}
    only_mine = services.export_declarations(services.parse_export_filters({"owner_id": university.organisation_id}))
    assert [d.patent_id for d in only_mine] == [mine.id]
    assert services.export_declarations(services.parse_export_filters({"status": "withdrawn"})) == []


def test_a_term_past_the_patents_expiry_is_reported_not_declared(ctx, university):
    patent = factories.make_granted_patent(university)  # an invention filed three years ago: 17 years left
    outcomes, _batch = run(university, [row(patent, years=18)])
    assert outcomes[2]["outcome"] == "conflict" and "届满日" in outcomes[2]["reason"] and declarations(patent) == []


def test_hostile_files_meet_the_inventory_imports_limits(ctx, university, tmp_path):
    """The reader is the inventory import's: a far row in a tiny XLSX, an old .xls and an empty file are refused."""
    import re

    from marketplace.imports.errors import UnreadableFile
    from marketplace.imports.reader import MAX_ROWS
    from tests.marketplace.imports.test_limits import rewrite_member

    path = tmp_path / "far.xlsx"
    path.write_bytes(to_xlsx([("公告", HEADERS, [row("201610311380.X")])]))
    far = rewrite_member(path, "xl/worksheets/sheet1.xml", lambda data: re.sub(
        rb"</sheetData>", b'<row r="20000000"><c r="A20000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
        data))
    for name, data, message in (("far.xlsx", far.read_bytes(), f"{MAX_ROWS}"), ("old.xls", b"\xd0\xcf", ".xls"),
                                ("empty.csv", b"", "文件为空")):
        with pytest.raises(UnreadableFile, match=re.escape(message)):
            services.import_announcements(university.load(), name, io.BytesIO(data))


def test_a_co_owner_on_the_platform_consents_before_an_imported_announcement_is_published(ctx, university, company):
    """A file one co-owner uploads proves nothing to the others: the declaration waits for each one's own consent,
    and a later announcement never changes its terms behind the co-owner's back."""
    patent = factories.make_granted_patent(university, co_owners=["测试科技有限公司"])
    factories.link_co_owner(university, patent, "测试科技有限公司", company)
    outcomes, _batch = run(university, [row(patent)])
    assert outcomes[2]["outcome"] == "created" and "共有人" in outcomes[2]["reason"]
    [declaration] = declarations(patent)
    assert declaration.status == DeclarationStatus.DRAFT and declaration.published_at is None
    factories.approve("open_license", declaration.id, company)
    db.session.refresh(declaration)
    assert declaration.status == DeclarationStatus.PUBLISHED
    outcomes, _batch = run(university, [row(patent, fee="一次性付费8万元", announced=local_today())])
    assert outcomes[2]["outcome"] == "conflict" and "共有人" in outcomes[2]["reason"]
    db.session.refresh(declaration)
    assert str(declaration.fixed_fee) == "50000.00"
