"""API: the deal ledger, for the parties of each deal, its agency and platform admins."""
from __future__ import annotations

from flask_smorest import Blueprint
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, PageArgs, PageMeta, api_user, page_meta
from marketplace.api.inputs import Choice, Parsed, Text
from marketplace.consents.api import ProposalSchema
from marketplace.deals import payments as deal_payments
from marketplace.deals import services
from marketplace.deals.models import DealMode, DealStatus, LicenseKind
from marketplace.deals.terms import AMENDABLE, parse_percent

blp = Blueprint("deals_api", __name__, url_prefix="/deals", description="交易 / deals")

ENTRY_STATUSES = [DealStatus.NEGOTIATING, DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED]


class DealPartySchema(Schema):
    id = fields.Integer()
    name = fields.String()


class DealPatentSchema(Schema):
    id = fields.Integer()
    application_number = fields.String()
    title = fields.String()


class AmendmentSchema(Schema):
    id = fields.Integer()
    changes = fields.Dict(metadata={"description": "{field: [old, new]}"})
    reason = fields.String()
    organisation = fields.Nested(DealPartySchema, allow_none=True)
    created_at = fields.DateTime()


class DealSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    mode = fields.Enum(DealMode, by_value=True)
    license_kind = fields.Enum(LicenseKind, by_value=True, allow_none=True)
    status = fields.Enum(DealStatus, by_value=True)
    seller = fields.Nested(DealPartySchema)
    buyer = fields.Nested(DealPartySchema)
    agency = fields.Nested(DealPartySchema, allow_none=True)
    patents = fields.List(fields.Nested(DealPatentSchema))
    amount = Money()
    contract_date = fields.Date(allow_none=True)
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    recordal_number = fields.String(allow_none=True)
    recorded_on = fields.Date(allow_none=True)
    completed_on = fields.Date(allow_none=True)
    cancelled_on = fields.Date(allow_none=True)
    match_id = fields.Integer(allow_none=True)
    notes = fields.String()
    reserve_price = Money(allow_none=True, metadata={"label": _l("保留价"), "description": "auction only"})
    auction_house = fields.String(attribute="auction_house_label",
                                  metadata={"label": _l("拍卖机构"), "description": "auction only"})
    auction_house_id = fields.Integer(allow_none=True, metadata={"label": _l("拍卖机构（平台上的机构）")})
    auction_date = fields.Date(allow_none=True, metadata={"label": _l("拍卖日")})
    fee_share = fields.Decimal(as_string=True, places=2, allow_none=True,
                               metadata={"label": _l("运营方分成比例（%）"), "description": "entrusted operation only"})
    operation_scope = fields.String(allow_none=True, metadata={"label": _l("委托范围")})
    terms_version = fields.Integer(metadata={"description": "raised by every edit; consents are to one version"})
    amendments = fields.List(fields.Nested(AmendmentSchema))
    proposals = fields.List(fields.Nested(ProposalSchema),
                            metadata={"description": "signing and later steps, with each party's consent"})
    created_at = fields.DateTime()


class DealFieldsSchema(Schema):
    """A deal's own fields: the API's body and the entry and edit pages' form (``api.inputs.load_form``)."""

    title = Text(max=300, metadata={"label": _l("交易名称")})
    amount = Money(metadata={"label": _l("合同金额（元）"), "description": "CNY, 2 places; 0 only for free licenses"})
    contract_date = fields.Date(allow_none=True)
    term_start = fields.Date(allow_none=True)
    term_end = fields.Date(allow_none=True)
    recordal_number = Text(max=64, allow_none=True)
    match_id = fields.Integer(allow_none=True, metadata={"description": "the stored match the deal came from"})
    notes = Text(max=5000)
    reserve_price = Money(allow_none=True, metadata={
        "label": _l("保留价（元）"), "description": "auction: the amount (hammer price) may not be below it"})
    auction_house_id = fields.Integer(allow_none=True, metadata={"label": _l("拍卖机构（平台上的机构）")})
    auction_house_name = Text(max=200, allow_none=True, metadata={"label": _l("拍卖机构名称（平台外）")})
    auction_date = fields.Date(allow_none=True, metadata={
        "label": _l("拍卖日"), "description": "not after today, not before the patents were listed"})
    fee_share = Parsed(parse_percent, allow_none=True, metadata={
        "label": _l("运营方分成比例（%）"), "description": "entrusted operation: 0–100, 2 decimals"})
    operation_scope = Text(max=1000, allow_none=True, metadata={"label": _l("委托范围")})


class DealCreateSchema(DealFieldsSchema):
    mode = fields.String(required=True, validate=Choice(DealMode), metadata={"label": _l("交易方式")})
    license_kind = fields.String(allow_none=True, validate=Choice(LicenseKind))
    seller_id = fields.Integer(required=True, metadata={"description": "the patentee: assignor, licensor, contributor"})
    buyer_id = fields.Integer(required=True, metadata={
        "label": _l("受让方/被许可方/竞得人/运营方"),
        "description": "assignee, licensee, the winning bidder of an auction, the operator (an agency) of an "
                       "entrusted operation"})
    agency_id = fields.Integer(allow_none=True, metadata={"description": "set automatically when an agency records"})
    patent_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    amount = Money(required=True, metadata={"label": _l("合同金额（元）")})
    status = fields.String(load_default="negotiating", validate=Choice(ENTRY_STATUSES),
                           metadata={"label": _l("各方确认后的状态"),
                                     "description": "a deal already signed, recorded or completed outside the "
                                                    "platform: it gets there once every party has signed"})
    recorded_on = fields.Date(allow_none=True)
    completed_on = fields.Date(allow_none=True)


