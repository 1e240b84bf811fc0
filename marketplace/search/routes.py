"""Pages: full-text faceted patent search, need search, and match lists."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.search import services
from marketplace.search.explain import factor_points, factor_text

bp = Blueprint("search", __name__)
bp.add_app_template_global(factor_text)
bp.add_app_template_global(factor_points)


@bp.get("/search")
def patents():
    params = services.params_of(request.args)
    page = services.search_patents(params)
    owners = services.owner_names(page)
    return render_template("search/patents.html", page=page, params=params,
                           owner_label=lambda value: owners.get(str(value), str(value)))


@bp.get("/search/needs")
@login_required
def needs():
    params = services.params_of(request.args)
    page = services.search_needs(current_user, params)
    return render_template("search/needs.html", page=page, params=params)


@bp.get("/needs/<int:need_id>/matches")
@login_required
def need_matches(need_id: int):
    need, matches = services.matches_for_need(current_user, need_id)
    return render_template("search/need_matches.html", need=need, matches=matches)


@bp.get("/patents/<int:patent_id>/matches")
@login_required
def patent_matches(patent_id: int):
    patent, matches = services.matches_for_patent(current_user, patent_id)
    return render_template("search/patent_matches.html", patent=patent, matches=matches)


@bp.post("/needs/<int:need_id>/matches/<int:patent_id>")
@login_required
def save_match(need_id: int, patent_id: int):
    """Open a listed pair as a match (stored now, on POST) to give feedback or write to the other party."""
    match = services.save_match(current_user, need_id, patent_id)
    return redirect(url_for("push.match", match_id=match.id))
