"""Large imports run as a job: progress page and endpoint, a notification when done, each batch imported once."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.imports.jobs import run_import
from marketplace.imports.models import ImportBatch, ImportStatus
from marketplace.patents.models import Patent
from marketplace.push.models import Notification, NotificationKind
from tests.marketplace.imports.conftest import with_wrong_check_digit


@pytest.fixture
def background(app):
    """Every upload counts as large, so it runs as a job."""
    app.config["IMPORT_BACKGROUND_BYTES"] = 0
    yield
    app.config.pop("IMPORT_BACKGROUND_BYTES")


def upload(client, path, **form):
    return client.post("/inventory/import", data={"file": (io.BytesIO(path.read_bytes()), path.name), **form},
                       content_type="multipart/form-data")


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_large_upload_answers_at_once_and_shows_its_progress(app, client, login, university, export_rows, make_csv,
                                                               background, deferred_jobs):
    login(university)
    response = upload(client, make_csv(export_rows))
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "导入进度".encode() in page.data and b"import-progress.js" in page.data
    batch_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    progress = client.get(f"/inventory/imports/{batch_id}/progress").get_json()
    assert progress["status"] == "queued" and progress["finished"] is False and progress["expected_rows"] >= 30
    assert count(app, Patent) == 0

    deferred_jobs.drain()

    progress = client.get(f"/inventory/imports/{batch_id}/progress").get_json()
    assert progress == {**progress, "status": "done", "finished": True, "percent": 100, "rows_read": 30}
    assert count(app, Patent) == 30
    report = client.get(f"/inventory/imports/{batch_id}")
    assert "导入报告".encode() in report.data
    with app.app_context():
        notice = db.session.scalar(select(Notification).where(Notification.kind == NotificationKind.IMPORT_FINISHED))
        assert notice.organisation_id == university.organisation_id and "新增 30" in notice.body
        assert db.session.get(ImportBatch, batch_id).upload is None  # the stored file is dropped


def test_each_batch_is_imported_once(app, client, token_for, university, export_rows, make_csv, background,
                                     deferred_jobs):
    headers = token_for(university)
    path = make_csv(export_rows)
    response = client.post("/api/v1/patents/import", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(path.read_bytes()), path.name)})
    assert response.status_code == 202
    assert response.get_json() == {**response.get_json(), "status": "queued", "finished": False, "rows_read": 0}
    batch_id = response.get_json()["id"]
    assert deferred_jobs.drain() >= 1
    with app.app_context():
        assert run_import(batch_id) == "skipped"  # a second run (a retry, a duplicate enqueue) does nothing
    body = client.get(f"/api/v1/patents/imports/{batch_id}", headers=headers).get_json()
    assert (body["status"], body["created"]) == ("done", 30)
    assert count(app, Notification, Notification.kind == NotificationKind.IMPORT_FINISHED) == 1


def test_all_or_nothing_in_the_background_keeps_the_report_and_writes_nothing(app, client, token_for, university,
                                                                              export_rows, make_csv, background,
                                                                              deferred_jobs):
    bad = list(export_rows[0])
    bad[0] = with_wrong_check_digit(bad[0])
    headers = token_for(university)
    path = make_csv([*export_rows[1:], bad])
    batch_id = client.post("/api/v1/patents/import", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(path.read_bytes()), path.name),
                                 "mode": "all_or_nothing"}).get_json()["id"]
    deferred_jobs.drain()
    body = client.get(f"/api/v1/patents/imports/{batch_id}", headers=headers).get_json()
    assert body["status"] == "rejected" and body["failed"] == 1 and body["errors"][0]["field"] == "application_number"
    assert count(app, Patent) == 0


def test_a_file_the_job_cannot_read_fails_with_its_reason(app, client, login, university, make_csv, background,
                                                          deferred_jobs):
    login(university)
    location = upload(client, make_csv([["a", "b"]], headers=["甲", "乙"])).headers["Location"]
    deferred_jobs.drain()
    page = client.get(location).get_data(as_text=True)
    assert "导入失败" in page and "没有可识别的表头" in page
    with app.app_context():
        assert db.session.scalar(select(ImportBatch.status)) == ImportStatus.FAILED


def test_progress_is_only_for_the_importing_organisation(app, client, login, university, other_university,
                                                         export_rows, make_csv, background, deferred_jobs):
    login(university)
    location = upload(client, make_csv(export_rows)).headers["Location"]
    other = app.test_client()
    login(other_university, other)
    assert other.get(location).status_code == 404
    assert other.get(location + "/progress").status_code == 404


def test_a_bomb_is_refused_before_anything_is_queued(app, client, token_for, university, background, deferred_jobs):
    response = client.post("/api/v1/patents/import", headers=token_for(university), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"PK\x03\x04 not a zip"), "x.xlsx")})
    assert response.status_code == 400 and deferred_jobs.waiting == 0
    assert count(app, ImportBatch) == 0
