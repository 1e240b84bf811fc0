"""API: import CNIPA open-license announcements and export the platform's declarations in the same layout.

Patentees import the announcements of their own patents (they become their declarations, marked as announced
by CNIPA; one declared on the platform is never overwritten: a conflict is reported per row); operation agencies
and platform admins record announcements as public facts shown on the patent's page. Anyone else: 403.
"""
from __future__ import annotations

from functools import partial

from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, api_user
from marketplace.cnipa import services
from marketplace.cnipa.layout import fee_text
from marketplace.imports.api import ImportModeOption, ImportProgress, ImportReport, ImportRejectedSchema, import_upload

blp = Blueprint("cnipa_api", __name__, url_prefix="/cnipa",
                description="开放许可公告导入导出 / CNIPA open-license announcements in and out")


class AnnouncementFile(Schema):
    file = Upload(required=True, metadata={"description": ".xlsx or .csv (UTF-8 or GBK) announcement list"})


class AnnouncementUpload(ImportModeOption, AnnouncementFile):
    """The multipart body as documented; webargs reads form and files separately."""


class RowOutcomeSchema(Schema):
    row = fields.Integer(metadata={"description": "spreadsheet row number as shown in Excel"})
    application_number = fields.String()
    title = fields.String()
    patentee = fields.String()
    announced_on = fields.String()
    outcome = fields.String(metadata={"description": ", ".join(services.OUTCOMES)})
    reason = fields.String()
    patent_id = fields.Integer(allow_none=True, metadata={"description": "null: the patent is not on the platform"})
    declaration_id = fields.Integer(allow_none=True)


class AnnouncementReport(ImportReport):
    rows = fields.List(fields.Nested(RowOutcomeSchema))
    conflicts = fields.Integer(metadata={"description": "rows whose platform declaration differs (not overwritten)"})
    not_on_platform = fields.Integer()


class ExportArgs(Schema):
    status = fields.String(load_default="published", validate=validate.OneOf(services.STATUS_FILTERS))
    segment = fields.String(load_default=None, validate=validate.Length(max=32))
    owner_id = fields.Integer(load_default=None)


class DeclarationRow(Schema):
    """One declaration in the announcement layout (the export's columns, in English names)."""

    declaration_id = fields.Integer()
    patent_number = fields.String(metadata={"description": "专利号: ZL + application number"})
    title = fields.String()
    patent_type = fields.String()
    patentees = fields.String(metadata={"description": "the owner, then co-owners, separated by ；"})
    payment_method = fields.String(metadata={"description": "lump_sum, royalty_sales, royalty_profit, "
                                                            "entry_fee_royalty or free"})
    fixed_fee = Money(allow_none=True)
    royalty_rate = fields.Decimal(places=2, as_string=True, allow_none=True, metadata={"description": "percent"})
    royalty_base = fields.String(allow_none=True)
    fee_text = fields.String()
    term_start = fields.Date()
    term_end = fields.Date()
    announced_on = fields.Date()
    source = fields.String(metadata={"description": "platform or CNIPA"})
    status = fields.String()


@blp.post("/announcements/import")
@blp.arguments(ImportModeOption, location="form")
@blp.arguments(AnnouncementFile, location="files")
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": AnnouncementUpload}}})
@blp.response(200, AnnouncementReport)
@blp.alt_response(202, schema=ImportProgress, description="a large file: imported in the background; poll "
                                                          "`/cnipa/imports/{batch_id}`")
@blp.alt_response(400, schema=ErrorSchema, description="unreadable, empty or unsupported file; missing columns")
@blp.alt_response(403, schema=ErrorSchema, description="neither a patentee, an agency nor a platform admin")
@blp.alt_response(422, schema=ImportRejectedSchema, description="all_or_nothing and some rows are bad")
def import_announcements(options: dict, files: dict):
    """Import an announcement list: every row's outcome (created, updated, unchanged, conflict, recorded,
    not_yours, not_on_platform) and every bad cell with its reason."""
    user = api_user()
    return import_upload(files["file"], start=partial(services.start_import, user, **options),
                         run=partial(services.import_announcements, user, **options), report_of=services.report_of)


@blp.get("/imports/<int:batch_id>")
@blp.response(200, AnnouncementReport)
@blp.alt_response(404, schema=ErrorSchema)
def import_report(batch_id: int):
    """One announcement import's report (a background import: its status so far)."""
    return services.report_of(services.get_batch(api_user(), batch_id))


@blp.get("/declarations")
@blp.arguments(ExportArgs, location="query")
@blp.response(200, DeclarationRow(many=True))
def declarations(args: dict):
    """The platform's announced declarations in the announcement layout (never drafts), by status, segment and
    owner; `/cnipa/export.xlsx` and `.csv` (same filters) download them for the provincial pilot platform."""
    api_user()
    found = services.export_declarations(services.parse_export_filters(args))
    return [{"declaration_id": d.id, "patent_number": f"ZL{d.patent.application_number}", "title": d.patent.title,
             "patent_type": d.patent.patent_type.value,
             "patentees": "；".join([d.owner.name, *d.patent.co_owners]), "payment_method": d.payment_method.value,
             "fixed_fee": d.fixed_fee if d.payment_method.has_fixed_fee else None, "royalty_rate": d.royalty_rate,
             "royalty_base": d.royalty_base.value if d.royalty_base else None,
             "fee_text": fee_text(d.payment_method, d.fixed_fee, d.royalty_rate, d.royalty_base),
             "term_start": d.term_start, "term_end": d.term_end, "announced_on": d.announced_on,
             "source": d.source, "status": d.status.value} for d in found]
