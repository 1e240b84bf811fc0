"""API: list, read, create, edit, publish and delete patents.

Reads are open (drafts only to their owner); writes need a bearer token. The
same services as the pages validate input, so a wrong application number
answers 422 naming the check digit it should have, a number already listed
409, and another organisation's patent 404.
"""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, PageArgs, PageMeta, api_user, page_meta
from marketplace.core.i18n import gettext as _
from marketplace.core.errors import Unauthorized, ValidationFailed
from marketplace.accounts.permissions import require_organisation
from marketplace.patents import co_owners, queries, services
from marketplace.patents.vocab import LegalStatus, Maturity, PatentType, PublicationState, TransformationMode

blp = Blueprint("patents_api", __name__, url_prefix="/patents", description="专利 / patents")


def _one_of(enum_cls) -> validate.OneOf:
    return validate.OneOf([m.value for m in enum_cls])


class PatentQueryArgs(PageArgs):
    q = fields.String(load_default="", metadata={"description": "标题关键词 / words in the title"})
    segment = fields.String(metadata={"description": "产业领域代码，含下级 / segment code, children included"})
    grade = fields.String()
    patent_type = fields.String(validate=_one_of(PatentType))
    legal_status = fields.String(validate=_one_of(LegalStatus))
    owner_id = fields.Integer()
    sort = fields.String(load_default="newest", validate=validate.OneOf(queries.SORTS))
    mine = fields.Boolean(load_default=False, metadata={
        "description": "本机构的专利（含草稿）/ the caller's organisation's patents, drafts included"})
    state = fields.String(validate=_one_of(PublicationState), metadata={"description": "only with mine=true"})


class OwnerSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class PatentSchema(Schema):
    id = fields.Integer(dump_only=True)
    application_number = fields.String(required=True, metadata={"example": "201710601862.3"})
    patent_number = fields.String(dump_only=True, allow_none=True)
    publication_numbers = fields.List(fields.String(), metadata={"example": ["CN108572939B"]})
    patent_type = fields.String(allow_none=True, validate=_one_of(PatentType), metadata={
        "description": "omitted: decided by the application number's type digit; a contradicting type is a 422"})
    title = fields.String(required=True)
    abstract = fields.String()
    first_claim = fields.String()
    ipc_main = fields.String(allow_none=True, metadata={"example": "H01M 10/0525"})
    ipc_codes = fields.List(fields.String())
    owner = fields.Nested(OwnerSchema, dump_only=True)
    co_owners = fields.List(fields.String())
    inventors = fields.List(fields.String())
    application_date = fields.Date(allow_none=True)
    publication_date = fields.Date(allow_none=True)
    grant_date = fields.Date(allow_none=True)
    legal_status = fields.String(validate=_one_of(LegalStatus))
    legal_status_on = fields.Date(allow_none=True, metadata={
        "description": "when the legal status began; required for invalidation_pending (the request's date)"})
    expiry = fields.Date(dump_only=True, allow_none=True,
                         metadata={"description": "end of the term, from the filing date and the type"})
    proceedings_suspended = fields.Boolean()
    evaluation_report = fields.String(allow_none=True, validate=validate.OneOf(["positive", "negative"]))
    grade = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    segments = fields.List(fields.String(), metadata={"description": "segment codes or names"})
    modes = fields.List(fields.String(validate=_one_of(TransformationMode)))
    maturity = fields.String(allow_none=True, validate=_one_of(Maturity))
    price_min = Money(allow_none=True)
    price_max = Money(allow_none=True)
    state = fields.String(dump_only=True)
    published_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class PatentCreate(PatentSchema):
    publish = fields.Boolean(load_default=False, load_only=True,
                             metadata={"description": "publish at once instead of keeping a draft"})


class PatentUpdate(PatentSchema):
    state = fields.String(validate=_one_of(PublicationState),
                          metadata={"description": "published or draft: publish or unpublish"})


class PatentPageMeta(PageMeta):
    more = fields.Boolean(metadata={"description": f"true when ``total`` is a lower bound: matches are counted "
                                                   f"{queries.PAGES_AHEAD} pages past the requested one"})


class PatentList(Schema):
    items = fields.List(fields.Nested(PatentSchema))
    meta = fields.Nested(PatentPageMeta)


@blp.get("")
@blp.arguments(PatentQueryArgs, location="query")
@blp.response(200, PatentList)
@blp.doc(security=[])
def list_patents(args: dict):
    """Published patents, or with ``mine=true`` all of the caller's organisation's patents."""
    filters = queries.PatentFilters.from_values(args)
    if args["mine"]:
        user = api_user(required=False)
        if user is None:
            raise Unauthorized(_("mine=true 需要登录或 API 令牌"))
        result = queries.list_for_organisation(require_organisation(user).id, filters, args["page"], args["per_page"])
    else:
        result = queries.list_published(filters, args["page"], args["per_page"])
    return {"items": result.items, "meta": {**page_meta(result.page, result.per_page, result.total), "more": result.more}}


