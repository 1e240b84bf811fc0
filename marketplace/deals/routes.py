"""Pages: the deal ledger for parties and agencies — list, entry, status, amendments.

The services decide who sees a deal (parties, agency, platform admins: others
get 404) and what the law allows; views only shape forms and redirect.
"""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.accounts.permissions import require_organisation
from marketplace.api.inputs import load_form
from marketplace.core.dates import local_today
from marketplace.core.views import act_and_redirect, page_number, show_errors
from marketplace.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, attachment, to_csv, to_xlsx
from marketplace.deals import brokering, exports, forms, services
from marketplace.deals.api import (
    AmendmentWriteSchema, DealCreateSchema, DealPatchSchema, DealPaymentWriteSchema, EndEntrustmentSchema,
)
from marketplace.deals import payments as deal_payments
from marketplace.deals.models import DealMode, DealStatus

bp = Blueprint("deals", __name__)
PER_PAGE = 20
FIXABLE = (ValidationFailed, Conflict)
SELLERS = forms.PARTY_KINDS
OPERATORS = forms.OPERATOR_KINDS


@bp.get("/deals")
@login_required
def index():
    filters = {k: request.args[k] for k in ("mode", "status") if request.args.get(k)}
    page = page_number()
    items, total = services.list_deals(current_user, filters, page, PER_PAGE)
    return render_template("deals/index.html", items=items, total=total, page=page, filters=filters,
                           pages=max(1, -(-total // PER_PAGE)), modes=list(DealMode), statuses=list(DealStatus))


def _auction_houses() -> list[tuple[object, str]]:
    return [("", _("（平台外机构，填写名称）"))] + [(o.id, o.name) for o in services.organisations_for_entry(OPERATORS)]


@bp.get("/deals/export.<any(csv, xlsx):fmt>")
@login_required
def export(fmt: str):
    """The deals the user may see (with the list's filters), each mode's own fields included."""
    filters = {k: request.args[k] for k in ("mode", "status") if request.args.get(k)}
    headers, rows = exports.ledger_rows(current_user, filters)  # a wrong filter is a 422 naming it
    name = ("deals", filters.get("mode"), filters.get("status"))
    if fmt == "csv":
        return Response(to_csv(headers, rows), content_type=CSV_MIMETYPE, headers=attachment(*name, fmt=fmt))
    return Response(to_xlsx([(_("交易台账"), headers, rows)]), mimetype=XLSX_MIMETYPE,
                    headers=attachment(*name, fmt=fmt))


@bp.route("/deals/new", methods=["GET", "POST"])
@login_required
def new():
    """Deal entry: an agency records the deals it brokered; a party may record its own."""
    require_organisation(current_user)
    form = forms.DealForm()
    form.seller_id.choices = [(o.id, o.name) for o in services.organisations_for_entry(SELLERS)]
    form.buyer_id.choices = [(o.id, o.name) for o in services.organisations_for_entry(SELLERS + OPERATORS)]
    form.auction_house_id.choices = _auction_houses()
    if form.is_submitted():
        try:
            patent_ids = services.patent_ids_for_numbers(form.patent_numbers.data)
            values = load_form(DealCreateSchema, form.names(request.form.get("mode")), patent_ids=patent_ids)
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
    today = local_today()
    return render_template("deals/detail.html", deal=deal, can_change=can_change, status_form=status_form,
                           amendment_form=forms.AmendmentForm(), binding=deal.status in services.BINDING,
                           end_form=forms.EndEntrustmentForm(), brokered=services.brokered_under(deal),
                           in_force=services.entrustment_in_force(deal, today),
                           may_end=deal.mode == DealMode.ENTRUSTED and deal.status == DealStatus.SIGNED
                           and current_user.organisation_id == deal.seller_id,
                           payments=deal_payments.payments_of(deal.id), received=deal_payments.received(deal.id),
                           payment_form=forms.DealPaymentForm(),
                           may_pay=current_user.organisation_id in (deal.seller_id, deal.buyer_id),
                           match_thread_id=brokering.match_thread_id(deal))


@bp.post("/deals/<int:deal_id>/payments")
@login_required
def record_payment(deal_id: int):
    """A party reports (buyer) or records (seller) a payment; the seller's confirmation makes it count."""
    return act_and_redirect(
        lambda: deal_payments.record_payment(current_user, deal_id, load_form(DealPaymentWriteSchema)),
        _("付款已登记"), url_for("deals.detail", deal_id=deal_id, _anchor="payments"), forms.DealPaymentForm())


@bp.get("/deals/payments/<int:payment_id>")
@login_required
def payment(payment_id: int):
    """Where a payment's confirmation request leads: its deal's payments."""
    found = deal_payments.get_payment(current_user, payment_id)
    return redirect(url_for("deals.detail", deal_id=found.deal_id, _anchor="payments"))


@bp.route("/deals/<int:deal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(deal_id: int):
    deal = services.get_deal(current_user, deal_id)
    form = forms.DealFieldsForm()
    form.auction_house_id.choices = _auction_houses()
    if request.method == "GET":
        form.fill(deal)
    elif form.is_submitted():
        try:
            services.update_deal(current_user, deal_id, load_form(DealPatchSchema, form.names(deal.mode.value)))
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
    if form.is_submitted():
        try:
            changes = load_form(DealPatchSchema, ("status", "recordal_number", "recorded_on", "completed_on"))
            if not changes.get("recordal_number"):
                changes.pop("recordal_number", None)
            deal = services.update_deal(current_user, deal_id, changes)
        except FIXABLE as error:
            show_errors(form, error)
        else:
            done = deal.status.value == form.status.data
            flash(_("交易状态已更新") if done else _("已提出，待相关各方通过自己的账户确认"), "success")
    return redirect(url_for("deals.detail", deal_id=deal_id))


@bp.post("/deals/<int:deal_id>/end")
@login_required
def end_entrustment(deal_id: int):
    """The owner ends an entrusted operation (alone; the operator keeps what it brokered before)."""
    form = forms.EndEntrustmentForm()
    if form.is_submitted():
        try:
            services.end_entrustment(current_user, deal_id, load_form(EndEntrustmentSchema))
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("委托运营已终止"), "success")
    return redirect(url_for("deals.detail", deal_id=deal_id))


@bp.post("/deals/<int:deal_id>/amendments")
@login_required
def amend(deal_id: int):
    form = forms.AmendmentForm()
    try:
        services.amend_deal(current_user, deal_id, load_form(AmendmentWriteSchema, ("reason",),
                                                             changes=form.changes()))
    except FIXABLE as error:
        show_errors(form, error)
    else:
        flash(_("更正已提出，待买卖双方确认后生效"), "success")
    return redirect(url_for("deals.detail", deal_id=deal_id))
