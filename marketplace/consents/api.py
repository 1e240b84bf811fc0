"""API: the caller's organisation's to-do list of acts awaiting its consent, and its decisions.

The schemas here also describe the proposals shown in the representation of
every object that waits for consents (deals, pledges, open licenses, payments).
"""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, PageArgs, PageMeta, RefSchema, api_user, page_meta
from marketplace.api.inputs import Text
from marketplace.consents import services
from marketplace.consents.models import ConsentAct, ConsentRole, Decision, ProposalStatus

blp = Blueprint("consents_api", __name__, url_prefix="/consents", description="待我确认 / consents")


class ConsentSchema(Schema):
    """One organisation's decision: who decided, on which version of the terms, when, and why."""

    id = fields.Integer()
    organisation = fields.Nested(RefSchema)
    role = fields.Enum(ConsentRole, by_value=True)
    terms_version = fields.Integer(metadata={"description": "the version of the terms this consent is about"})
    decision = fields.Enum(Decision, by_value=True)
    decided_by = fields.Nested(RefSchema, allow_none=True)
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    comment = fields.String()


class ProposalSummarySchema(Schema):
    """An act proposed on an object."""

    id = fields.Integer()
    act = fields.Enum(ConsentAct, by_value=True)
    status = fields.Enum(ProposalStatus, by_value=True,
                         metadata={"description": "pending, effective (every party approved), rejected, lapsed "
                                                  "(the terms changed or the object was cancelled)"})
    subject_type = fields.String()
    subject_id = fields.Integer()
    terms_version = fields.Integer()
    summary = fields.String()
    details = fields.Dict()
    proposer_organisation = fields.Nested(RefSchema, allow_none=True)
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class ProposalSchema(ProposalSummarySchema):
    """An act proposed on an object, and every party's consent to it."""

    consents = fields.List(fields.Nested(ConsentSchema))


class ConsentItemSchema(ConsentSchema):
    proposal = fields.Nested(ProposalSummarySchema)


class ConsentListArgs(PageArgs):
    state = fields.String(load_default="pending", validate=validate.OneOf(["pending", "decided"]),
                          metadata={"description": "pending: the to-do list; decided: past consents"})


class ConsentPage(Schema):
    items = fields.List(fields.Nested(ConsentItemSchema))
    meta = fields.Nested(PageMeta)


class DecisionSchema(Schema):
    """A decision's comment: the API's body and the consent panel's form (``api.inputs.load_form``)."""

    comment = Text(max=services.MAX_COMMENT, load_default="")


@blp.get("")
@blp.arguments(ConsentListArgs, location="query")
@blp.response(200, ConsentPage)
def list_consents(args: dict):
    """Acts awaiting the caller's organisation's consent (``state=decided``: its past decisions)."""
    user = api_user()
    listing = services.awaiting if args["state"] == "pending" else services.decided
    items, total = listing(user, args["page"], args["per_page"])
    return {"items": items, "meta": page_meta(args["page"], args["per_page"], total)}


@blp.get("/<int:consent_id>")
@blp.response(200, ConsentItemSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_consent(consent_id: int):
    """One consent of the caller's organisation, with the act it is about."""
    return services.get_consent(api_user(), consent_id)


@blp.post("/<int:consent_id>/approve")
@blp.arguments(DecisionSchema)
@blp.response(200, ConsentItemSchema)
@blp.alt_response(403, schema=ErrorSchema, description="platform admins never consent for a party")
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema, description="already decided, closed, or a legal rule refuses the act")
def approve(body: dict, consent_id: int):
    """Approve for the caller's organisation; the act takes effect once every party has approved."""
    return services.decide(api_user(), consent_id, True, body["comment"])


@blp.post("/<int:consent_id>/reject")
@blp.arguments(DecisionSchema)
@blp.response(200, ConsentItemSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
def reject(body: dict, consent_id: int):
    """Refuse for the caller's organisation: the proposal ends."""
    return services.decide(api_user(), consent_id, False, body["comment"])
