"""Page: browse the industry-segment taxonomy."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from marketplace.web import select_locale

bp = Blueprint("segments", __name__)


@bp.get("/segments")
def index():
    return render_template("segments/index.html", tree=current_app.extensions["taxonomy"].as_tree(select_locale()))
