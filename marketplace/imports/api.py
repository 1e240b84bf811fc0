"""API: import an inventory spreadsheet (multipart upload) and get the per-row report."""
from __future__ import annotations

from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, api_user
from marketplace.imports import services
from marketplace.imports.models import ImportMode

blp = Blueprint("imports_api", __name__, url_prefix="/patents",
                description="专利清单导入 / inventory import from patent-database exports (CSV, XLSX)")


class ImportOptions(Schema):
    mode = fields.String(load_default=ImportMode.VALID_ONLY.value,
                         validate=validate.OneOf([mode.value for mode in ImportMode]),
                         metadata={"description": "valid_only: import good rows, report bad ones; "
                                                  "all_or_nothing: any bad row → nothing written (422)"})
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


@blp.post("/import")
@blp.arguments(ImportOptions, location="form")
@blp.arguments(ImportFile, location="files")
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": ImportUpload}}})
@blp.response(200, ImportReport)
@blp.alt_response(400, schema=ErrorSchema, description="unreadable, empty or unsupported file; missing columns")
@blp.alt_response(422, schema=ImportRejectedSchema, description="all_or_nothing and some rows are bad")
def import_patents(options: dict, files: dict):
    """Create or update the caller's patents from an export of incoPat, PatSnap, CNIPR, 佰腾 or CNIPA.

    Re-importing is idempotent: rows are matched by application number.
    """
    upload = files["file"]
    batch = services.import_inventory(api_user(), upload.filename, upload.stream, mode=options["mode"],
                                      publish=options["publish"])
    return services.report_of(batch)
