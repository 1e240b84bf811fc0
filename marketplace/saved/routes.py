"""Pages: save the search page's current search, list the user's saved searches with their new results,
rename, switch alerts, delete, and open one (which marks its results seen)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from marketplace.core.errors import DomainError
from marketplace.saved import services
from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.saved.forms import FILTER_LABELS, SORT_LABELS, ActionForm, EditSavedForm, SaveSearchForm
from marketplace.saved.models import SavedSearch
from marketplace.web import vocabulary_labels

bp = Blueprint("saved", __name__)


def search_url(params: dict[str, list[str]]) -> str:
    """The search page for these parameters."""
    return url_for("search.patents") + ("?" + urlencode(params, doseq=True) if params else "")


def _refusal(error: DomainError) -> str:
    """The refusal with each field named by its label (the filters keep the search page's names)."""
    if not error.fields:
        return error.message
    labels = {"name": _("检索名称"), "q": _("检索词")}
    return "; ".join(f"{labels[k]}: {v}" if k in labels else v for k, v in error.fields.items())


def describe(searches: list[SavedSearch]) -> dict[int, list[tuple[str, str]]]:
    """Each search's filters as (label, values) in the visitor's language; owners by name."""
    labels = vocabulary_labels()
    owner_ids = {int(v) for s in searches for v in s.filters.get("owner_id", []) if v.isdigit()}
    owners = dict(db.session.execute(select(Organisation.id, Organisation.name)
                                     .where(Organisation.id.in_(owner_ids))).all()) if owner_ids else {}
    show = {"segment": labels["segment_label"], "patent_type": labels["patent_type_label"],
            "legal_status": labels["legal_status_label"], "maturity": labels["maturity_label"],
            "mode": labels["mode_label"], "open_license": labels["yes_no_label"],
            "owner_id": lambda v: owners.get(int(v), v) if v.isdigit() else v,
            "sort": lambda v: str(SORT_LABELS.get(v, v))}
    return {s.id: [(str(FILTER_LABELS[key]), ", ".join(str(show.get(key, str)(v)) for v in values))
                   for key, values in s.filters.items() if key in FILTER_LABELS] for s in searches}


@bp.get("/saved-searches")
@login_required
def index():
    found = services.saved_with_news(current_user)
    forms = {item.search.id: EditSavedForm(prefix=f"s{item.search.id}", name=item.search.name,
                                           alerts=item.search.alerts) for item in found}
    return render_template("saved/index.html", found=found, forms=forms, action_form=ActionForm(),
                           described=describe([item.search for item in found]))


@bp.post("/saved-searches")
@login_required
def save():
    form = SaveSearchForm()
    filters = {key: request.form.getlist(key) for key in services.FILTER_KEYS}
    if form.validate_on_submit():
        try:
            services.save_search(current_user, form.name.data, form.q.data, filters, alerts=form.alerts.data)
        except DomainError as error:
            flash(_refusal(error), "danger")
        else:
            flash(_("检索已保存：有新结果时会提醒您"), "success")
            return redirect(url_for("saved.index"))
    else:
        flash("; ".join(f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items()),
              "danger")
    query = {"q": [form.q.data]} if form.q.data else {}
    return redirect(search_url({**query, **{k: v for k, v in filters.items() if v}}))


@bp.post("/saved-searches/<int:saved_id>/edit")
@login_required
def edit(saved_id: int):
    form = EditSavedForm(prefix=f"s{saved_id}")
    if form.validate_on_submit():
        services.update_saved(current_user, saved_id, form.name.data, form.alerts.data)
        flash(_("已更新"), "success")
    else:
        services.get_saved(current_user, saved_id)  # someone else's: 404
        flash("; ".join(f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items()),
              "danger")
    return redirect(url_for("saved.index"))


@bp.post("/saved-searches/<int:saved_id>/delete")
@login_required
def delete(saved_id: int):
    if ActionForm().validate_on_submit():
        services.delete_saved(current_user, saved_id)
        flash(_("已删除保存的检索"), "success")
    return redirect(url_for("saved.index"))


@bp.post("/saved-searches/<int:saved_id>/open")
@login_required
def open_search(saved_id: int):
    """Show the search's results now; they are no longer new."""
    if not ActionForm().validate_on_submit():
        return redirect(url_for("saved.index"))
    saved = services.mark_seen(current_user, saved_id)
    return redirect(search_url(saved.params()))
