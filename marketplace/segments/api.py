"""API: the industry-segment taxonomy."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.web import select_locale

blp = Blueprint("segments_api", __name__, url_prefix="/segments", description="产业领域 / industry segments")


class SegmentNode(Schema):
    code = fields.String()
    name = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    children = fields.List(fields.Nested(lambda: SegmentNode()))


@blp.get("")
@blp.response(200, SegmentNode(many=True))
@blp.doc(security=[])
def segment_tree():
    """The hierarchical taxonomy used to tag patents and needs and to route pushes."""
    return current_app.extensions["taxonomy"].as_tree(select_locale())
