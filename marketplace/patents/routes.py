"""Pages: the public patent list and record, and an organisation's own inventory.

Views parse forms and call ``services``/``queries``; access rules live in the
services, so a foreign or missing patent answers 404 and an organisation that
cannot hold patents 403, exactly as in the API.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.models import DEFAULT_GRADE_LABELS, Organisation
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.views import page_number, safe_next, show_errors
from marketplace.patents import co_owners, queries, services
from marketplace.patents.forms import (
    BulkEditForm, CoOwnerInviteForm, CoOwnerLinkForm, PatentFilterForm, PatentForm, segment_choices,
)
from marketplace.patents.vocab import MATURITY_LABELS, MODE_LABELS, STATE_LABELS, STATUS_LABELS, TYPE_LABELS
from marketplace.segments.suggestions import suggestions_by_patent
from marketplace.web import select_locale

bp = Blueprint("patents", __name__)
PER_PAGE = 20
# Refusals a user can fix by changing input; NotFound and Forbidden propagate to the error page.
FIXABLE = (ValidationFailed, Conflict)


@bp.context_processor
def vocabulary_labels() -> dict[str, object]:
    """The vocabularies' labels, translated once per locale: a list page would otherwise look up each per row."""
    cache = current_app.extensions.setdefault("patent_labels", {})
    locale = select_locale()
    if locale not in cache:
        labels: dict[str, dict[Any, Any]] = {"TYPE_LABELS": TYPE_LABELS, "STATUS_LABELS": STATUS_LABELS, "MATURITY_LABELS": MATURITY_LABELS,
                  "MODE_LABELS": MODE_LABELS, "STATE_LABELS": STATE_LABELS}
        cache[locale] = {name: {key: str(label) for key, label in mapping.items()} for name, mapping in labels.items()}
    return cache[locale]


def _segments() -> list[tuple[str, str]]:
    """The taxonomy's options, built once per locale (the taxonomy never changes while the app runs)."""
    cache = current_app.extensions.setdefault("patent_segment_choices", {})
    locale = select_locale()
    if locale not in cache:
        cache[locale] = segment_choices(current_app.extensions["taxonomy"], locale)
    return cache[locale]


def _grades(organisation: Organisation) -> list[str]:
    return list(organisation.grade_labels or DEFAULT_GRADE_LABELS)


@bp.get("/patents")
def index():
    """Published patents of every organisation, filtered and paginated."""
    form = PatentFilterForm(formdata=request.args).setup(_segments(), DEFAULT_GRADE_LABELS, public=True)
    filters = form.to_filters()
    result = queries.list_published(filters, page_number(), PER_PAGE)
    owner = queries.organisation_name(filters.owner_id) if filters.owner_id else None
    return render_template("patents/index.html", form=form, result=result, owner=owner)


@bp.get("/patents/<int:patent_id>")
def detail(patent_id: int):
    """The full record; a draft answers 404 to all but its owner and platform admins."""
    patent = services.get_visible_patent(current_user, patent_id)
    is_owner = current_user.is_authenticated and current_user.organisation_id == patent.owner_id
    views = co_owners.co_owners_of(current_user, patent.id) if is_owner and patent.co_owners else []
    return render_template("patents/detail.html", patent=patent, is_owner=is_owner, co_owner_views=views,
                           link_form=CoOwnerLinkForm(), invite_form=CoOwnerInviteForm())


@bp.post("/inventory/<int:patent_id>/co-owners/<any(link, invite):action>")
@login_required
def co_owner(patent_id: int, action: str):
    """Link a co-owner name to the organisation registered under it (so it consents through its own account),
    or e-mail a co-owner without an account an invitation to register."""
    form = CoOwnerLinkForm() if action == "link" else CoOwnerInviteForm()
    if not form.validate_on_submit():
        flash(_("请填写有效的邮箱"), "danger")
        return redirect(url_for("patents.detail", patent_id=patent_id, _anchor="co-owners"))
    try:
        if action == "link":
            co_owners.link_co_owner(current_user, patent_id, form.name.data, form.organisation_id.data or None)
            done = _("共有人已关联") if form.organisation_id.data else _("已取消关联")
        else:
            co_owners.invite_co_owner(current_user, patent_id, form.name.data, form.email.data)
            done = _("邀请已发送")
    except FIXABLE as error:
        show_errors(None, error)
    else:
        flash(done, "success")
    return redirect(url_for("patents.detail", patent_id=patent_id, _anchor="co-owners"))


