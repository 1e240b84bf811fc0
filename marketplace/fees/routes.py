"""Pages: the owner's annual fees by month with totals and exports, one patent's ledger, paying a fee, the
fee-reduction status, and the yearly keep-or-abandon review.

Access rules live in the services (``require_organisation`` for the owner
pages, 404 for a foreign patent); views parse, call a service and redirect.
"""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.dates import local_today, parse_year
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, attachment, to_csv, to_xlsx
from marketplace.core.views import page_number, show_errors
from marketplace.fees import forms, ledger, reports, review
from marketplace.legal.refusals import Ineligible

bp = Blueprint("fees", __name__)
FIXABLE = (ValidationFailed, Conflict, Ineligible)
PER_PAGE = 50


@bp.record_once
def register_jobs(_state) -> None:
    """Periodic jobs are declared with the blueprint, inside ``create_app``, never at import."""
    from marketplace.fees import jobs
    jobs.register()


@bp.app_template_global("fee_explanation")
def fee_explanation(row) -> list[str]:
    """Each rule that made a fee's amount, in the reader's language."""
    return [reports.explain(line) for line in row.lines or []]


@bp.app_template_global("fee_status")
def fee_status(row, today) -> str:
    return reports.status_text(row.state, row.due_date, row.grace_end, today)


@bp.get("/fees")
@login_required
def index():
    """The owner's fees due by month in a year, and one period's fees (default this quarter) with totals."""
    today = local_today()
    period = reports.parse_period(request.args, today)
    months, year_total = reports.months_of(current_user, period.start.year)
    page = page_number()
    rows, totals = reports.fees_in(current_user, period, page, PER_PAGE)
    status = ledger.reduction_status(current_user.organisation_id)
    form = forms.ReductionForm(obj=status) if status else forms.ReductionForm()
    return render_template("fees/index.html", period=period, months=months, year_total=year_total, rows=rows,
                           totals=totals, page=page, pages=max(1, -(-totals.fees // PER_PAGE)), today=today,
                           reduction=status, reduction_form=form)


@bp.get("/fees.<any(csv, xlsx):fmt>")
@login_required
def export(fmt: str):
    """The period's fees for the finance office: every row, each reduction explained, amounts as numbers."""
    today = local_today()
    period = reports.parse_period(request.args, today)
    headers = reports.export_headers()
    rows = reports.export_rows(current_user, period, today)
    args = period.as_args()  # a year, a quarter (2026-q4) or a month (2026-04)
    name = ("annual-fees", args["year"], f"q{args['quarter']}" if "quarter" in args else None,
            f"{args['month']:02d}" if "month" in args else None)
    if fmt == "csv":
        return Response(to_csv(headers, rows), content_type=CSV_MIMETYPE,
                        headers=attachment(*name, fmt=fmt))
    return Response(to_xlsx([(period.label, headers, rows)]), mimetype=XLSX_MIMETYPE,
                    headers=attachment(*name, fmt=fmt))


@bp.get("/patents/<int:patent_id>/fees")
@login_required
def patent(patent_id: int):
    """One patent's ledger: each fee year, its amount explained, the grace period month by month."""
    found = ledger.patent_fees(current_user, patent_id)
    today = local_today()
    steps = ledger.surcharge_steps(found.next_fee) if found.next_fee else []
    return render_template("fees/patent.html", fees=found, steps=steps, today=today,
                           payment_form=forms.FeePaymentForm(),
                           payable=ledger.payable(found.next_fee, today) if found.next_fee else None)


@bp.post("/fees/<int:fee_id>/payment")
@login_required
def pay(fee_id: int):
    form = forms.FeePaymentForm()
    patent_id = request.form.get("patent_id", type=int)
    if form.validate_on_submit():
        try:
            row = ledger.record_fee_payment(current_user, fee_id, {
                "paid_on": form.paid_on.data, "amount": form.amount.data, "reference": form.reference.data})
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("已登记缴费：%(amount)s", amount=f"¥{row.paid_amount:,.2f}"), "success")
            patent_id = row.patent_id
    else:
        flash(_("请检查缴费信息"), "danger")
    if patent_id:
        return redirect(url_for("fees.patent", patent_id=patent_id))
    return redirect(url_for("fees.index"))


@bp.post("/fees/reduction-status")
@login_required
def reduction_status():
    form = forms.ReductionForm()
    if form.validate_on_submit():
        try:
            ledger.set_reduction_status(current_user, {"reference": form.reference.data,
                                                       "recorded_on": form.recorded_on.data,
                                                       "clear": form.clear.data})
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("费减备案已更新，未缴年费已重新计算"), "success")
    else:
        flash(_("请检查费减备案信息"), "danger")
    return redirect(url_for("fees.index"))


@bp.get("/fees/review")
@login_required
def review_page():
    """The yearly keep-or-abandon review: patents whose fee falls due in the year, lowest grade (D) first."""
    year = parse_year(request.args.get("year")) or local_today().year
    grade = (request.args.get("grade") or "").strip()[:8] or None
    page = page_number()
    items, total = review.review(current_user, year, grade, page, PER_PAGE)
    labels = review.grade_order(current_user.organisation.grade_labels if current_user.organisation else None)
    return render_template("fees/review.html", items=items, total=total, year=year, grade=grade, grades=labels,
                           page=page, pages=max(1, -(-total // PER_PAGE)), form=forms.DecisionForm(),
                           today=local_today())


@bp.post("/patents/<int:patent_id>/fee-decision")
@login_required
def decide(patent_id: int):
    """Keep, offer or abandon (abandoning withdraws the open license first, with the co-owners' consent)."""
    form = forms.DecisionForm()
    if form.validate_on_submit():
        try:
            found = review.decide(current_user, patent_id, {
                "decision": form.decision.data, "offer_mode": form.offer_mode.data or None,
                "offer_price": form.offer_price.data, "listed_until": form.listed_until.data,
                "reason": form.reason.data, "review_year": form.review_year.data})
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("已记录决定：%(decision)s（%(status)s）", decision=found.decision.label,
                    status=found.status.label), "success")
            return redirect(url_for("fees.decision", decision_id=found.id))
    else:
        flash(_("请检查决定内容"), "danger")
    return redirect(url_for("fees.review_page", year=form.review_year.data or None))


@bp.get("/fee-decisions/<int:decision_id>")
@login_required
def decision(decision_id: int):
    """A decision with who took it and, for an abandonment, the consents of the patentee and co-owners."""
    found = review.get_decision(current_user, decision_id)
    return render_template("fees/decision.html", decision=found)


@bp.get("/patents/last-call")
def last_call():
    """Patents their owners will abandon unless someone takes them: transfer or open license at a reduced price."""
    page = page_number()
    items, total = review.last_call(page)
    return render_template("fees/last_call.html", items=items, total=total, page=page,
                           pages=max(1, -(-total // 20)))
