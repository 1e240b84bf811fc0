"""Pages: upload an inventory spreadsheet, read an import's report, download the template."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import IO, Any

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace.core.errors import DomainError
from marketplace.core.views import show_errors
from marketplace.core.spreadsheets import attachment
from marketplace.segments.suggestions import count_with_ipc_without_segments
from marketplace.imports import services
from marketplace.imports.errors import ImportRejected
from marketplace.imports.forms import ImportForm
from marketplace.imports.models import ImportBatch
from marketplace.imports.reader import stream_size
from marketplace.imports.template import MIMETYPES, inventory_template
from marketplace.patents.services import ensure_can_supply

bp = Blueprint("imports", __name__)


def _upload_page(form: ImportForm, status: int = 200):
    return render_template("imports/upload.html", form=form, batches=services.list_batches(current_user),
                           max_mb=current_app.config["SETTINGS"].max_upload_mb), status


ImportCall = Callable[[str, IO[bytes]], ImportBatch]  # (filename, stream) → the batch


def upload_page(form: FlaskForm, page: Callable[[FlaskForm, int], Any], *, start: ImportCall, run: ImportCall,
                report_endpoint: str, rejected_page: Callable[[ImportRejected], str]) -> Any:
    """An import page (the inventory's, the CNIPA announcements'): its form; on POST, a large file queued for
    ``start`` (the background job), a small one imported by ``run``, then the batch's report; a file refused
    whole (``all_or_nothing``) shows ``rejected_page``, any other refusal the form with its errors."""
    if not form.is_submitted():
        return page(form, 200)
    if not form.validate():
        flash(_("请选择要上传的文件") if form.file.errors else _("请检查表单中标出的错误"), "danger")
        return page(form, 400)
    upload = form.file.data
    try:
        if stream_size(upload.stream) > services.background_threshold():
            batch = start(upload.filename, upload.stream)
            flash(_("文件较大，正在后台导入；完成后会在消息中通知您"), "info")
            return redirect(url_for(report_endpoint, batch_id=batch.id))
        batch = run(upload.filename, upload.stream)
    except ImportRejected as rejected:
        flash(rejected.message, "danger")
        return rejected_page(rejected), rejected.status
    except DomainError as error:
        show_errors(form, error)
        return page(form, error.status)
    flash(_("导入完成：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d，失败 %(failed)d",
            created=batch.created_count, updated=batch.updated_count, unchanged=batch.unchanged_count,
            failed=batch.failed_count), "success" if not batch.failed_count else "warning")
    return redirect(url_for(report_endpoint, batch_id=batch.id))


@bp.route("/inventory/import", methods=["GET", "POST"])
@login_required
def upload():
    ensure_can_supply(current_user)
    form = ImportForm()
    options = {"mode": form.mode.data, "publish": form.publish.data}
    return upload_page(form, _upload_page, start=partial(services.start_import, current_user, **options),
                       run=partial(services.import_inventory, current_user, **options),
                       report_endpoint="imports.report",
                       rejected_page=lambda refused: render_template("imports/report.html", report=refused.report))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    """Werkzeug refuses the body before the view runs; answer with the upload page, not a bare 413."""
    message = _("文件超过 %(mb)d MB 上限，请拆分后分批导入", mb=current_app.config["SETTINGS"].max_upload_mb)
    organisation = current_user.organisation if current_user.is_authenticated else None
    if organisation is None or not organisation.kind.supplies_patents:
        return render_template("error.html", status=413, message=message, fields={}), 413
    flash(message, "danger")
    return _upload_page(ImportForm(formdata=None), 413)


@bp.get("/inventory/imports/<int:batch_id>")
@login_required
def report(batch_id: int):
    """The import's report; while a background import runs, its progress bar (which polls ``progress``)."""
    batch = services.get_batch(current_user, batch_id)
    if not batch.status.finished:
        return render_template("imports/progress.html", batch=batch, progress=services.progress_of(batch))
    return render_template("imports/report.html", report=services.report_of(batch),
                           awaiting_segments=count_with_ipc_without_segments(batch.organisation_id))


@bp.get("/inventory/imports/<int:batch_id>/progress")
@login_required
def progress(batch_id: int):
    """JSON for the progress bar: status, rows read, percent."""
    return jsonify(services.progress_of(services.get_batch(current_user, batch_id)))


@bp.get("/inventory/import/template.<any(xlsx, csv):fmt>")
@login_required
def template(fmt: str):
    organisation = ensure_can_supply(current_user)
    body = inventory_template(fmt, organisation, current_app.extensions["taxonomy"])
    return Response(body, content_type=MIMETYPES[fmt],
                    headers=attachment("inventory-template", fmt=fmt))
