"""Pages: pledge registrations for pledgors, banks and agencies — list, entry, release, consent."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.accounts.permissions import require_organisation
from marketplace.api.inputs import load_form
from marketplace.core.views import page_number, show_errors
from marketplace.deals.services import organisations_for_entry, patent_ids_for_numbers
from marketplace.lookup.forms import organisation_picker
from marketplace.pledges import forms, services
from marketplace.pledges.api import OpenLicenseConsentSchema, PledgeCreateSchema, ReleaseSchema

bp = Blueprint("pledges", __name__)
PER_PAGE = 20
FIXABLE = (ValidationFailed, Conflict)


@bp.get("/pledges")
@login_required
def index():
    status = request.args.get("status") or None
    page = page_number()
    items, total = services.list_pledges(current_user, {"status": status}, page, PER_PAGE)
    return render_template("pledges/index.html", items=items, total=total, page=page, status=status,
                           pages=max(1, -(-total // PER_PAGE)))


@bp.route("/pledges/new", methods=["GET", "POST"])
@login_required
def new():
    require_organisation(current_user)
    form = forms.PledgeForm()
    form.pledgor_id.choices = [(o.id, o.name) for o in organisations_for_entry(forms.PLEDGORS)]
    form.pledgee_id.choices = [(o.id, o.name) for o in organisations_for_entry(services.pledgee_kinds())]
    form.pledgee_id.render_kw = organisation_picker(services.pledgee_kinds())
    if form.is_submitted():
        try:
            values = load_form(PledgeCreateSchema, patent_ids=patent_ids_for_numbers(form.patent_numbers.data))
            pledge = services.register_pledge(current_user, values)
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("质押登记已提出，待出质人、质权人及共有人通过自己的账户确认"), "success")
            return redirect(url_for("pledges.detail", pledge_id=pledge.id))
    return render_template("pledges/form.html", form=form)


@bp.get("/pledges/<int:pledge_id>")
@login_required
def detail(pledge_id: int):
    pledge = services.get_pledge(current_user, pledge_id)
    return render_template("pledges/detail.html", pledge=pledge, release_form=forms.ReleaseForm(),
                           consent_form=forms.ConsentForm(),
                           is_party=current_user.organisation_id in pledge.party_ids())


@bp.post("/pledges/<int:pledge_id>/release")
@login_required
def release(pledge_id: int):
    form = forms.ReleaseForm()
    if form.is_submitted():
        try:
            pledge = services.release_pledge(current_user, pledge_id, load_form(ReleaseSchema).get("released_on"))
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("质押已注销") if not pledge.is_active else _("注销已提出，待质权人确认"), "success")
    return redirect(url_for("pledges.detail", pledge_id=pledge_id))


@bp.post("/pledges/<int:pledge_id>/consent")
@login_required
def consent(pledge_id: int):
    form = forms.ConsentForm()
    if form.is_submitted():
        try:
            body = load_form(OpenLicenseConsentSchema)
            services.record_open_license_consent(current_user, pledge_id, body.get("consent_on"), body["reference"])
        except (*FIXABLE, Forbidden) as error:
            show_errors(form, error)
        else:
            flash(_("已登记质权人同意开放许可的书面意见"), "success")
    return redirect(url_for("pledges.detail", pledge_id=pledge_id))
