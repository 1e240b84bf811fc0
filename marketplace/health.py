"""``GET /healthz``: the state of the database, the search backend and the job queue."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from marketplace.core import outbox
from marketplace.core.jobs import jobs
from marketplace.extensions import db
from marketplace.search.backend import search_health

bp = Blueprint("health", __name__)


def database_state() -> dict[str, object]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "down"; the message says why
        db.session.rollback()
        return {"status": "unavailable", "error": str(exc).splitlines()[0]}
    return {"status": "ok", "dialect": db.engine.dialect.name, "outbox_pending": outbox.pending_counts()}


@bp.get("/healthz")
def healthz():
    """200 when the database answers; search and queue outages degrade but do not fail the app."""
    state: dict[str, Any] = {"database": database_state(), "search": search_health(), "jobs": jobs().ping()}
    healthy = state["database"]["status"] == "ok"
    state["status"] = "ok" if healthy and all(
        part.get("status") == "ok" for part in (state["search"], state["jobs"])) else (
        "degraded" if healthy else "unavailable")
    return jsonify(state), 200 if healthy else 503
