"""API: pledge registrations, for the pledgor, the pledgee bank, the agency and platform admins."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, PageArgs, PageMeta, api_user, page_meta
from marketplace.api.inputs import Choice, Text
from marketplace.consents.api import ProposalSchema
from marketplace.pledges import services
from marketplace.pledges.models import PledgeStatus

blp = Blueprint("pledges_api", __name__, url_prefix="/pledges", description="质押融资 / pledge financing")


class PledgePartySchema(Schema):
    id = fields.Integer()
    name = fields.String()


class PledgedPatentSchema(Schema):
    id = fields.Integer()
    application_number = fields.String()
    title = fields.String()


class PledgeSchema(Schema):
    id = fields.Integer()
    status = fields.Enum(PledgeStatus, by_value=True,
                         metadata={"description": "proposed (awaiting consents), registered, released, rejected"})
    pledgor = fields.Nested(PledgePartySchema)
    pledgee = fields.Nested(PledgePartySchema)
    agency = fields.Nested(PledgePartySchema, allow_none=True)
    patents = fields.List(fields.Nested(PledgedPatentSchema))
    amount = Money()
    term_start = fields.Date()
    term_end = fields.Date()
    registration_number = fields.String()
    registered_on = fields.Date()
    released_on = fields.Date(allow_none=True)
    terms_version = fields.Integer()
    invalidation_accepted = fields.Boolean()
    open_license_consent = fields.Boolean()
    open_license_consent_on = fields.Date(allow_none=True)
    open_license_consent_reference = fields.String(allow_none=True)
    proposals = fields.List(fields.Nested(ProposalSchema),
                            metadata={"description": "registration and release, with each party's consent"})


class PledgeCreateSchema(Schema):
    """A pledge registration: the API's body and the entry page's form (``api.inputs.load_form``)."""

    pledgor_id = fields.Integer(required=True, metadata={"description": "the patentee"})
    pledgee_id = fields.Integer(required=True, metadata={
        "label": _l("质权人（银行、担保公司等金融机构）"),
        "description": "a bank, guarantee company or other financial organisation (PLEDGEE_KINDS)"})
    patent_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    amount = Money(required=True, metadata={"label": _l("融资金额（元）"), "description": "amount financed, CNY"})
    term_start = fields.Date(allow_none=True, metadata={"label": _l("债务履行期限起")})
    term_end = fields.Date(required=True, metadata={"label": _l("债务履行期限止"),
                                                    "description": "end of the debt's term; not past any patent's "
                                                                   "expiry"})
    registration_number = Text(required=True, max=64)
    registered_on = fields.Date(allow_none=True)
    invalidation_accepted = fields.Boolean(load_default=False, metadata={
        "description": "the parties accept in writing that an invalidation request is pending"})
    open_license_consent = fields.Boolean(load_default=False,
                                          metadata={"description": "the pledgee states in writing that open licenses "
                                                                   "of these patents may continue"})
    open_license_consent_reference = Text(max=200, allow_none=True)


class ReleaseSchema(Schema):
    released_on = fields.Date(allow_none=True)


class OpenLicenseConsentSchema(Schema):
    consent_on = fields.Date(allow_none=True)
    reference = Text(max=200, load_default="", metadata={"label": _l("同意书编号")})


class PledgeListArgs(PageArgs):
    status = fields.String(validate=Choice(PledgeStatus))


class PledgePage(Schema):
    items = fields.List(fields.Nested(PledgeSchema))
    meta = fields.Nested(PageMeta)


@blp.get("")
@blp.arguments(PledgeListArgs, location="query")
@blp.response(200, PledgePage)
def list_pledges(args: dict):
    """Pledges the caller's organisation pledged, holds as pledgee or brokered (all, for platform admins)."""
    items, total = services.list_pledges(api_user(), args, args["page"], args["per_page"])
    return {"items": items, "meta": page_meta(args["page"], args["per_page"], total)}


@blp.post("")
@blp.arguments(PledgeCreateSchema)
@blp.response(201, PledgeSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="refused: `fields` names each reason (DOMAIN §5)")
@blp.alt_response(422, schema=ErrorSchema)
def register_pledge(body: dict):
    """Propose a pledge registration, as pledgor, pledgee or brokering agency; it is registered once
    pledgor, pledgee and every co-owner have consented."""
    return services.register_pledge(api_user(), body)


@blp.get("/<int:pledge_id>")
@blp.response(200, PledgeSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_pledge(pledge_id: int):
    return services.get_pledge(api_user(), pledge_id)


@blp.post("/<int:pledge_id>/release")
@blp.arguments(ReleaseSchema)
@blp.response(200, PledgeSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
def release_pledge(body: dict, pledge_id: int):
    """Propose the release (注销): effective at once when the pledgee proposes it, else once it agrees."""
    return services.release_pledge(api_user(), pledge_id, body.get("released_on"))


@blp.post("/<int:pledge_id>/open-license-consent")
@blp.arguments(OpenLicenseConsentSchema)
@blp.response(200, PledgeSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
def open_license_consent(body: dict, pledge_id: int):
    """The pledgee's written consent to open licenses of the pledged patents (pledgee only)."""
    return services.record_open_license_consent(api_user(), pledge_id, body.get("consent_on"), body["reference"])
