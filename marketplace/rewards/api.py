"""API: an institution's inventors and their shares, its reward policy, the rewards due per income and inventor,
deductible costs, rewards paid, each inventor's yearly statement, and the yearly report for the authorities.

Members of the university or institute only (403 for anyone else, platform admins included); its owners and
admins write. Rewards follow the Law on Promoting the Transformation of S&T Achievements art. 45: absent an
agreement, at least 50 % of the net income (income minus the deductible costs recorded) of a transfer or license
and 50 % of the equity of an equity deal, rounded up to the cent and split by the inventors' shares (largest
remainder, so parts sum to the total).
"""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, api_user
from marketplace.rewards import report, services

blp = Blueprint("rewards_api", __name__, url_prefix="/office",
                description="发明人奖酬与年度报告 / inventors' rewards and the yearly report for the authorities")

_percent = fields.String(required=True, validate=validate.Length(max=10), metadata={"example": "60.00"})


class RewardYearArgs(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=1985, max=2200),
                          metadata={"description": "the institution's reporting year (it starts in the policy's "
                                                   "year_start_month)"})


class RewardPolicySchema(Schema):
    transfer_license_percent = fields.Decimal(places=2, as_string=True)
    equity_percent = fields.Decimal(places=2, as_string=True)
    agreement = fields.String()
    year_start_month = fields.Integer()
    statutory = fields.Boolean(metadata={"description": "nothing set: the statutory minimums and calendar year"})


class RewardPolicyInputSchema(Schema):
    transfer_license_percent = _percent
    equity_percent = _percent
    agreement = fields.String(load_default="", validate=validate.Length(max=500), metadata={
        "description": "reference of the agreement with the inventors; required for a percentage below 50"})
    year_start_month = fields.Integer(load_default=1, validate=validate.Range(min=1, max=12))


class InventorSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    staff_number = fields.String(allow_none=True)


class InventorInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    staff_number = fields.String(allow_none=True, validate=validate.Length(max=50))


class InventorShareSchema(Schema):
    inventor_id = fields.Integer(required=True)
    share = fields.String(required=True, validate=validate.Length(max=10), metadata={
        "description": "percent, two decimals; a patent's shares add up to 100", "example": "60.00"})


class InventorSharesInputSchema(Schema):
    inventors = fields.List(fields.Nested(InventorShareSchema), required=True, validate=validate.Length(min=1, max=50))


class InventorShareOutSchema(Schema):
    inventor_id = fields.Integer()
    share = fields.Decimal(places=2, as_string=True)


class RewardPartSchema(Schema):
    inventor_id = fields.Integer(allow_none=True, metadata={"description": "null: patents without inventors"})
    amount = Money()


class RewardIncomeSchema(Schema):
    source = fields.String(metadata={"description": "deal (an equity deal), deal_payment (a confirmed payment of "
                                                    "a transfer or license) or license_payment"})
    item_id = fields.Integer()
    kind = fields.String(metadata={"description": "transfer, license or equity"})
    day = fields.Date()
    title = fields.String()
    partner = fields.String()
    amount = Money()
    costs = Money(metadata={"description": "the deductible costs this income bears: a transfer's or license's "
                                           "costs are the deal's, deducted from its payments in the order received"})
    base = Money(metadata={"description": "net income (transfer, license) or the equity's value (equity)"})
    percent = fields.Decimal(places=2, as_string=True)
    reward = Money()
    parts = fields.List(fields.Nested(RewardPartSchema), attribute="part_list",
                        metadata={"description": "each inventor's part, summing to reward"})
    paid_on = fields.Date(allow_none=True)


class RewardOverviewSchema(Schema):
    year = fields.Integer()
    start = fields.Date()
    end = fields.Date()
    policy = fields.Nested(RewardPolicySchema)
    incomes = fields.List(fields.Nested(RewardIncomeSchema))
    reward_total = Money()


class IncomeCostInputSchema(Schema):
    source = fields.String(required=True, validate=validate.OneOf(services.SOURCES))
    item_id = fields.Integer(required=True)
    amount = fields.String(required=True, validate=validate.Length(max=64), metadata={"example": "2000.00"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=200))


class IncomeCostSchema(Schema):
    id = fields.Integer()
    source = fields.String()
    item_id = fields.Integer()
    amount = Money()
    description = fields.String()


class RewardPaidInputSchema(Schema):
    source = fields.String(required=True, validate=validate.OneOf(services.SOURCES))
    item_id = fields.Integer(required=True)
    paid_on = fields.Date(required=True)


class RewardPaymentSchema(Schema):
    inventor_id = fields.Integer()
    amount = Money()
    paid_on = fields.Date()


