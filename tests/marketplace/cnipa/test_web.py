"""The page, the API and the commands: who may import, the report and its downloads, the export, the patent page."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from marketplace.core.spreadsheets import to_csv
from tests import factories
from tests.jobs import deferred_jobs  # noqa: F401  (background imports wait until the test drains them)
from tests.marketplace.cnipa.test_services import HEADERS, raw_csv, row


def upload(client, data: bytes, name: str = "announcements.csv", **form):
    return client.post("/cnipa", data={"file": (io.BytesIO(data), name), "mode": "valid_only", **form},
                       content_type="multipart/form-data")


def test_the_page_needs_a_patentee_an_agency_or_an_admin(client, login, bank, university, agency):
    assert client.get("/cnipa").status_code == 302  # signed out: to the sign-in page
    login(bank)
    assert client.get("/cnipa").status_code == 403
    login(university)
    page = client.get("/cnipa").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "/cnipa/export.xlsx" in page and "专利号" in page
    login(agency)
    assert client.get("/cnipa").status_code == 200


def test_upload_report_and_not_on_platform_download(app, client, login, university, other_university):
    with app.app_context():
        mine = factories.make_granted_patent(university)
        theirs = factories.make_granted_patent(other_university)
    login(university)
    response = upload(client, raw_csv([row(mine), row(theirs), row("201610311380.X"), row("201710601862.4")]))
    assert response.status_code == 302
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-outcome="created"' in report and 'data-outcome="not_yours"' in report
    assert 'data-outcome="not_on_platform"' in report and "校验位错误" in report
    batch_id = response.headers["Location"].rsplit("/", 1)[-1]
    sheet = client.get(f"/cnipa/imports/{batch_id}/rows.xlsx?outcome=not_on_platform")
    assert sheet.status_code == 200 and f"cnipa-import-{batch_id}-not-on-platform.xlsx" in \
        sheet.headers["Content-Disposition"]
    cells = [r for r in load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True)]
    assert [c[1] for c in cells[1:]] == ["201610311380.X"]
    assert client.get(f"/cnipa/imports/{batch_id}/rows.csv?outcome=bogus").status_code == 422
    login(other_university)  # another organisation's report looks absent
    assert client.get(f"/cnipa/imports/{batch_id}").status_code == 404
    assert client.get(f"/inventory/imports/{batch_id}").status_code == 404


def test_a_bad_file_is_answered_on_the_page(client, login, university):
    login(university)
    response = upload(client, b"foo,bar\n1,2\n")
    assert response.status_code == 400 and "专利号" in response.get_data(as_text=True)


def test_the_patent_page_shows_an_agencys_recorded_announcement(app, client, login, university, agency):
    with app.app_context():
        patent = factories.make_granted_patent(university)
    login(agency)
    assert upload(client, raw_csv([row(patent)])).status_code == 302
    page = client.get(f"/patents/{patent.id}").get_data(as_text=True)
    assert 'data-announcements="1"' in page and "不是专利权人在本平台的声明" in page


def test_export_downloads_in_the_announcement_columns(app, client, login, university, company):
    with app.app_context():
        patent = factories.make_granted_patent(university)
        factories.make_open_license(university, patent)
    assert client.get("/cnipa/export.csv").status_code == 302
    login(company)
    response = client.get(f"/cnipa/export.csv?owner_id={university.organisation_id}")
    assert response.status_code == 200 and "open-licenses-published-owner" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig").splitlines()
    assert text[0].split(",")[:4] == ["专利号", "专利名称", "专利类型", "专利权人"]
    assert text[1].startswith(f"ZL{patent.application_number}")
    assert client.get("/cnipa/export.xlsx?status=bogus").status_code == 422


def test_api_import_and_declarations(app, client, token_for, university, bank):
    with app.app_context():
        patent = factories.make_granted_patent(university)
    body = {"file": (io.BytesIO(raw_csv([row(patent)])), "a.csv")}
    refused = client.post("/api/v1/cnipa/announcements/import", headers=token_for(bank), data=body,
                          content_type="multipart/form-data")
    assert refused.status_code == 403
    answer = client.post("/api/v1/cnipa/announcements/import", headers=token_for(university),
                         data={"file": (io.BytesIO(raw_csv([row(patent)])), "a.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    assert report["created"] == 1 and report["rows"][0]["outcome"] == "created"
    assert client.get(f"/api/v1/cnipa/imports/{report['id']}", headers=token_for(university)).status_code == 200
    listed = client.get("/api/v1/cnipa/declarations", headers=token_for(bank)).get_json()
    assert [d["patent_number"] for d in listed] == [f"ZL{patent.application_number}"]
    assert listed[0]["source"] == "CNIPA" and listed[0]["fixed_fee"] == "50000.00"
    assert 'data-source="cnipa"' in client.get("/open-licenses").get_data(as_text=True)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/cnipa/announcements/import" in spec["paths"] and "/api/v1/cnipa/declarations" in spec["paths"]


def test_commands_import_and_export(app, university, tmp_path):
    with app.app_context():
        patent = factories.make_granted_patent(university)
    source = tmp_path / "list.csv"
    source.write_bytes(to_csv(HEADERS, [row(patent)]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["cnipa-import", str(source), "--as", university.email])
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output
    out = tmp_path / "out.xlsx"
    result = runner.invoke(args=["cnipa-export", str(out), "--owner-id", str(university.organisation_id)])
    assert result.exit_code == 0 and "1 declarations" in result.output
    assert load_workbook(out).active.cell(2, 1).value == f"ZL{patent.application_number}"
    result = runner.invoke(args=["cnipa-import", str(source), "--as", "nobody@x.test"])
    assert result.exit_code != 0 and "no user" in result.output


def test_a_large_list_is_imported_in_the_background(app, client, login, agency, university, deferred_jobs):
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.push.models import Notification, NotificationKind
    with app.app_context():
        patent = factories.make_granted_patent(university)
    app.config["IMPORT_BACKGROUND_BYTES"] = 0
    try:
        login(agency)
        response = upload(client, raw_csv([row(patent), row("201610311380.X")]))
    finally:
        app.config.pop("IMPORT_BACKGROUND_BYTES")
    batch_id = response.headers["Location"].rsplit("/", 1)[-1]
    assert "import-progress.js" in client.get(f"/cnipa/imports/{batch_id}").get_data(as_text=True)
    assert client.get(f"/cnipa/imports/{batch_id}/progress").get_json()["status"] == "queued"
    deferred_jobs.drain()
    assert client.get(f"/cnipa/imports/{batch_id}/progress").get_json()["status"] == "done"
    assert 'data-outcome="recorded"' in client.get(f"/cnipa/imports/{batch_id}").get_data(as_text=True)
    with app.app_context():
        notice = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.IMPORT_FINISHED))
        assert notice.organisation_id == agency.organisation_id and f"/cnipa/imports/{batch_id}" in notice.body
