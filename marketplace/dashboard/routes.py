"""The home page after sign-in: each section links to the page where its items are handled."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, url_for
from flask_login import current_user, login_required

from marketplace.dashboard import services

bp = Blueprint("dashboard", __name__)


def linked(home: services.Home) -> dict[str, Any]:
    """The home as plain data with URLs (the page and the API show the same thing)."""
    return {"role": home.role, "sections": [
        {"key": s.key, "title": s.title, "count": s.count, "url": url_for(s.endpoint, **s.args),
         "items": [{"label": i.label, "detail": i.detail, "url": url_for(i.endpoint, **i.args)} for i in s.items]}
        for s in home.sections]}


@bp.get("/home")
@login_required
def index():
    return render_template("dashboard/index.html", home=linked(services.build_home(current_user)))
