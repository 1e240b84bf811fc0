"""Pages: browse the industry-segment taxonomy; accept the segments suggested for an inventory's patents."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField

from marketplace.accounts.models import DEFAULT_GRADE_LABELS
from marketplace.core.errors import ValidationFailed
from marketplace.core.views import safe_next, show_errors
from marketplace.patents.forms import PatentFilterForm, segment_choices
from marketplace.patents.services import ensure_can_supply
from marketplace.segments import suggestions
from marketplace.web import select_locale

bp = Blueprint("segments", __name__)


@bp.app_context_processor
def industry_labels() -> dict[str, object]:
    """``industry_label(code)``: a GB/T 4754 tag as 门类—大类 in the visitor's language."""
    catalogue = current_app.extensions["industries"]
    return {"industry_label": lambda code: catalogue.label(code, select_locale())}


@bp.get("/segments")
def index():
    return render_template("segments/index.html", tree=current_app.extensions["taxonomy"].as_tree(select_locale()))


class AcceptSuggestionsForm(FlaskForm):
    """Accept suggested segments: for the checked patents, or for every patent the inventory filter finds."""

    scope = HiddenField(default="selected")
    patent_ids = SelectMultipleField(coerce=int, validate_choice=False)


@bp.post("/inventory/segment-suggestions/accept")
@login_required
def accept_suggestions():
    """Add the IPC-suggested segments (all or none of the checked patents; a foreign id answers 404)."""
    organisation = ensure_can_supply(current_user)
    form = AcceptSuggestionsForm()
    back = safe_next(url_for("patents.inventory"))
    if not form.validate_on_submit():
        flash(_("请求已过期，请重试"), "danger")
        return redirect(back)
    try:
        if form.scope.data == "all":
            filters = PatentFilterForm(formdata=request.form).setup(
                segment_choices(current_app.extensions["taxonomy"], select_locale()),
                list(organisation.grade_labels or DEFAULT_GRADE_LABELS), public=False).to_filters()
            outcome = suggestions.accept_all_suggestions(current_user, filters)
        else:
            outcome = suggestions.accept_suggestions(current_user, form.patent_ids.data or [])
    except ValidationFailed as error:
        show_errors(None, error)
    else:
        flash(_("已为 %(patents)d 件专利采纳 %(segments)d 个产业领域建议", patents=outcome.patents,
                segments=outcome.segments), "success")
    return redirect(back)
