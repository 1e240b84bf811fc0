"""API: patent and need search, matches for a need or a patent."""
from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from marketplace.api.common import ErrorSchema, api_user
from marketplace.search import services
from marketplace.search.models import Match, MatchStatus
from matching.results import NeedMatch, PatentMatch

blp = Blueprint("search_api", __name__, url_prefix="", description="检索与匹配 / search and matching")


class PatentSearchArgs(Schema):
    """Documents the query; ``services.patent_query`` (the page's parser too) reads it."""

    q = fields.String(metadata={"description": "Chinese or English text; never interpreted as query syntax"})
    segment = fields.List(fields.String())
    grade = fields.List(fields.String())
    patent_type = fields.List(fields.String())
    ipc_section = fields.List(fields.String())
    owner_id = fields.List(fields.Integer())
    legal_status = fields.List(fields.String())
    maturity = fields.List(fields.String())
    mode = fields.List(fields.String())
    open_license = fields.String(metadata={"enum": ["true", "false", "1", "0"]})
    sort = fields.String(metadata={"enum": ["relevance", "application_date_desc", "application_date_asc", "grade"]})
    page = fields.Integer(metadata={"minimum": 1, "maximum": services.MAX_PAGE})
    per_page = fields.Integer(metadata={"minimum": 1, "maximum": services.MAX_PER_PAGE})


class NeedSearchArgs(Schema):
    q = fields.String()
    segment = fields.List(fields.String())
    mode = fields.List(fields.String())
    sort = fields.String(metadata={"enum": ["relevance", "newest"]})
    page = fields.Integer(metadata={"minimum": 1, "maximum": services.MAX_PAGE})
    per_page = fields.Integer(metadata={"minimum": 1, "maximum": services.MAX_PER_PAGE})


class SearchPageSchema(Schema):
    hits = fields.List(fields.Dict())
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()))
    mode = fields.String(metadata={"enum": ["all", "partial", "similar", "number", "ipc"], "description":
                                   "all: every word matched; partial: no patent has every word, best partial "
                                   "matches; similar: no word matched, nearest in meaning; number / ipc: exact look-up"})
    missing_terms = fields.List(fields.String(), metadata={"description": "words no hit contains (partial)"})


class MatchSchema(Schema):
    match_id = fields.Integer(allow_none=True, metadata={
        "description": "the stored match, or null until the pair is saved (POST …/matches/{patent_id}): "
                       "listing matches stores nothing"})
    status = fields.String(metadata={"enum": ["suggested", "pushed", "viewed", "interested", "contacted"]})
    score = fields.Float(metadata={"description": "0–100: calibrated relevance plus business factors (at most ±5)"})
    relevance = fields.Float(metadata={"description": "0–100: calibrated text relevance (chance a judge finds the "
                                                      "pair relevant); lists show only pairs above the floor"})
    patent = fields.Dict()
    need = fields.Dict()
    explanation = fields.Dict()


def _listed(match: Match | None, ranked: PatentMatch | NeedMatch) -> dict[str, Any]:
    return {"match_id": match.id if match is not None else None,
            "status": (match.status if match is not None else MatchStatus.SUGGESTED).value, **ranked.to_dict()}


@blp.get("/search/patents")
@blp.doc(security=[], parameters=[{"in": "query", "schema": PatentSearchArgs}])
@blp.response(200, SearchPageSchema)
@blp.alt_response(422, schema=ErrorSchema)
def search_patents():
    """Full-text, faceted search of published patents, with highlights. The query is read by the search page's
    own parser (``services.patent_query``): the same input gets the same answer, and the same field errors."""
    return services.search_patents(services.params_of(request.args)).to_dict()


@blp.get("/search/needs")
@blp.doc(parameters=[{"in": "query", "schema": NeedSearchArgs}])
@blp.response(200, SearchPageSchema)
@blp.alt_response(422, schema=ErrorSchema)
def search_needs():
    """Search open, public technology needs (universities, institutes, agencies); read as the page reads it."""
    return services.search_needs(api_user(), services.params_of(request.args)).to_dict()


@blp.get("/needs/<int:need_id>/matches")
@blp.response(200, MatchSchema(many=True))
def need_matches(need_id: int):
    """Patents matched to a need, best first, each with a readable explanation."""
    _need, matches = services.matches_for_need(api_user(), need_id)
    return [_listed(m, ranked) for m, ranked in matches]


@blp.get("/patents/<int:patent_id>/matches")
@blp.response(200, MatchSchema(many=True))
def patent_matches(patent_id: int):
    """Open public needs a patent fits, best first, with explanations."""
    _patent, matches = services.matches_for_patent(api_user(), patent_id)
    return [_listed(m, ranked) for m, ranked in matches]


class SavedMatchSchema(Schema):
    match_id = fields.Integer()
    need_id = fields.Integer()
    patent_id = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in MatchStatus]})
    score = fields.Float()


@blp.post("/needs/<int:need_id>/matches/<int:patent_id>")
@blp.response(200, SavedMatchSchema)
@blp.alt_response(404, schema=ErrorSchema)
def save_match(need_id: int, patent_id: int):
    """Store a listed pair as a match (for feedback and messages); idempotent, keeps the pair's status."""
    match = services.save_match(api_user(), need_id, patent_id)
    return {"match_id": match.id, "need_id": match.need_id, "patent_id": match.patent_id,
            "status": match.status.value, "score": match.score}
