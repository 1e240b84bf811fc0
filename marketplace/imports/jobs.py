"""The background import: one job per large upload, run once, reporting progress and notifying when done."""
from __future__ import annotations

import io

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import update

from marketplace.core import transaction
from marketplace.core.errors import DomainError
from marketplace.core.jobs import job, job_logger
from marketplace.core.models import utcnow
from marketplace.core.sqlite import set_write_intent, write_intent
from marketplace.extensions import db
from marketplace.imports.errors import ImportRejected
from marketplace.imports.models import ImportBatch, ImportStatus
from marketplace.imports.services import import_inventory
from marketplace.push.messages import N_, Line, message, render_lines, text

log = job_logger(__name__)
INTERNAL_ERROR = N_("导入时发生内部错误，请稍后重试或联系平台管理员")


def claim_batch(batch_id: int) -> bool:
    """Move a queued batch to ``reading`` atomically (one UPDATE): only one job run ever imports it."""
    with write_intent(True):
        claimed = db.session.execute(
            update(ImportBatch).where(ImportBatch.id == batch_id, ImportBatch.status == ImportStatus.QUEUED)
            .values(status=ImportStatus.READING).returning(ImportBatch.id)
            .execution_options(synchronize_session=False)).first()
        db.session.commit()
    return claimed is not None


class _Progress:
    """Commits the rows read so far in short write transactions between reads (the reading itself holds no lock)."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id

    def __call__(self, rows: int, saving: bool) -> None:
        db.session.commit()  # ends the read transaction: nothing in the session is changed while reading
        with write_intent(True):
            db.session.execute(update(ImportBatch).where(ImportBatch.id == self.batch_id).values(
                progress_rows=rows, status=ImportStatus.SAVING if saving else ImportStatus.READING))
            db.session.commit()
        if saving:  # the writes that follow start as a writer (core.sqlite)
            set_write_intent(True)


@job(queue="default", timeout=1800, retries=0)
def run_import(batch_id: int) -> str:
    """Job: import a queued upload (see ``imports.services.start_import``); returns the final status."""
    if not claim_batch(batch_id):
        log.info("import %s: already taken by another run", batch_id)
        return "skipped"
    with write_intent(False):  # reading and validating write nothing: no write lock while they run
        batch = db.session.get(ImportBatch, batch_id)
        assert batch is not None and batch.user is not None
        # the report's row errors are read by the uploader first: written in the language the uploader reads
        with force_locale(batch.user.locale or "zh"):
            stream = io.BytesIO(batch.upload or b"")
            try:
                if batch.kind == "cnipa":
                    from marketplace.cnipa.services import import_announcements
                    import_announcements(batch.user, batch.filename, stream, mode=batch.mode, batch=batch,
                                         progress=_Progress(batch_id))
                else:
                    import_inventory(batch.user, batch.filename, stream, mode=batch.mode, publish=batch.publish,
                                     batch=batch, progress=_Progress(batch_id))
            except ImportRejected:
                kept = {name: getattr(batch, name) for name in ("total_rows", "failed_count", "report")}
                transaction.rollback()
                status, error = ImportStatus.REJECTED, None
            except DomainError as refused:
                transaction.rollback()
                kept, status, error = {}, ImportStatus.FAILED, text(refused.message)
            except Exception:
                log.exception("import %s failed", batch_id)
                transaction.rollback()
                kept, status, error = {}, ImportStatus.FAILED, message(INTERNAL_ERROR)
            else:
                kept, status, error = {}, ImportStatus.DONE, None
            with write_intent(True):
                _finish(batch_id, status, error, kept)
    return status.value


def _finish(batch_id: int, status: ImportStatus, error: Line | None, kept: dict) -> None:
    """Record the outcome, drop the stored file and tell the organisation (one commit with the import's rows)."""
    from marketplace.push.models import NotificationKind
    from marketplace.push.notify import notify

    batch = db.session.get(ImportBatch, batch_id)
    assert batch is not None
    for name, value in kept.items():
        setattr(batch, name, value)
    shown_error = render_lines([error]) if error else None
    batch.status, batch.error, batch.upload, batch.finished_at = status, shown_error, None, utcnow()
    if batch.kind == "cnipa":
        title = message({ImportStatus.DONE: N_("开放许可公告导入完成：%(file)s"),
                         ImportStatus.REJECTED: N_("开放许可公告有错误的行，未导入：%(file)s"),
                         }.get(status, N_("开放许可公告导入失败：%(file)s")), file=batch.filename)
        path = f"/cnipa/imports/{batch.id}"
    else:
        title = message({ImportStatus.DONE: N_("专利清单导入完成：%(file)s"),
                         ImportStatus.REJECTED: N_("专利清单有错误的行，未导入：%(file)s"),
                         }.get(status, N_("专利清单导入失败：%(file)s")), file=batch.filename)
        path = f"/inventory/imports/{batch.id}"
    if status == ImportStatus.DONE:
        outcome = message(N_("新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d，失败 %(failed)d"),
                          created=batch.created_count, updated=batch.updated_count, unchanged=batch.unchanged_count,
                          failed=batch.failed_count)
    else:
        outcome = error or text("")
    link = f"{current_app.config['SETTINGS'].public_url}{path}"
    if batch.organisation_id is not None:  # an admin without an organisation reads the batch's page
        notify(batch.organisation_id, NotificationKind.IMPORT_FINISHED, f"import:{batch.id}", title,
               [outcome, text(link)], data={"import_id": batch.id})
    transaction.commit()
    log.info("import %s: %s (%d rows)", batch_id, status.value, batch.total_rows)
