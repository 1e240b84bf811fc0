"""API: import an inventory spreadsheet (multipart upload) and get the per-row report."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import IO, Any

from flask import jsonify
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import FileStorage

from marketplace.api.common import ErrorSchema, api_user
from marketplace.imports import services
from marketplace.imports.models import ImportBatch, ImportMode
from marketplace.imports.reader import stream_size

blp = Blueprint("imports_api", __name__, url_prefix="/patents",
                description="专利清单导入 / inventory import from patent-database exports (CSV, XLSX)")


class ImportModeOption(Schema):
    mode = fields.String(load_default=ImportMode.VALID_ONLY.value,
                         validate=validate.OneOf([mode.value for mode in ImportMode]),
                         metadata={"description": "valid_only: import good rows, report bad ones; "
                                                  "all_or_nothing: any bad row → nothing written (422)"})


class ImportOptions(ImportModeOption):
    publish = fields.Boolean(load_default=False, metadata={"description": "publish imported drafts at once"})


class ImportFile(Schema):
    file = Upload(required=True, metadata={"description": ".xlsx or .csv (UTF-8 or GBK) export"})


class ImportUpload(ImportOptions, ImportFile):
    """The whole multipart body as the OpenAPI document shows it; webargs reads form and files separately."""


class RowIssue(Schema):
    row = fields.Integer(metadata={"description": "spreadsheet row number as shown in Excel"})
    column = fields.String(metadata={"description": "the header in the uploaded file"})
    field = fields.String(metadata={"description": "our field name"})
    reason = fields.String()


class ColumnUse(Schema):
    header = fields.String()
    field = fields.String()


class ImportReport(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "batch id; null when nothing was written"})
    status = fields.String(metadata={"description": "queued, reading, saving, done, rejected or failed"})
    error = fields.String(allow_none=True, metadata={"description": "why a background import failed"})
    filename = fields.String()
    mode = fields.String()
    publish = fields.Boolean()
    created_at = fields.DateTime()
    total_rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    failed = fields.Integer()
    header_row = fields.Integer(allow_none=True)
    columns = fields.List(fields.Nested(ColumnUse))
    ignored_columns = fields.List(fields.String())
    errors = fields.List(fields.Nested(RowIssue))
    warnings = fields.List(fields.Nested(RowIssue))


class ImportRejectedSchema(ErrorSchema):
    report = fields.Nested(ImportReport)


class ImportProgress(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, reading, saving, done, rejected or failed"})
    finished = fields.Boolean()
    rows_read = fields.Integer()
    expected_rows = fields.Integer(allow_none=True, metadata={"description": "rows the file appears to hold"})
    percent = fields.Integer()
    error = fields.String(allow_none=True)


ImportCall = Callable[[str, IO[bytes]], ImportBatch]  # (filename, stream) → the batch


def import_upload(upload: FileStorage, *, start: ImportCall, run: ImportCall,
                  report_of: Callable[[ImportBatch], dict[str, Any]]) -> Any:
    """An import endpoint's answer: a large file queued for ``start`` (the background job) answers 202 with its
    progress, a small one imported by ``run`` its report."""
    if stream_size(upload.stream) > services.background_threshold():
        batch = start(upload.filename or "", upload.stream)
        return jsonify(ImportProgress().dump(services.progress_of(batch))), 202  # a Response: not the 200 schema
    return report_of(run(upload.filename or "", upload.stream))


@blp.post("/import")
@blp.arguments(ImportOptions, location="form")
@blp.arguments(ImportFile, location="files")
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": ImportUpload}}})
@blp.response(200, ImportReport)
@blp.alt_response(202, schema=ImportProgress, description="a large file: imported in the background; poll "
                                                          "`/patents/imports/{batch_id}/progress`")
@blp.alt_response(400, schema=ErrorSchema, description="unreadable, empty or unsupported file; missing columns")
@blp.alt_response(422, schema=ImportRejectedSchema, description="all_or_nothing and some rows are bad")
def import_patents(options: dict, files: dict):
    """Create or update the caller's patents from an export of incoPat, PatSnap, CNIPR, 佰腾 or CNIPA.

    Re-importing is idempotent: rows are matched by application number. Files
    larger than 256 KB are imported by a background job: the answer is then
    202 with the batch's progress, and the organisation is notified when done.
    """
    user = api_user()
    return import_upload(files["file"], start=partial(services.start_import, user, **options),
                         run=partial(services.import_inventory, user, **options), report_of=services.report_of)


@blp.get("/imports/<int:batch_id>")
@blp.response(200, ImportReport)
@blp.alt_response(404, schema=ErrorSchema)
def import_report(batch_id: int):
    """One import's report (for a background import: its status so far)."""
    return services.report_of(services.get_batch(api_user(), batch_id))


@blp.get("/imports/<int:batch_id>/progress")
@blp.response(200, ImportProgress)
@blp.alt_response(404, schema=ErrorSchema)
def import_progress(batch_id: int):
    """Where a background import stands: status, rows read, percent."""
    return services.progress_of(services.get_batch(api_user(), batch_id))