@blp.post("")
@blp.arguments(PatentCreate)
@blp.response(201, PatentSchema)
def create(body: dict):
    """Add a patent to the caller's inventory, as a draft unless ``publish`` is true."""
    user = api_user()
    publish = body.pop("publish")
    patent = services.create_patent(user, body)
    if publish:
        services.set_published(user, [patent.id], True)
    return patent


@blp.get("/<int:patent_id>")
@blp.response(200, PatentSchema)
@blp.doc(security=[])
def read(patent_id: int):
    """A published patent, or a draft of the caller's own organisation."""
    return services.get_visible_patent(api_user(required=False), patent_id)


@blp.patch("/<int:patent_id>")
@blp.arguments(PatentUpdate(partial=True))
@blp.response(200, PatentSchema)
def update(body: dict, patent_id: int):
    """Change the given fields only; ``state`` publishes or unpublishes after the change."""
    user = api_user()
    state = body.pop("state", None)
    patent = services.update_patent(user, patent_id, body)
    if state is not None:
        services.set_published(user, [patent.id], state == PublicationState.PUBLISHED)
    return patent


@blp.delete("/<int:patent_id>")
@blp.response(204)
def delete(patent_id: int):
    """Delete a draft (a published patent must be unpublished first: 409)."""
    services.delete_patent(api_user(), patent_id)


class BulkFilters(Schema):
    """The inventory filter ``all_matching`` applies to (as the page's filter bar)."""

    q = fields.String(load_default="", validate=validate.Length(max=100))
    segment = fields.String()
    grade = fields.String()
    patent_type = fields.String(validate=_one_of(PatentType))
    legal_status = fields.String(validate=_one_of(LegalStatus))
    state = fields.String(validate=_one_of(PublicationState))


class BulkSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(services.BULK_ACTIONS))
    patent_ids = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=services.BULK_LIMIT),
                             metadata={"description": "the patents to change (ignored with all_matching)"})
    all_matching = fields.Boolean(load_default=False, metadata={
        "description": f"apply to every patent of the caller's organisation that ``filters`` finds, re-evaluated "
                       f"on the server; more than {services.BULK_LIMIT} is a 422"})
    filters = fields.Nested(BulkFilters, load_default=dict)
    grade = fields.String(allow_none=True)
    tags = fields.String(metadata={"description": "comma- or semicolon-separated, for add_tags / replace_tags"})
    segments = fields.List(fields.String())
    modes = fields.List(fields.String(validate=_one_of(TransformationMode)))
    maturity = fields.String(allow_none=True, validate=_one_of(Maturity))


class BulkResult(Schema):
    updated = fields.Integer()


@blp.post("/bulk")
@blp.arguments(BulkSchema)
@blp.response(200, BulkResult)
@blp.alt_response(404, schema=ErrorSchema, description="a patent_id is not the caller's")
def bulk(body: dict):
    """One inventory bulk action on the listed patents, or on all the filter finds (all or none)."""
    user = api_user()
    if body["all_matching"]:
        ids = services.matching_ids(user, queries.PatentFilters.from_values(body["filters"]))
    elif body["patent_ids"]:
        ids = body["patent_ids"]
    else:
        raise ValidationFailed.field("patent_ids", _("请先勾选专利"))
    return {"updated": services.apply_bulk(user, body["action"], ids, body)}


class CoOwnerSchema(Schema):
    name = fields.String()
    organisation = fields.Nested(OwnerSchema, allow_none=True,
                                 metadata={"description": "the organisation that consents for this co-owner"})
    invited_email = fields.Function(lambda view: view.link.invited_email if view.link else None, allow_none=True)
    candidates = fields.List(fields.Nested(OwnerSchema),
                             metadata={"description": "organisations registered under this name"})


class CoOwnerLinkSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organisation_id = fields.Integer(required=True, allow_none=True,
                                     metadata={"description": "null removes the link"})


class CoOwnerInviteSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.String(required=True, validate=validate.Length(max=254))


@blp.get("/<int:patent_id>/co-owners")
@blp.response(200, CoOwnerSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
def list_co_owners(patent_id: int):
    """The patent's co-owners and the organisations that consent for them (patent owner only)."""
    return co_owners.co_owners_of(api_user(), patent_id)


@blp.put("/<int:patent_id>/co-owners")
@blp.arguments(CoOwnerLinkSchema)
@blp.response(200, CoOwnerSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema, description="the organisation is not registered under that name")
def link_co_owner(body: dict, patent_id: int):
    """Link a co-owner name to the organisation registered under that name (patent owner only)."""
    user = api_user()
    co_owners.link_co_owner(user, patent_id, body["name"], body["organisation_id"])
    return co_owners.co_owners_of(user, patent_id)


@blp.post("/<int:patent_id>/co-owners/invite")
@blp.arguments(CoOwnerInviteSchema)
@blp.response(200, CoOwnerSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(409, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def invite_co_owner(body: dict, patent_id: int):
    """E-mail a co-owner without an account an invitation to register (patent owner only)."""
    user = api_user()
    co_owners.invite_co_owner(user, patent_id, body["name"], body["email"])
    return co_owners.co_owners_of(user, patent_id)