@bp.get("/inventory")
@login_required
def inventory():
    """The organisation's own patents, drafts included, with bulk actions."""
    organisation = services.ensure_can_supply(current_user)
    segments, grades = _segments(), _grades(organisation)
    form = PatentFilterForm(formdata=request.args).setup(segments, grades, public=False)
    result = queries.list_for_organisation(organisation.id, form.to_filters(), page_number(), PER_PAGE)
    return render_template("patents/inventory.html", form=form, result=result, organisation=organisation,
                           bulk_form=BulkEditForm().setup(segments, grades), bulk_limit=services.BULK_LIMIT,
                           suggestions=suggestions_by_patent(result.items))


def _posted_filters(organisation: Organisation) -> queries.PatentFilters:
    """The inventory filter the bulk form carries (fields prefixed ``filter-``, apart from the action's own)."""
    return PatentFilterForm(formdata=request.form, prefix="filter").setup(
        _segments(), _grades(organisation), public=False).to_filters()


@bp.post("/inventory/bulk")
@login_required
def bulk_action():
    """One action on the checked patents, or on every patent the posted filter finds ("all N results"; the
    server re-runs the filter over the organisation's own patents), all or none of them (a foreign id: 404)."""
    organisation = services.ensure_can_supply(current_user)
    form = BulkEditForm().setup(_segments(), _grades(organisation))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        return redirect(safe_next(url_for("patents.inventory")))
    try:
        ids = (services.matching_ids(current_user, _posted_filters(organisation)) if form.all_matching.data
               else form.patent_ids.data)
        count = services.apply_bulk(current_user, form.action.data, ids, form.values())
    except FIXABLE as error:
        show_errors(form, error)
    else:
        flash(_("已更新 %(count)d 件专利", count=count), "success")
    return redirect(safe_next(url_for("patents.inventory")))


@bp.route("/inventory/new", methods=["GET", "POST"])
@login_required
def new():
    """A new patent, saved as a draft for the owner to review before publishing."""
    organisation = services.ensure_can_supply(current_user)
    form = PatentForm().setup(_segments(), _grades(organisation))
    if form.validate_on_submit():
        try:
            patent = services.create_patent(current_user, form.values())
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("专利已保存为草稿"), "success")
            return redirect(url_for("patents.detail", patent_id=patent.id))
    return render_template("patents/form.html", form=form, patent=None)


@bp.route("/inventory/<int:patent_id>/edit", methods=["GET", "POST"])
@login_required
def edit(patent_id: int):
    patent = services.get_patent_for_owner(current_user, patent_id)
    form = PatentForm().setup(_segments(), _grades(patent.owner))
    if request.method == "GET":
        form.fill(patent)
    elif form.validate_on_submit():
        try:
            services.update_patent(current_user, patent.id, form.values())
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("专利已更新"), "success")
            return redirect(url_for("patents.detail", patent_id=patent.id))
    return render_template("patents/form.html", form=form, patent=patent)


@bp.post("/inventory/<int:patent_id>/<any(publish, unpublish):action>")
@login_required
def change_state(patent_id: int, action: str):
    """Publish or unpublish one patent from its record page."""
    try:
        services.set_published(current_user, [patent_id], action == "publish")
    except FIXABLE as error:
        show_errors(None, error)
    else:
        flash(_("专利已发布") if action == "publish" else _("专利已下架"), "success")
    return redirect(safe_next(url_for("patents.detail", patent_id=patent_id)))


@bp.post("/inventory/<int:patent_id>/delete")
@login_required
def delete(patent_id: int):
    """Delete a draft; a published patent is refused with a message (unpublish it first)."""
    try:
        services.delete_patent(current_user, patent_id)
    except FIXABLE as error:
        show_errors(None, error)
        return redirect(safe_next(url_for("patents.detail", patent_id=patent_id)))
    flash(_("草稿已删除"), "success")
    return redirect(url_for("patents.inventory"))
