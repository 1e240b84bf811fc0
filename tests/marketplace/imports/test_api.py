"""POST /api/v1/patents/import: report JSON, 400 for unreadable files, 422 for rejected all-or-nothing."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.patents.models import Patent
from tests.marketplace.imports.conftest import with_wrong_check_digit

URL = "/api/v1/patents/import"


def post(client, headers, path, **form):
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), **form}
    return client.post(URL, data=data, headers=headers, content_type="multipart/form-data")


def patent_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Patent))


def test_import_returns_the_report(client, token_for, university, export_rows, make_csv, app):
    bad = list(export_rows[2])
    bad[0] = with_wrong_check_digit(bad[0])
    headers = token_for(university)

    response = post(client, headers, make_csv([*export_rows, bad]), publish="true")

    assert response.status_code == 200, response.json
    body = response.json
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (30, 0, 0, 1)
    assert body["id"] and body["mode"] == "valid_only" and body["publish"] is True
    assert body["errors"] == [{"row": 32, "column": "申请号", "field": "application_number",
                               "reason": body["errors"][0]["reason"]}]
    again = post(client, headers, make_csv(export_rows))
    assert (again.json["created"], again.json["unchanged"]) == (0, 30)
    assert patent_count(app) == 30


def test_unreadable_file_is_a_400_json_error(client, token_for, university, tmp_path, app):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    response = post(client, token_for(university), empty)
    assert response.status_code == 400
    assert response.json["error"] == "unreadable_file" and "文件为空" in response.json["message"]
    assert patent_count(app) == 0


def test_all_or_nothing_with_bad_rows_is_422_with_the_report(client, token_for, university, export_rows, make_xlsx,
                                                            app):
    bad = list(export_rows[0])
    bad[0] = with_wrong_check_digit(bad[0])
    response = post(client, token_for(university), make_xlsx([*export_rows[1:], bad]), mode="all_or_nothing")
    assert response.status_code == 422
    assert response.json["error"] == "import_rejected"
    assert response.json["report"]["errors"][0]["row"] == 31
    assert response.json["report"]["id"] is None
    assert patent_count(app) == 0


def test_unknown_mode_is_refused(client, token_for, university, export_rows, make_csv):
    response = post(client, token_for(university), make_csv(export_rows[:1]), mode="some")
    assert response.status_code == 422 and "mode" in response.json["fields"]


def test_writes_need_a_token_and_a_supplying_organisation(client, login, token_for, university, agency, export_rows,
                                                          make_csv, app):
    path = make_csv(export_rows[:1])
    login(university)
    assert post(client, {}, path).status_code == 401  # a session cookie alone cannot write through the API
    assert post(client, token_for(agency), path).status_code == 403
    assert patent_count(app) == 0


def test_openapi_documents_the_multipart_upload(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/patents/import"]["post"]
    reference = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert {"file", "mode", "publish"} <= set(schema["properties"]) and schema["required"] == ["file"]
    assert {"200", "400", "422"} <= set(operation["responses"])
