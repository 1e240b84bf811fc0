"""Pages: browse public needs, read one, and — for companies — post, edit, close and reopen their own."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.core.views import page_number, show_errors
from marketplace.needs import services
from marketplace.needs.forms import NeedForm, need_form_data, segment_choices
from marketplace.patents.vocab import MODE_LABELS
from marketplace.web import select_locale

bp = Blueprint("needs", __name__)
PER_PAGE = 20


@bp.context_processor
def need_helpers() -> dict[str, Any]:
    taxonomy = current_app.extensions["taxonomy"]

    def segment_label(code: str) -> str:
        segment = taxonomy.get(code)
        return segment.label(select_locale()) if segment else code

    return {"mode_labels": MODE_LABELS, "segment_label": segment_label}


def _need_form(**kwargs: Any) -> NeedForm:
    return NeedForm(taxonomy=current_app.extensions["taxonomy"], locale=select_locale(), **kwargs)


@bp.get("/needs")
def index():
    try:
        filters = services.parse_need_filters(request.args)
    except DomainError as error:
        show_errors(None, error)
        filters = services.NeedFilters()
    needs = services.list_public_needs(filters, page_number(), PER_PAGE)
    return render_template("needs/index.html", needs=needs, filters=filters,
                           segment_options=segment_choices(current_app.extensions["taxonomy"], select_locale()),
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/needs/mine")
@login_required
def mine():
    needs = services.list_organisation_needs(current_user, page_number(), PER_PAGE)
    return render_template("needs/mine.html", needs=needs)


@bp.get("/needs/<int:need_id>")
def detail(need_id: int):
    need = services.get_visible_need(current_user, need_id)
    return render_template("needs/detail.html", need=need, can_edit=services.can_edit(current_user, need))


@bp.route("/needs/new", methods=["GET", "POST"])
@login_required
def new():
    services.ensure_can_post(current_user)
    form = _need_form()
    if form.validate_on_submit():
        try:
            need = services.create_need(current_user, form.values())
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("需求已发布"), "success")
            return redirect(url_for("needs.detail", need_id=need.id))
    return render_template("needs/form.html", form=form, need=None)


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
@login_required
def edit(need_id: int):
    need = services.get_need_for_owner(current_user, need_id)
    form = _need_form(data=need_form_data(need))
    if form.validate_on_submit():
        try:
            services.update_need(current_user, need.id, form.values())
        except DomainError as error:
            show_errors(form, error)
        else:
            flash(_("需求已保存"), "success")
            return redirect(url_for("needs.detail", need_id=need.id))
    return render_template("needs/form.html", form=form, need=need)


@bp.post("/needs/<int:need_id>/close")
@login_required
def close(need_id: int):
    services.close_need(current_user, need_id)
    flash(_("需求已关闭，不再展示和推送"), "success")
    return redirect(url_for("needs.detail", need_id=need_id))


@bp.post("/needs/<int:need_id>/reopen")
@login_required
def reopen(need_id: int):
    try:
        services.reopen_need(current_user, need_id)
    except ValidationFailed as error:
        show_errors(None, error)
        return redirect(url_for("needs.edit", need_id=need_id))
    flash(_("需求已重新开放"), "success")
    return redirect(url_for("needs.detail", need_id=need_id))