class InventorStatementLineSchema(Schema):
    income = fields.Nested(RewardIncomeSchema)
    share = Money()


class InventorStatementSchema(Schema):
    inventor = fields.Nested(InventorSchema)
    year = fields.Integer()
    start = fields.Date()
    end = fields.Date()
    lines = fields.List(fields.Nested(InventorStatementLineSchema))
    total = Money()
    paid = Money()


class ReportLineSchema(Schema):
    key = fields.String()
    label = fields.String()
    items = fields.Integer()
    amount = Money()


class AuthorityReportSchema(Schema):
    year = fields.Integer()
    start = fields.Date()
    end = fields.Date()
    total = fields.Nested(ReportLineSchema)
    by_type = fields.List(fields.Nested(ReportLineSchema), metadata={"description": "transfer, license, open_license, "
                                                                               "equity"})
    by_license_kind = fields.List(fields.Nested(ReportLineSchema))
    by_partner = fields.List(fields.Nested(ReportLineSchema), metadata={"description": "sme or other"})
    by_region = fields.List(fields.Nested(ReportLineSchema))
    by_segment = fields.List(fields.Nested(ReportLineSchema), metadata={
        "description": "an item in several segments counts in each"})
    inventors_paid = fields.Integer()
    rewards_paid = Money()


@blp.get("/reward-policy")
@blp.response(200, RewardPolicySchema)
@blp.alt_response(403, schema=ErrorSchema)
def get_policy():
    return services.policy_of(services.office_of(api_user()).id)


@blp.put("/reward-policy")
@blp.arguments(RewardPolicyInputSchema)
@blp.response(200, RewardPolicySchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema, description="a percentage below 50 without an agreement")
def set_policy(body: dict[str, Any]):
    return services.set_policy(api_user(), body)


@blp.get("/inventors")
@blp.response(200, InventorSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
def list_inventors():
    return services.inventors_of(api_user())


@blp.post("/inventors")
@blp.arguments(InventorInputSchema)
@blp.response(201, InventorSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def add_inventor(body: dict[str, Any]):
    return services.add_inventor(api_user(), body)


@blp.get("/patents/<int:patent_id>/inventors")
@blp.response(200, InventorShareOutSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_shares(patent_id: int):
    patent = services.own_patent(api_user(), patent_id)
    return services.shares_of(patent.id)


@blp.put("/patents/<int:patent_id>/inventors")
@blp.arguments(InventorSharesInputSchema)
@blp.response(200, InventorShareOutSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema, description="shares not adding up to 100, unknown inventor")
def set_shares(body: dict[str, Any], patent_id: int):
    """Replace the patent's inventors and their shares."""
    return services.set_shares(api_user(), patent_id, body["inventors"])


@blp.get("/rewards")
@blp.arguments(RewardYearArgs, location="query")
@blp.response(200, RewardOverviewSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def rewards(args: dict[str, Any]):
    """The incomes of the reporting year, each with its net-income basis, reward and parts per inventor."""
    return services.overview(api_user(), args["year"])


@blp.post("/income-costs")
@blp.arguments(IncomeCostInputSchema)
@blp.response(201, IncomeCostSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="the cost would lower an income whose rewards are already paid")
@blp.alt_response(422, schema=ErrorSchema)
def add_cost(body: dict[str, Any]):
    """Record a deductible cost of a deal or an income: a transfer's or license's costs (named by the deal or one of
    its payments) are the deal's, deducted from its confirmed payments in the order received."""
    return services.add_cost(api_user(), body)


@blp.post("/reward-payments")
@blp.arguments(RewardPaidInputSchema)
@blp.response(201, RewardPaymentSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="already paid, or a patent has no inventors")
@blp.alt_response(422, schema=ErrorSchema)
def mark_paid(body: dict[str, Any]):
    """The finance office paid one income's rewards: each inventor's part is stored as paid."""
    return services.mark_paid(api_user(), body)


@blp.get("/inventors/<int:inventor_id>/statement")
@blp.arguments(RewardYearArgs, location="query")
@blp.response(200, InventorStatementSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def statement(args: dict[str, Any], inventor_id: int):
    return services.statement(api_user(), inventor_id, args["year"])


@blp.get("/authority-report")
@blp.arguments(RewardYearArgs, location="query")
@blp.response(200, AuthorityReportSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def authority_report(args: dict[str, Any]):
    """The yearly report of transfers, licenses, open licenses and equity deals, counted as the console counts
    them, plus rewards paid. ``GET /office/report.xlsx?year=`` gives it as XLSX."""
    return report.authority_report(api_user(), args["year"])
