"""API: technology needs — list and read public ones; companies post, change, close and reopen their own."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, Money, PageArgs, PageMeta, api_user, page_meta
from marketplace.needs import services
from marketplace.needs.models import NeedStatus
from marketplace.web import select_locale

blp = Blueprint("needs_api", __name__, url_prefix="/needs", description="技术需求 / technology needs")

OPTIONAL_AUTH: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]


class NeedOrganisationSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class IndustrySchema(Schema):
    code = fields.String(metadata={"description": "GB/T 4754 门类 letter, or letter and 大类 number", "example": "C38"})
    name = fields.String(metadata={"example": "制造业—电气机械和器材制造业"})


class NeedSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    segments = fields.List(fields.String(), metadata={"description": "industry segment codes"})
    industry = fields.Method("industry_tags", metadata={
        "description": "GB/T 4754 国民经济行业 tags as given; the segments they map to are in segments"})
    keywords = fields.List(fields.String())
    modes = fields.List(fields.String(), metadata={"description": "transfer, license, open_license, equity"})
    budget_min = Money(allow_none=True)
    budget_max = Money(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    status = fields.Enum(NeedStatus, by_value=True)
    public = fields.Boolean()
    expired = fields.Boolean(attribute="is_expired")
    listed = fields.Boolean(attribute="is_listed", metadata={"description": "shown in the public list"})
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    organisation = fields.Nested(NeedOrganisationSchema)

    def industry_tags(self, need) -> list[dict[str, str]]:
        catalogue = current_app.extensions["industries"]
        return [{"code": code, "name": catalogue.label(code, select_locale())} for code in need.industry_codes or []]


class NeedWriteSchema(Schema):
    """Fields a company sets; the services validate segments, modes, budget order and dates."""

    title = fields.String(metadata={"example": "LED升压恒流驱动的电路"})
    description = fields.String()
    segments = fields.List(fields.String(), metadata={
        "description": "segment codes or names; GB/T 4754 names here are taken as industry tags",
        "example": ["TM-A", "新材料"]})
    industry = fields.List(fields.String(), metadata={
        "description": "GB/T 4754 国民经济行业 门类/大类 names or codes; mapped to segments by the concordance",
        "example": ["制造业——电气机械和器材制造业"]})
    keywords = fields.List(fields.String())
    modes = fields.List(fields.String(), metadata={"example": ["transfer", "license"]})
    budget_min = Money(allow_none=True)
    budget_max = Money(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    public = fields.Boolean()


class NeedCreateSchema(NeedWriteSchema):
    title = fields.String(required=True, metadata={"example": "LED升压恒流驱动的电路"})


class NeedPatchSchema(NeedWriteSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in NeedStatus]),
                           metadata={"description": "closed closes the need, open reopens it"})


class NeedListArgs(PageArgs):
    segment = fields.String(metadata={"description": "segment code or name; its sub-segments match too"})
    mode = fields.String(metadata={"description": "transfer, license, open_license or equity"})
    q = fields.String(metadata={"description": "text in the title"})
    mine = fields.Boolean(load_default=False,
                          metadata={"description": "the caller's company's needs, closed and private ones included"})


class NeedPage(Schema):
    items = fields.List(fields.Nested(NeedSchema))
    meta = fields.Nested(PageMeta)


@blp.get("")
@blp.arguments(NeedListArgs, location="query")
@blp.response(200, NeedPage)
@blp.alt_response(422, schema=ErrorSchema)
@blp.doc(security=OPTIONAL_AUTH)
def list_needs(args: dict):
    """Open, public, unexpired needs, newest first; ``mine=true`` lists the caller's own instead."""
    if args["mine"]:
        page = services.list_organisation_needs(api_user(), args["page"], args["per_page"])
    else:
        page = services.list_public_needs(services.parse_need_filters(args), args["page"], args["per_page"])
    return {"items": page.items, "meta": page_meta(args["page"], args["per_page"], page.total or 0)}


@blp.post("")
@blp.arguments(NeedCreateSchema)
@blp.response(201, NeedSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def create_need(body: dict):
    """Post a need for the caller's company (companies only)."""
    return services.create_need(api_user(), body)


@blp.get("/<int:need_id>")
@blp.response(200, NeedSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.doc(security=OPTIONAL_AUTH)
def get_need(need_id: int):
    """A public need, or a private one of the caller's organisation."""
    return services.get_visible_need(api_user(required=False), need_id)


@blp.patch("/<int:need_id>")
@blp.arguments(NeedPatchSchema)
@blp.response(200, NeedSchema)
@blp.alt_response(403, schema=ErrorSchema)
@blp.alt_response(404, schema=ErrorSchema)
@blp.alt_response(422, schema=ErrorSchema)
def patch_need(body: dict, need_id: int):
    """Change the given fields; ``status`` closes or reopens, after the other fields are applied."""
    user = api_user()
    status = body.pop("status", None)
    need = services.update_need(user, need_id, body)
    if status == NeedStatus.CLOSED:
        need = services.close_need(user, need_id)
    elif status == NeedStatus.OPEN:
        need = services.reopen_need(user, need_id)
    return need
