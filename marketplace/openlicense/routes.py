"""Pages: the public open-license catalogue, the patentee's declarations, the licensee's licenses and payments.

Access rules live in the services (foreign records answer 404); views parse
forms, call a service and redirect. ``open_license_summary`` is a template
global so the patent page can show "open license, N licensees".
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.views import page_number, show_errors
from marketplace.api.inputs import load_form
from marketplace.openlicense import forms, licensing, payments, services
from marketplace.openlicense.api import DeclarationWriteSchema, PaymentWriteSchema, RecordalSchema, WithdrawSchema
from marketplace.core.dates import local_today
from marketplace.patents.forms import segment_choices
from marketplace.patents.vocab import TransformationMode
from marketplace.pricing.services import price_help
from marketplace.web import select_locale

bp = Blueprint("openlicense", __name__)
PER_PAGE = 20
FIXABLE = (ValidationFailed, Conflict)


@bp.record_once
def register_jobs(_state) -> None:
    """Periodic jobs are declared with the blueprint, inside ``create_app``, never at import."""
    from marketplace.openlicense import jobs
    jobs.register()


@bp.app_template_global("open_license_summary")
def open_license_summary(patent_id: int):
    """``{declaration, licensees}`` of a patent's published open license, or None (for the patent page)."""
    return services.patent_summary(patent_id)


@bp.get("/open-licenses")
def catalogue():
    """Every published open license, with its declared terms."""
    form = forms.CatalogueFilterForm(formdata=request.args)
    form.segment.choices = [("", _("全部领域")), *segment_choices(current_app.extensions["taxonomy"], select_locale())]
    page = page_number()
    items, total = services.search_catalogue(form.filters(), page, PER_PAGE)
    visitor = current_user.organisation_id if current_user.is_authenticated else None
    held = {d.id: g.id for d in items for g in d.licenses if visitor is not None and g.licensee_id == visitor}
    return render_template("openlicense/catalogue.html", form=form, items=items, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), held=held)


@bp.get("/open-licenses/<int:declaration_id>")
def detail(declaration_id: int):
    declaration = services.get_declaration(current_user, declaration_id)
    is_owner = current_user.is_authenticated and current_user.organisation_id == declaration.owner_id
    is_co_owner = current_user.is_authenticated and current_user.organisation_id is not None and \
        current_user.organisation_id in declaration.patent.co_owner_organisations().values()
    licenses = licensing.licenses_of_declaration(current_user, declaration) if current_user.is_authenticated else []
    own_license = None
    if current_user.is_authenticated and not is_owner:
        own_license = next((g for g in declaration.licenses if g.licensee_id == current_user.organisation_id), None)
    return render_template("openlicense/detail.html", declaration=declaration, is_owner=is_owner,
                           is_co_owner=is_co_owner, licenses=licenses,
                           own_license=own_license, withdraw_form=forms.WithdrawForm(),
                           confirm_form=forms.ConfirmForm(), today=local_today())


@bp.route("/patents/<int:patent_id>/open-license", methods=["GET", "POST"])
@login_required
def declare(patent_id: int):
    """The declaration builder: the eligibility check on top, the statutory contents below."""
    report = services.check_eligibility(current_user, patent_id)
    if report.patent.owner_id != current_user.organisation_id:
        abort(404)
    declaration = report.declaration
    if declaration is not None and declaration.is_published:
        return redirect(url_for("openlicense.detail", declaration_id=declaration.id))
    form = forms.DeclarationForm()
    if request.method == "GET":
        if declaration is not None:
            form.fill(declaration)
        else:
            organisation = current_user.organisation
            form.contact_name.data = organisation.contact_name
            form.contact_phone.data = organisation.contact_phone
            form.contact_email.data = organisation.contact_email
            form.term_start.data = local_today()
            form.term_end.data = report.expiry
    else:
        publish = request.form.get("action") == "publish"
        try:
            values = load_form(DeclarationWriteSchema, [name for name in form.data if name != "csrf_token"])
            saved = services.save_declaration(current_user, patent_id, values, publish=publish)
        except FIXABLE as error:
            show_errors(form, error)
        else:
            if publish:
                flash(_("开放许可声明已公告") if saved.is_published
                      else _("已提交全部共有人确认；各共有人通过自己的账户同意后公告"), "success")
                return redirect(url_for("openlicense.detail", declaration_id=saved.id))
            flash(_("草稿已保存"), "success")
            return redirect(url_for("openlicense.declare", patent_id=patent_id))
    pricing = price_help(current_user, report.patent, TransformationMode.OPEN_LICENSE)
    return render_template("openlicense/declare.html", form=form, report=report, pricing=pricing)


