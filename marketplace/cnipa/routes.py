"""Pages: import an office's open-license announcements, read each import's report, export the declarations."""
from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.cnipa import services
from marketplace.cnipa.forms import AnnouncementImportForm
from marketplace.cnipa.layout import EXPORT_TARGETS
from marketplace.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, attachment, to_csv, to_xlsx
from marketplace.imports.routes import upload_page
from marketplace.imports.services import progress_of
from marketplace.patents.forms import segment_choices
from marketplace.web import select_locale

bp = Blueprint("cnipa", __name__)
MIMETYPES = {"csv": CSV_MIMETYPE, "xlsx": XLSX_MIMETYPE}


def _page(form: AnnouncementImportForm, status: int = 200):
    return render_template("cnipa/index.html", form=form, batches=services.list_batches(current_user),
                           max_mb=current_app.config["SETTINGS"].max_upload_mb, headers=[services.COLUMN_LABELS[t] for t in EXPORT_TARGETS],
                           statuses=services.STATUS_FILTERS, status_labels=services.STATUS_LABELS,
                           segments=segment_choices(current_app.extensions["taxonomy"], select_locale())), status


@bp.route("/cnipa", methods=["GET", "POST"])
@login_required
def index():
    """Upload an announcement list; the column layout; this organisation's imports; the export."""
    services.importer_of(current_user)
    form = AnnouncementImportForm()
    return upload_page(form, _page, start=partial(services.start_import, current_user, mode=form.mode.data),
                       run=partial(services.import_announcements, current_user, mode=form.mode.data),
                       report_endpoint="cnipa.report",
                       rejected_page=lambda refused: render_template("cnipa/report.html", report=refused.report,
                                                                     outcomes=services.OUTCOMES))


@bp.get("/cnipa/imports/<int:batch_id>")
@login_required
def report(batch_id: int):
    """Every row's outcome (created, updated, conflict, not on the platform …) and every bad cell."""
    batch = services.get_batch(current_user, batch_id)
    if not batch.status.finished:
        return render_template("imports/progress.html", batch=batch, progress=progress_of(batch),
                               progress_url=url_for("cnipa.progress", batch_id=batch.id),
                               report_url=url_for("cnipa.report", batch_id=batch.id), back_url=url_for("cnipa.index"))
    return render_template("cnipa/report.html", report=services.report_of(batch), outcomes=services.OUTCOMES)


@bp.get("/cnipa/imports/<int:batch_id>/progress")
@login_required
def progress(batch_id: int):
    return jsonify(progress_of(services.get_batch(current_user, batch_id)))


@bp.get("/cnipa/imports/<int:batch_id>/rows.<any(xlsx, csv):fmt>")
@login_required
def rows(batch_id: int, fmt: str):
    """An import's rows as a sheet: all, or one outcome (``?outcome=not_on_platform`` lists the patents the
    platform does not hold)."""
    batch = services.get_batch(current_user, batch_id)
    outcome = request.args.get("outcome") or None
    headers, body = services.outcome_rows(batch, outcome)
    data = to_csv(headers, body) if fmt == "csv" else to_xlsx([("rows", headers, body)])
    return Response(data, content_type=MIMETYPES[fmt],
                    headers=attachment("cnipa-import", batch.id, outcome, fmt=fmt))


@bp.get("/cnipa/export.<any(xlsx, csv):fmt>")
@login_required
def export(fmt: str):
    """The platform's announced declarations in the announcement layout, for the provincial pilot platform."""
    filters = services.parse_export_filters(request.args)
    headers, body = services.export_headers(), services.export_rows(services.export_declarations(filters))
    data = to_csv(headers, body) if fmt == "csv" else to_xlsx([("open-licenses", headers, body)])
    return Response(data, content_type=MIMETYPES[fmt],
                    headers=attachment("open-licenses", filters["status"], filters["segment"],
                                       filters["owner_id"] and f"owner-{filters['owner_id']}", fmt=fmt))


@bp.app_template_global("cnipa_announcements")
def cnipa_announcements(application_number: str):
    """For the patent page: what the office announced for this patent, as recorded by agencies and admins."""
    return services.announcements_for(application_number)
