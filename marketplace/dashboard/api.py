"""API: the caller's home, the same sections as the page."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.api.common import ErrorSchema, api_user
from marketplace.dashboard import services
from marketplace.dashboard.routes import linked

blp = Blueprint("dashboard_api", __name__, url_prefix="/home", description="我的工作台 / home")


class HomeItemSchema(Schema):
    label = fields.String()
    detail = fields.String()
    url = fields.String(metadata={"description": "the page where the item is handled"})


class HomeSectionSchema(Schema):
    key = fields.String(metadata={"description": "drafts, incomplete, interest, consents, declarations, recordals, "
                                                 "payments, matches, pushes, licenses, payments_due, saved_searches, "
                                                 "pipeline, targets, events"})
    title = fields.String()
    count = fields.Integer(metadata={"description": "how many items the section holds (only the first few listed)"})
    url = fields.String(metadata={"description": "the page listing them all"})
    items = fields.List(fields.Nested(HomeItemSchema))


class HomeSchema(Schema):
    role = fields.String(metadata={"description": "supplier, company, agency or other"})
    sections = fields.List(fields.Nested(HomeSectionSchema))


@blp.get("")
@blp.response(200, HomeSchema)
@blp.alt_response(401, schema=ErrorSchema)
def get_home():
    """The caller's organisation's next actions: per section a count, the first few items, and links."""
    return linked(services.build_home(api_user()))
