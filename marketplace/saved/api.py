"""API: the caller's saved patent searches (private to the caller), with their new results."""
from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from marketplace.api.common import ErrorSchema, api_user
from marketplace.saved import services
from marketplace.saved.routes import search_url

blp = Blueprint("saved_api", __name__, url_prefix="/saved-searches", description="保存的检索 / saved searches")
FILTERS_DOC = ("the search page's filters, each a list of values: " + ", ".join(services.FILTER_KEYS))


class SavedSearchSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(validate=validate.Length(max=services.MAX_NAME),
                         metadata={"description": "defaults to the query"})
    q = fields.String(attribute="query", load_default="", validate=validate.Length(max=2000))
    filters = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), load_default=dict,
                          metadata={"description": FILTERS_DOC})
    alerts = fields.Boolean(load_default=True, metadata={"description": "e-mail the new results, at most daily"})
    created_at = fields.DateTime(dump_only=True)
    seen_at = fields.DateTime(dump_only=True, metadata={"description": "results published after it are new"})
    new_results = fields.List(fields.Integer(), dump_only=True,
                              metadata={"description": "ids of the results published since seen_at"})
    search_url = fields.String(dump_only=True, metadata={"description": "the search page showing the results"})


class SavedUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(max=services.MAX_NAME))
    alerts = fields.Boolean()


def _dump(item: services.SavedWithNews) -> dict[str, Any]:
    saved = item.search
    return {"id": saved.id, "name": saved.name, "query": saved.query, "filters": saved.filters, "alerts": saved.alerts,
            "created_at": saved.created_at, "seen_at": saved.seen_at, "new_results": item.new_ids,
            "search_url": search_url(saved.params())}


def _with_news(saved) -> dict[str, Any]:
    return _dump(services.SavedWithNews(saved, services.new_result_ids(saved, saved.seen_at)))


@blp.get("")
@blp.response(200, SavedSearchSchema(many=True))
@blp.alt_response(401, schema=ErrorSchema)
def list_saved():
    """The caller's saved searches, newest first, each with its new results."""
    return [_dump(item) for item in services.saved_with_news(api_user())]


@blp.post("")
@blp.arguments(SavedSearchSchema)
@blp.response(201, SavedSearchSchema)
@blp.alt_response(409, schema=ErrorSchema, description="the caller already keeps the most saved searches allowed")
def create_saved(body: dict):
    """Save a search (query and filters as the search page takes them); later publications count as new."""
    saved = services.save_search(api_user(), body.get("name"), body.get("query"), body.get("filters") or {},
                                 body.get("alerts", True))
    return _dump(services.SavedWithNews(saved, []))


@blp.get("/<int:saved_id>")
@blp.response(200, SavedSearchSchema)
@blp.alt_response(404, schema=ErrorSchema)
def get_saved(saved_id: int):
    """One of the caller's saved searches (anyone else's is 404)."""
    return _with_news(services.get_saved(api_user(), saved_id))


@blp.patch("/<int:saved_id>")
@blp.arguments(SavedUpdateSchema)
@blp.response(200, SavedSearchSchema)
@blp.alt_response(404, schema=ErrorSchema)
def update_saved(body: dict, saved_id: int):
    """Rename it or switch its alerts."""
    return _with_news(services.update_saved(api_user(), saved_id, body.get("name"), body.get("alerts")))


@blp.post("/<int:saved_id>/seen")
@blp.response(200, SavedSearchSchema)
@blp.alt_response(404, schema=ErrorSchema)
def mark_seen(saved_id: int):
    """The caller has looked at the results: none is new any more."""
    return _with_news(services.mark_seen(api_user(), saved_id))


@blp.delete("/<int:saved_id>")
@blp.response(204)
@blp.alt_response(404, schema=ErrorSchema)
def delete_saved(saved_id: int):
    services.delete_saved(api_user(), saved_id)
