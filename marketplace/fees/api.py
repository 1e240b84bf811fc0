"""API: the owner's annual-fee ledger by period, one patent's fees, paying a fee, the yearly keep-or-abandon
review and its decisions."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, Year, api_user
from marketplace.core.dates import local_today
from marketplace.fees import ledger, reports, review
from marketplace.fees.models import Decision, DecisionStatus, FeeState, OfferMode

blp = Blueprint("fees_api", __name__, url_prefix="", description="年费与维持决策 / annual fees and keep-or-abandon")


class FeeSchema(Schema):
    id = fields.Integer()
    patent_id = fields.Integer()
    application_number = fields.Function(lambda row: row.patent.application_number)
    title = fields.Function(lambda row: row.patent.title)
    grade = fields.Function(lambda row: row.patent.grade)
    fee_year = fields.Integer()
    due_date = fields.Date()
    grace_end = fields.Date(metadata={"description": "last day to pay with the surcharge; unpaid, the right lapses"})
    standard = Money(metadata={"description": "the schedule's fee before reductions"})
    amount = Money(metadata={"description": "due after reductions"})
    explanation = fields.Function(lambda row: [reports.explain(line) for line in row.lines or []])
    lines = fields.List(fields.Dict(), metadata={"description": "each rule: code, amount after it, percent, detail"})
    state = fields.Enum(FeeState, by_value=True)
    status = fields.Function(lambda row: reports.status_text(row.state, row.due_date, row.grace_end, local_today()))
    paid_on = fields.Date(allow_none=True)
    surcharge = Money(allow_none=True)
    paid_amount = Money(allow_none=True)
    with_grant = fields.Boolean(metadata={"description": "paid with the grant registration"})


class TotalsSchema(Schema):
    fees = fields.Integer()
    standard = Money()
    amount = Money()
    reduced_by = Money()
    paid = fields.Integer()
    unpaid_amount = Money()


class PeriodArgs(Schema):
    year = Year()
    quarter = fields.Integer(validate=validate.Range(min=1, max=4))
    month = fields.Integer(validate=validate.Range(min=1, max=12))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))


class MonthSchema(Schema):
    month = fields.Function(lambda item: item[0].isoformat()[:7])
    totals = fields.Function(lambda item: TotalsSchema().dump(item[1]))


class LedgerPage(Schema):
    period = fields.Function(lambda page: {"kind": page["period"].kind, "start": page["period"].start.isoformat(),
                                           "end": page["period"].end.isoformat()})
    totals = fields.Nested(TotalsSchema)
    months = fields.List(fields.Nested(MonthSchema), metadata={"description": "every month of the period's year"})
    items = fields.List(fields.Nested(FeeSchema))


class PatentFeesSchema(Schema):
    patent_id = fields.Function(lambda found: found.patent.id)
    legal_status = fields.Function(lambda found: found.patent.legal_status.value)
    rows = fields.List(fields.Nested(FeeSchema))
    next_fee = fields.Nested(FeeSchema, allow_none=True)
    schedule_gap = fields.String(attribute="gap", allow_none=True)


class FeePaymentSchema(Schema):
    paid_on = fields.Date(allow_none=True)
    amount = fields.String(allow_none=True, validate=validate.Length(max=64),
                           metadata={"description": "optional check: fee plus the surcharge for paid_on"})
    reference = fields.String(allow_none=True, validate=validate.Length(max=100))


class FeeDecisionSchema(Schema):
    id = fields.Integer()
    patent_id = fields.Integer()
    review_year = fields.Integer()
    decision = fields.Enum(Decision, by_value=True)
    status = fields.Enum(DecisionStatus, by_value=True)
    offer_mode = fields.Enum(OfferMode, by_value=True, allow_none=True)
    offer_price = Money(allow_none=True)
    listed_until = fields.Date(allow_none=True)
    reason = fields.String()
    decided_by = fields.Function(lambda d: d.decided_by.name if d.decided_by else None)
    decided_at = fields.DateTime()
    effective_on = fields.Date(allow_none=True)


class DecisionWriteSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf([d.value for d in Decision]))
    offer_mode = fields.String(allow_none=True, validate=validate.OneOf([m.value for m in OfferMode]))
    offer_price = fields.String(allow_none=True, validate=validate.Length(max=64))
    listed_until = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))
    review_year = fields.Integer(allow_none=True)


class ReviewArgs(Schema):
    year = Year(required=True)
    grade = fields.String(validate=validate.Length(max=8))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))


class ReviewItemSchema(Schema):
    patent_id = fields.Function(lambda item: item.patent.id)
    application_number = fields.Function(lambda item: item.patent.application_number)
    title = fields.Function(lambda item: item.patent.title)
    grade = fields.Function(lambda item: item.patent.grade)
    fee = fields.Nested(FeeSchema)
    decision = fields.Nested(FeeDecisionSchema, allow_none=True)


class ReviewPage(Schema):
    total = fields.Integer()
    items = fields.List(fields.Nested(ReviewItemSchema))


@blp.get("/fees")
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, LedgerPage)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def fees(args: dict):
    """The caller's fees due in a period (``year`` with ``month`` or ``quarter``; default this quarter), 50 a
    page, with the period's totals and every month of the year."""
    user = api_user()
    period = reports.parse_period(args, local_today())
    items, totals = reports.fees_in(user, period, args["page"], 50)
    months, _total = reports.months_of(user, period.start.year)
    return {"period": period, "totals": totals, "months": months, "items": items}


@blp.get("/patents/<int:patent_id>/fees")
@blp.response(200, PatentFeesSchema)
@blp.alt_response(404, schema=ErrorSchema)
def patent_fees(patent_id: int):
    """One patent's fee years, for its owner and platform admins."""
    return ledger.patent_fees(api_user(), patent_id)


@blp.post("/fees/<int:fee_id>/payment")
@blp.arguments(FeePaymentSchema)
@blp.response(200, FeeSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="already paid, or the grace period is over")
@blp.alt_response(422, schema=ErrorSchema)
def pay(body: dict, fee_id: int):
    """Record that the owner paid a fee (the surcharge for ``paid_on`` included)."""
    return ledger.record_fee_payment(api_user(), fee_id, body)


@blp.get("/fees/review")
@blp.arguments(ReviewArgs, location="query")
@blp.response(200, ReviewPage)
@blp.alt_response(403, schema=ErrorSchema)
def review_list(args: dict):
    """The yearly review: patents whose fee falls due in ``year``, lowest grade (D) first."""
    items, total = review.review(api_user(), args["year"], args.get("grade"), args["page"])
    return {"total": total, "items": items}


@blp.post("/patents/<int:patent_id>/fee-decision")
@blp.arguments(DecisionWriteSchema)
@blp.response(200, FeeDecisionSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="abandoning is refused: every reason named")
@blp.alt_response(422, schema=ErrorSchema)
def decide(body: dict, patent_id: int):
    """Keep, offer (transfer or open license at a reduced price, listed until a date) or abandon (the open license
    is withdrawn first; the co-owners consent)."""
    return review.decide(api_user(), patent_id, body)
