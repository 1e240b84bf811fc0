"""Pages route by route: who may upload, what a bad file answers, who sees a report."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.imports.columns import find_header
from marketplace.imports.models import ImportBatch
from marketplace.patents.models import Patent
from tests.marketplace.imports.conftest import CNIPA_HEADERS, with_wrong_check_digit


def upload(client, path, **form):
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), "mode": "valid_only", **form}
    return client.post("/inventory/import", data=data, content_type="multipart/form-data")


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Patent)),
                db.session.scalar(select(func.count()).select_from(ImportBatch)))


def test_upload_page_needs_sign_in(client):
    response = client.get("/inventory/import")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_upload_page_for_a_university(client, login, university):
    login(university)
    page = client.get("/inventory/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert 'value="all_or_nothing"' in page and 'name="publish"' in page
    assert "/inventory/import/template.xlsx" in page


def test_agencies_and_banks_get_403(client, login, agency, bank):
    for user in (agency, bank):
        login(user)
        assert client.get("/inventory/import").status_code == 403
        assert client.get("/inventory/import/template.xlsx").status_code == 403
        client.post("/logout")


def test_upload_redirects_to_a_report_naming_the_bad_row(client, login, university, export_rows, make_csv, app):
    bad = list(export_rows[0])
    bad[0] = with_wrong_check_digit(bad[0])
    login(university)

    response = upload(client, make_csv([*export_rows[1:], bad]))

    assert response.status_code == 302
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入报告" in report and "校验位错误" in report and ">31<" in report
    assert 'href="/inventory"' in report
    assert counts(app) == (29, 1)
    history = client.get("/inventory/import").get_data(as_text=True)
    assert "export.csv" in history


def test_corrupt_file_is_a_400_with_a_message_and_changes_nothing(client, login, university, tmp_path, app):
    broken = tmp_path / "inventory.xlsx"
    broken.write_bytes(b"PK\x03\x04broken")
    login(university)
    response = upload(client, broken)
    assert response.status_code == 400
    assert "无法读取 Excel 文件" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_wrong_extension_is_a_400(client, login, university, tmp_path):
    other = tmp_path / "inventory.docx"
    other.write_bytes(b"whatever")
    login(university)
    response = upload(client, other)
    assert response.status_code == 400
    assert "不支持的文件类型" in response.get_data(as_text=True)


def test_missing_file_is_a_400(client, login, university):
    login(university)
    response = client.post("/inventory/import", data={"mode": "valid_only"}, content_type="multipart/form-data")
    assert response.status_code == 400


def test_all_or_nothing_shows_the_report_and_writes_nothing(client, login, university, export_rows, make_xlsx, app):
    bad = list(export_rows[0])
    bad[CNIPA_HEADERS.index("申请日")] = "2021-02-30"
    login(university)
    response = upload(client, make_xlsx([bad, *export_rows[1:]], title_rows=[["专利清单"]]), mode="all_or_nothing")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "未导入任何数据" in page and "申请日" in page and ">3<" in page
    assert counts(app) == (0, 0)


def test_oversized_upload_shows_the_upload_page(client, login, university, app, export_rows, make_csv):
    login(university)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = upload(client, make_csv(export_rows))
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "上限" in page and 'enctype="multipart/form-data"' in page


def test_report_is_only_for_the_importing_organisation(client, login, university, other_university, platform_admin,
                                                       export_rows, make_csv):
    login(university)
    location = upload(client, make_csv(export_rows[:2])).headers["Location"]
    client.post("/logout")
    login(other_university)
    assert client.get(location).status_code == 404
    assert client.get("/inventory/imports/99999").status_code == 404
    client.post("/logout")
    login(platform_admin)
    assert client.get(location).status_code == 200


def test_templates_carry_headers_the_importer_recognises(client, login, university):
    login(university)
    response = client.get("/inventory/import/template.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    header_row = next(workbook.worksheets[0].iter_rows(values_only=True))
    header = find_header([(1, list(header_row))])
    assert header.missing == [] and header.ignored == []
    assert "A、B、C、D" in str(list(workbook["填写说明"].iter_rows(values_only=True)))
    csv_text = client.get("/inventory/import/template.csv").data.decode("utf-8-sig")
    assert csv_text.strip().split(",") == list(header_row)


def test_import_suggests_segments_from_ipc_without_applying_them(client, login, university, export_rows, make_csv,
                                                                 app):
    from tests.marketplace.imports.conftest import CNIPA_HEADERS
    column = CNIPA_HEADERS.index("产业领域")
    rows = [[*row[:column], "", *row[column + 1:]] for row in export_rows[:5]]  # the file names no segment
    login(university)
    response = upload(client, make_csv(rows))
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "系统已按 IPC 对照表给出建议（不会自动采纳）" in report
    with app.app_context():
        from marketplace.segments.suggestions import suggestions_by_patent
        patents = db.session.scalars(select(Patent)).all()
        assert all(p.segments == [] for p in patents)  # nothing applied silently
        assert suggestions_by_patent(patents)  # … but suggested, for the owner to accept
