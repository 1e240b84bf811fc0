"""API: the industry-segment taxonomy, the two concordances, and segment suggestions for the caller's patents."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import PageArgs, PageMeta, api_user, page_meta
from marketplace.patents.queries import PatentFilters
from marketplace.patents.vocab import PublicationState
from marketplace.segments import suggestions
from marketplace.web import select_locale

blp = Blueprint("segments_api", __name__, url_prefix="/segments", description="产业领域 / industry segments")


class SegmentNode(Schema):
    code = fields.String()
    name = fields.String(metadata={"description": "unique label in the visitor's language"})
    name_zh = fields.String()
    name_en = fields.String()
    children = fields.List(fields.Nested(lambda: SegmentNode()))


@blp.get("")
@blp.response(200, SegmentNode(many=True))
@blp.doc(security=[])
def segment_tree():
    """The hierarchical taxonomy used to tag patents and needs and to route pushes."""
    return current_app.extensions["taxonomy"].as_tree(select_locale())


class IndustryNode(Schema):
    code = fields.String(metadata={"example": "C38"})
    name = fields.String(metadata={"example": "电气机械和器材制造业"})
    name_en = fields.String()
    section = fields.String(allow_none=True, metadata={"description": "the 门类 of a 大类"})
    segments = fields.List(fields.String(), metadata={"description": "segments the concordance maps it to"})


@blp.get("/industries")
@blp.response(200, IndustryNode(many=True))
@blp.doc(security=[])
def industries():
    """GB/T 4754-2017 门类 and 大类 accepted on needs, with the segments each maps to."""
    return [{"code": i.code, "name": i.name, "name_en": i.name_en, "section": i.section, "segments": list(i.segments)}
            for i in current_app.extensions["industries"]]


class SuggestionSchema(Schema):
    segment = fields.String(metadata={"example": "TM-F1"})
    label = fields.String(metadata={"example": "能源与节能/新能源"})
    ipc = fields.String(metadata={"description": "the patent's IPC code that gave it", "example": "H01M 10/0525"})
    rule = fields.String(metadata={"description": "the concordance entry that matched", "example": "H01M"})
    basis = fields.String(metadata={"description": "sei2021 (CNIPA 2021 table) or rule (IPC subclass rule)"})
    sei = fields.String(allow_none=True, metadata={"description": "SEI 2018 code of a sei2021 row", "example": "6.3"})


class PatentSuggestions(Schema):
    patent_id = fields.Integer()
    title = fields.String()
    segments = fields.List(fields.String(), metadata={"description": "segments the patent has"})
    suggestions = fields.List(fields.Nested(SuggestionSchema))


class SuggestionPage(Schema):
    items = fields.List(fields.Nested(PatentSuggestions))
    meta = fields.Nested(PageMeta)


class SuggestionArgs(PageArgs):
    q = fields.String(load_default="", metadata={"description": "words in the title"})
    segment = fields.String(metadata={"description": "only patents in this segment (children included)"})
    state = fields.String(validate=validate.OneOf([s.value for s in PublicationState]))


def _dump(patent, found) -> dict:
    taxonomy, locale = current_app.extensions["taxonomy"], select_locale()
    return {"patent_id": patent.id, "title": patent.title, "segments": patent.segments,
            "suggestions": [{"segment": s.segment, "label": taxonomy.label(s.segment, locale), "ipc": s.ipc,
                             "rule": s.rule, "basis": s.basis, "sei": s.sei} for s in found]}


@blp.get("/suggestions")
@blp.arguments(SuggestionArgs, location="query")
@blp.response(200, SuggestionPage)
def list_suggestions(args: dict):
    """The caller's organisation's patents that have segments suggested from their IPC codes."""
    page = suggestions.pending_suggestions(api_user(), PatentFilters.from_values(args), args["page"], args["per_page"])
    return {"items": [_dump(patent, found) for patent, found in page.items],
            "meta": page_meta(page.page, page.per_page, page.total)}


@blp.get("/suggestions/<int:patent_id>")
@blp.response(200, PatentSuggestions)
def patent_suggestions(patent_id: int):
    """Pending suggestions for one of the caller's patents (another organisation's answers 404)."""
    return _dump(*suggestions.suggestions_for_owner(api_user(), patent_id))


class AcceptBody(Schema):
    patent_ids = fields.List(fields.Integer(), metadata={"description": "accept for these patents"})
    all = fields.Boolean(load_default=False, metadata={
        "description": "accept for every patent the filters (q, segment, state) find"})
    q = fields.String(load_default="")
    segment = fields.String()
    state = fields.String(validate=validate.OneOf([s.value for s in PublicationState]))


class AcceptResult(Schema):
    patents = fields.Integer(metadata={"description": "patents that gained segments"})
    segments = fields.Integer(metadata={"description": "segments added in all"})


@blp.post("/suggestions/accept")
@blp.arguments(AcceptBody)
@blp.response(200, AcceptResult)
def accept(body: dict):
    """Add the suggested segments: audited, and sent to search and pushes through the outbox."""
    user = api_user()
    if body.get("all"):
        outcome = suggestions.accept_all_suggestions(user, PatentFilters.from_values(body))
    else:
        outcome = suggestions.accept_suggestions(user, body.get("patent_ids") or [])
    return {"patents": outcome.patents, "segments": outcome.segments}
