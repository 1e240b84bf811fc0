"""API: royalty reports of a license (the licensee files, both parties read) and its yearly statement."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, Year, api_user
from marketplace.core.dates import local_today
from marketplace.openlicense.terms import RoyaltyBase
from marketplace.royalties import services

blp = Blueprint("royalties_api", __name__, url_prefix="", description="提成报告 / royalty reports")


class ReportSchema(Schema):
    id = fields.Integer()
    license_id = fields.Integer()
    installment_id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    base = fields.Enum(RoyaltyBase, by_value=True, metadata={"description": "net sales or profit, as declared"})
    base_amount = Money()
    units = fields.Integer(allow_none=True)
    rate = fields.Decimal(places=2, as_string=True, metadata={"description": "the declared rate, in percent"})
    royalty = Money(metadata={"description": "base_amount × rate, to the cent (half up): the installment's amount"})
    due_date = fields.Function(lambda report: report.installment.due_date)
    note = fields.String()
    filed_at = fields.DateTime()


class ReportWriteSchema(Schema):
    installment_id = fields.Integer(allow_none=True, metadata={
        "description": "the royalty period (its installment); default the earliest ended period not reported"})
    base_amount = fields.String(required=True, validate=validate.Length(max=64), metadata={
        "description": "net sales or profit of the period, CNY", "example": "1250000.00"})
    units = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=10**12))
    royalty_rate = fields.String(allow_none=True, validate=validate.Length(max=10), metadata={
        "description": "optional check: must equal the declared rate", "example": "3.50"})
    base = fields.String(allow_none=True, validate=validate.OneOf([b.value for b in RoyaltyBase]))
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


class StatementArgs(Schema):
    year = Year(required=True)


class StatementLineSchema(Schema):
    installment_id = fields.Function(lambda line: line.period.installment.id)
    period_start = fields.Function(lambda line: line.period.start.isoformat())
    period_end = fields.Function(lambda line: line.period.end.isoformat())
    due_date = fields.Function(lambda line: line.period.installment.due_date.isoformat())
    report = fields.Function(lambda line: ReportSchema().dump(line.period.report) if line.period.report else None)
    paid = Money(metadata={"description": "confirmed by the licensor"})
    outstanding = Money(allow_none=True, metadata={"description": "null while the period is not reported"})
    state = fields.Function(lambda line: services.period_state(line.period, local_today()))


class StatementSchema(Schema):
    license_id = fields.Function(lambda s: s.grant.id)
    year = fields.Integer()
    lines = fields.List(fields.Nested(StatementLineSchema))
    base_total = Money()
    royalty_total = Money()
    paid_total = Money()
    outstanding_total = Money()
    unreported = fields.Integer(metadata={"description": "periods ending in the year without a report"})


@blp.post("/licenses/<int:license_id>/royalty-reports")
@blp.arguments(ReportWriteSchema)
@blp.response(201, ReportSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="period already reported, not ended, or no royalty")
@blp.alt_response(422, schema=ErrorSchema)
def file_report(body: dict, license_id: int):
    """The licensee reports one royalty period; the royalty becomes the period's installment amount."""
    return services.file_report(api_user(), license_id, body)


@blp.get("/licenses/<int:license_id>/royalty-reports")
@blp.response(200, ReportSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
def list_reports(license_id: int):
    """Every report of the license, oldest period first; for its parties and platform admins."""
    return services.reports_of(api_user(), license_id)


@blp.get("/licenses/<int:license_id>/royalty-statement")
@blp.arguments(StatementArgs, location="query")
@blp.response(200, StatementSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def statement(args: dict, license_id: int):
    """The license's royalty periods ending in ``year``: reported base, royalty, confirmed payments, outstanding."""
    user = api_user()
    grant = services.royalty_license(user, license_id)
    return services.statement(user, grant.id, args["year"])
