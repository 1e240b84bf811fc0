"""API: pricing help for a patent (comparable concluded deals and their range) and the income-approach estimate."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from flask_babel import lazy_gettext as _l

from marketplace.api.common import ErrorSchema, Money, api_user
from marketplace.core.dates import local_today
from marketplace.patents.vocab import TransformationMode
from marketplace.pricing import services

blp = Blueprint("pricing_api", __name__, url_prefix="", description="定价参考 / pricing help from comparable deals")
TEXT = validate.Length(max=64)


class PricingArgs(Schema):
    mode = fields.String(validate=TEXT, metadata={"description": "transfer, license, open_license or equity "
                                                                 "(default: the patent's first offered mode)"})


class ComparableSchema(Schema):
    mode = fields.Enum(TransformationMode, by_value=True)
    concluded = fields.String(attribute="month", metadata={"description": "year and month concluded, YYYY-MM"})
    patent_type = fields.Function(lambda c: c.patent_type.value)
    segments = fields.List(fields.String())
    ipc_group = fields.String(allow_none=True)
    maturity = fields.Function(lambda c: c.maturity.value if c.maturity else None)
    shared = fields.List(fields.String(), metadata={
        "description": "traits shared with the patent: segment, ipc_group, ipc_subclass, patent_type, maturity"})
    amount = Money(attribute="shown_amount", allow_none=True, metadata={
        "description": "per patent; null unless the caller is a party, the brokering agency or a platform admin"})
    seller = fields.String(metadata={"description": "the name when visible, else its kind only (a university …)"})
    buyer = fields.String()
    deal_id = fields.Integer(allow_none=True)
    license_id = fields.Integer(allow_none=True)


class PriceHelpSchema(Schema):
    patent_id = fields.Function(lambda h: h.patent.id)
    mode = fields.Enum(TransformationMode, by_value=True)
    basis = fields.String(metadata={"description": "close (same type, segment or IPC main group), neighbours "
                                                   "(fewer than 5 close ones: the nearest instead) or none"})
    count = fields.Integer(metadata={"description": "comparables the range is computed over"})
    close_count = fields.Integer()
    minimum = fields.Integer(metadata={"description": "comparables needed for a range (5)"})
    acquirers = fields.Integer(metadata={"label": _l("不同受让方数"),
                                         "description": "distinct buyers/licensees among the comparables"})
    minimum_acquirers = fields.Integer(metadata={"label": _l("所需不同受让方数"),
                                                 "description": "distinct acquirers needed for a range (5)"})
    median_minimum = fields.Integer(metadata={"label": _l("显示中位数所需交易数"),
                                              "description": "comparables needed before a median is shown (10)"})
    enough = fields.Boolean(metadata={"description": "false: no range is given (not enough comparable deals or "
                                                     "distinct acquirers)"})
    low = Money(allow_none=True, metadata={"description": "25th percentile per patent, rounded down to 2 significant "
                                                          "figures and never equal to one comparable's price"})
    median = Money(allow_none=True, metadata={"description": "2 significant figures, only over 10 comparables and "
                                                             "never equal to one comparable's price (else null)"})
    high = Money(allow_none=True, metadata={"description": "75th percentile per patent, rounded up likewise"})
    comparables = fields.List(fields.Nested(ComparableSchema), attribute="shown",
                              metadata={"description": "the 10 most recent of them"})


class IncomeArgs(Schema):
    annual_sales = fields.String(required=True, validate=TEXT, metadata={"description": "expected net sales a year"})
    royalty_rate = fields.String(required=True, validate=TEXT, metadata={"description": "percent of sales"})
    share = fields.String(validate=TEXT, metadata={"description": "percent of the royalty due to this patent "
                                                                  "(default 100)"})
    discount_rate = fields.String(validate=TEXT, metadata={"description": "percent a year (default 10)"})
    years = fields.String(validate=TEXT, metadata={"description": "default: the whole years left of the term"})


class IncomeSchema(Schema):
    annual_sales = Money()
    royalty_rate = fields.Decimal(as_string=True, places=2)
    share = fields.Decimal(as_string=True, places=2)
    discount_rate = fields.Decimal(as_string=True, places=2)
    years = fields.Integer()
    yearly = fields.List(Money(), metadata={"description": "each year's discounted royalty share"})
    value = Money(metadata={"description": "present value: the sum of yearly"})


@blp.get("/patents/<int:patent_id>/pricing")
@blp.arguments(PricingArgs, location="query")
@blp.response(200, PriceHelpSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def pricing(args: dict, patent_id: int):
    """Comparable concluded deals of the patent in one mode and, over at least five, the range and median per
    patent. Owners, linked co-owners, agencies (published patents), parties of a deal of it, platform admins."""
    user = api_user()
    patent = services.get_priced_patent(user, patent_id)
    return services.price_help(user, patent, services.parse_mode(args.get("mode"), patent))


@blp.get("/patents/<int:patent_id>/pricing/income")
@blp.arguments(IncomeArgs, location="query")
@blp.response(200, IncomeSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def income(args: dict, patent_id: int):
    """The income approach: expected annual sales × royalty rate × the patent's share, discounted each year over
    the remaining term (or ``years``)."""
    patent = services.get_priced_patent(api_user(), patent_id)
    return services.estimate_income(patent, args, local_today())
