"""Pages: the deal ledger for parties and agencies — list, entry, status, amendments.

The services decide who sees a deal (parties, agency, platform admins: others
get 404) and what the law allows; views only shape forms and redirect.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.accounts.permissions import require_organisation
from marketplace.core.views import page_number, show_errors
from marketplace.deals import brokering, forms, services
from marketplace.deals.models import DealMode, DealStatus

bp = Blueprint("deals", __name__)
PER_PAGE = 20
FIXABLE = (ValidationFailed, Conflict)
SELLERS = forms.PARTY_KINDS


@bp.get("/deals")
@login_required
def index():
    filters = {k: request.args[k] for k in ("mode", "status") if request.args.get(k)}
    page = page_number()
    items, total = services.list_deals(current_user, filters, page, PER_PAGE)
    return render_template("deals/index.html", items=items, total=total, page=page, filters=filters,
                           pages=max(1, -(-total // PER_PAGE)), modes=list(DealMode), statuses=list(DealStatus))


@bp.route("/deals/new", methods=["GET", "POST"])
@login_required
def new():
    """Deal entry: an agency records the deals it brokered; a party may record its own."""
    require_organisation(current_user)
    form = forms.DealForm()
    form.seller_id.choices = [(o.id, o.name) for o in services.organisations_for_entry(SELLERS)]
    form.buyer_id.choices = [(o.id, o.name) for o in services.organisations_for_entry(SELLERS)]
    if form.validate_on_submit():
        try:
            values = form.values()
            values["patent_ids"] = services.patent_ids_for_numbers(form.patent_numbers.data)
            deal = services.record_deal(current_user, values)
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("交易已录入，待各方通过自己的账户确认后生效"), "success")
            return redirect(url_for("deals.detail", deal_id=deal.id))
    return render_template("deals/form.html", form=form)


@bp.get("/deals/<int:deal_id>")
@login_required
def detail(deal_id: int):
    """The deal, each party's consent to its steps, and what the viewer's organisation may propose next."""
    deal = services.get_deal(current_user, deal_id)
    can_change = current_user.organisation_id in deal.party_ids()
    status_form = forms.StatusForm()
    status_form.status.choices = [(s.value, s.label) for s in services.next_statuses(deal)]
    return render_template("deals/detail.html", deal=deal, can_change=can_change, status_form=status_form,
                           amendment_form=forms.AmendmentForm(), binding=deal.status in services.BINDING,
                           match_thread_id=brokering.match_thread_id(deal))


@bp.route("/deals/<int:deal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(deal_id: int):
    deal = services.get_deal(current_user, deal_id)
    form = forms.DealFieldsForm()
    if request.method == "GET":
        form.fill(deal)
    elif form.validate_on_submit():
        try:
            services.update_deal(current_user, deal_id, form.values())
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("交易已更新，各方须按新条款重新确认"), "success")
            return redirect(url_for("deals.detail", deal_id=deal_id))
    return render_template("deals/edit.html", form=form, deal=deal)


@bp.post("/deals/<int:deal_id>/status")
@login_required
def change_status(deal_id: int):
    """Propose the next status; it applies once the parties the step needs have approved."""
    form = forms.StatusForm()
    if form.validate_on_submit():
        try:
            changes = {"status": form.status.data, "recorded_on": form.recorded_on.data,
                       "completed_on": form.completed_on.data}
            if form.recordal_number.data:
                changes["recordal_number"] = form.recordal_number.data
            deal = services.update_deal(current_user, deal_id, changes)
        except FIXABLE as error:
            show_errors(form, error)
        else:
            done = deal.status.value == form.status.data
            flash(_("交易状态已更新") if done else _("已提出，待相关各方通过自己的账户确认"), "success")
    return redirect(url_for("deals.detail", deal_id=deal_id))


@bp.post("/deals/<int:deal_id>/amendments")
@login_required
def amend(deal_id: int):
    form = forms.AmendmentForm()
    if form.validate_on_submit():
        try:
            services.amend_deal(current_user, deal_id, {"changes": form.changes(), "reason": form.reason.data})
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("更正已提出，待买卖双方确认后生效"), "success")
    else:
        flash(_("请填写更正理由"), "danger")
    return redirect(url_for("deals.detail", deal_id=deal_id))