class DealPatchSchema(DealFieldsSchema):
    status = fields.String(validate=Choice(DealStatus),
                           metadata={"label": _l("新状态"),
                                     "description": "propose recorded, completed or cancelled (signing comes from "
                                                    "every party's consent); see the deal's proposals"})
    recorded_on = fields.Date(allow_none=True)
    completed_on = fields.Date(allow_none=True)


class AmendmentWriteSchema(Schema):
    reason = Text(required=True, max=1000, metadata={"label": _l("更正理由")})
    changes = fields.Dict(keys=fields.String(validate=validate.OneOf(AMENDABLE)), required=True,
                          metadata={"example": {"amount": "1200000.00"}})


class EndEntrustmentSchema(Schema):
    ended_on = fields.Date(allow_none=True, metadata={"label": _l("终止日"), "description": "default today"})


class DealListArgs(PageArgs):
    mode = fields.String(validate=Choice(DealMode))
    status = fields.String(validate=Choice(DealStatus))
    patent_id = fields.Integer()


class DealPage(Schema):
    items = fields.List(fields.Nested(DealSchema))
    meta = fields.Nested(PageMeta)


@blp.get("")
@blp.arguments(DealListArgs, location="query")
@blp.response(200, DealPage)
def list_deals(args: dict):
    """Deals the caller's organisation is a party to or brokered (all, for platform admins)."""
    items, total = services.list_deals(api_user(), args, args["page"], args["per_page"])
    return {"items": items, "meta": page_meta(args["page"], args["per_page"], total)}


@blp.post("")
@blp.arguments(DealCreateSchema)
@blp.response(201, DealSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="a legal rule refuses the deal; `fields` names each reason")
@blp.alt_response(422, schema=ErrorSchema)
def create_deal(body: dict):
    """Record a deal as a party or as the brokering agency; every party is then asked to sign it."""
    return services.record_deal(api_user(), body)


@blp.get("/<int:deal_id>")
@blp.response(200, DealSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_deal(deal_id: int):
    """One deal, for its parties, its agency and platform admins."""
    return services.get_deal(api_user(), deal_id)


@blp.patch("/<int:deal_id>")
@blp.arguments(DealPatchSchema)
@blp.response(200, DealSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def patch_deal(body: dict, deal_id: int):
    """Edit a negotiating deal (every party is asked again) and/or propose its next status."""
    return services.update_deal(api_user(), deal_id, body)


@blp.post("/<int:deal_id>/amendments")
@blp.arguments(AmendmentWriteSchema)
@blp.response(201, ProposalSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def amend_deal(body: dict, deal_id: int):
    """Propose a correction of a signed deal; it applies, with its reason, once seller and buyer agree."""
    return services.amend_deal(api_user(), deal_id, body)


@blp.post("/<int:deal_id>/end")
@blp.arguments(EndEntrustmentSchema)
@blp.response(200, DealSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def end_entrustment(body: dict, deal_id: int):
    """The owner ends an entrusted operation in force (alone); the deal is then completed on ``ended_on``."""
    return services.end_entrustment(api_user(), deal_id, body)


class DealPaymentSchema(Schema):
    id = fields.Integer()
    amount = Money()
    paid_on = fields.Date()
    reference = fields.String(allow_none=True)
    status = fields.String(attribute="status.value", metadata={"description": "reported, confirmed or rejected"})
    confirmed_at = fields.DateTime(allow_none=True)


class DealPaymentWriteSchema(Schema):
    amount = Money(required=True, metadata={"label": _l("付款金额（元）")})
    paid_on = fields.Date(required=True, metadata={"description": "not in the future, not before the contract"})
    reference = Text(max=100, load_default="", metadata={"label": _l("付款凭证号")})


@blp.get("/<int:deal_id>/payments")
@blp.response(200, DealPaymentSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
def list_payments(deal_id: int):
    """The payments of a deal: reported, confirmed by the seller (the only ones that count) or rejected."""
    return deal_payments.payments_of(services.get_deal(api_user(), deal_id).id)


@blp.post("/<int:deal_id>/payments")
@blp.arguments(DealPaymentWriteSchema)
@blp.response(201, DealPaymentSchema)
@blp.alt_response(403, schema=ErrorSchema, description="not the seller or the buyer")
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="an equity deal, or the deal does not bind yet")
@blp.alt_response(422, schema=ErrorSchema)
def record_payment(body: dict, deal_id: int):
    """Report (buyer) or record (seller) a payment of a binding transfer or license; it counts once the seller
    confirms it (`/consents`), at once when the seller records it."""
    return deal_payments.record_payment(api_user(), deal_id, body)