@bp.post("/open-licenses/<int:declaration_id>/withdraw")
@login_required
def withdraw(declaration_id: int):
    form = forms.WithdrawForm()
    if form.is_submitted():
        try:
            declaration = services.withdraw_declaration(current_user, declaration_id,
                                                        load_form(WithdrawSchema)["reason"])
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("开放许可声明已撤回；已获得的许可继续有效") if declaration.status == "withdrawn"
                  else _("撤回已提出，待专利权人及全部共有人确认"), "success")
    return redirect(url_for("openlicense.detail", declaration_id=declaration_id))


@bp.post("/open-licenses/<int:declaration_id>/accept")
@login_required
def accept(declaration_id: int):
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        grant = licensing.accept_open_license(current_user, declaration_id)
    except (Conflict, Forbidden) as error:
        show_errors(None, error)
        return redirect(url_for("openlicense.detail", declaration_id=declaration_id))
    flash(_("已向专利权人发出书面通知；请按声明方式付款，并在3个月内办理备案"), "success")
    return redirect(url_for("openlicense.license_detail", license_id=grant.id))


@bp.get("/open-licenses/mine")
@login_required
def mine():
    """The patentee's declarations, with flags first; platform admins also see every flagged one."""
    declarations = services.declarations_of(current_user) if current_user.organisation_id else []
    declarable = services.declarable_patents(current_user) if current_user.organisation_id else []
    flagged = services.flagged_declarations() if current_user.is_platform_admin else []
    return render_template("openlicense/mine.html", declarations=declarations, declarable=declarable,
                           flagged=flagged)


@bp.get("/licenses")
@login_required
def licenses():
    """Licenses the organisation holds (with schedules and overdue flags) or granted."""
    grants = licensing.licenses_of(current_user)
    org_id = current_user.organisation_id
    return render_template("openlicense/licenses.html", held=[g for g in grants if g.licensee_id == org_id],
                           granted=[g for g in grants if g.licensor_id == org_id], today=local_today())


@bp.get("/licenses/<int:license_id>")
@login_required
def license_detail(license_id: int):
    grant = licensing.get_license(current_user, license_id)
    payment_form = forms.PaymentForm()
    payment_form.installment_id.choices = [("", _("最早未付的一期"))] + [
        (str(i.id), f"#{i.sequence} {i.due_date.isoformat()}") for i in grant.installments
        if not i.is_settled and not i.awaits_report]
    is_party = current_user.organisation_id in (grant.licensee_id, grant.licensor_id)
    return render_template("openlicense/license.html", grant=grant, payment_form=payment_form,
                           recordal_form=forms.RecordalForm(), is_party=is_party, today=local_today())


@bp.get("/payments/<int:payment_id>")
@login_required
def payment(payment_id: int):
    """A payment's place: its license's page, where the payee confirms it."""
    found = payments.get_payment(current_user, payment_id)
    return redirect(url_for("openlicense.license_detail", license_id=found.license_id, _anchor=f"payment-{found.id}"))


@bp.get("/payments/<int:payment_id>/evidence")
@login_required
def evidence(payment_id: int):
    """The payment's evidence file, for the license's parties and platform admins."""
    path, found = payments.evidence_file(current_user, payment_id)
    return send_file(path, mimetype=found.evidence_type, download_name=found.evidence_name, as_attachment=True)


@bp.get("/licenses/<int:license_id>/notice")
@login_required
def notice(license_id: int):
    """The written notice (书面通知) to the patentee, laid out for printing."""
    grant = licensing.get_license(current_user, license_id)
    return render_template("openlicense/notice.html", grant=grant, declaration=grant.declaration)


@bp.post("/licenses/<int:license_id>/payments")
@login_required
def record_payment(license_id: int):
    form = forms.PaymentForm()
    form.installment_id.choices = []
    try:
        paid = payments.record_payment(current_user, license_id, load_form(PaymentWriteSchema), form.evidence.data)
    except FIXABLE as error:
        show_errors(form, error)
    else:
        flash(_("付款已确认") if paid.is_confirmed else _("付款已登记，待许可人确认收款后计入"), "success")
    return redirect(url_for("openlicense.license_detail", license_id=license_id))


@bp.post("/licenses/<int:license_id>/recordal")
@login_required
def record_recordal(license_id: int):
    form = forms.RecordalForm()
    try:
        body = load_form(RecordalSchema)
        licensing.record_recordal(current_user, license_id, body["recordal_number"], body.get("recorded_on"))
    except FIXABLE as error:
        show_errors(form, error)
    else:
        flash(_("备案号已登记"), "success")
    return redirect(url_for("openlicense.license_detail", license_id=license_id))

