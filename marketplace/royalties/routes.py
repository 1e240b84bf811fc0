"""Pages: the licensee files a royalty report; both parties read a license's royalty statement per year.

The report form sits on the license page (``openlicense/license.html``
includes ``royalties/_reports.html``); the statement has its own page and
CSV/XLSX downloads built by ``core.spreadsheets`` (formulas neutralised).
Access rules live in the services: foreign licenses answer 404.
"""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.dates import local_today, parse_year
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, attachment, to_csv, to_xlsx
from marketplace.core.views import show_errors
from marketplace.royalties import forms, services

bp = Blueprint("royalties", __name__)
FIXABLE = (ValidationFailed, Conflict)


@bp.record_once
def register_jobs(_state) -> None:
    """Periodic jobs are declared with the blueprint, inside ``create_app``, never at import."""
    from marketplace.royalties import jobs
    jobs.register()


@bp.app_template_global("royalty_periods")
def royalty_periods(grant):
    """The license's royalty periods with their reports (for the license page)."""
    return services.periods_of(grant) if grant.declaration.payment_method.has_royalty else []


@bp.app_template_global("royalty_report_form")
def royalty_report_form(grant):
    """The report form with the ended, unreported periods as choices (empty when there is none)."""
    form = forms.ReportForm()
    today = local_today()
    form.installment_id.choices = [
        (str(p.installment.id), f"{p.start.isoformat()} – {p.end.isoformat()}")
        for p in services.periods_of(grant) if not p.reported and p.end <= today]
    return form


@bp.app_template_global("royalty_period_state")
def royalty_period_state(period, today):
    return services.period_state(period, today)


@bp.post("/licenses/<int:license_id>/royalty-reports")
@login_required
def file_report(license_id: int):
    """The licensee reports a period; the royalty becomes the installment's amount."""
    form = forms.ReportForm()
    form.installment_id.choices = []
    if form.validate_on_submit():
        try:
            report = services.file_report(current_user, license_id, {
                "installment_id": form.installment_id.data or None, "base_amount": form.base_amount.data,
                "units": form.units.data, "royalty_rate": form.royalty_rate.data, "note": form.note.data})
        except FIXABLE as error:
            show_errors(form, error)
        else:
            flash(_("提成报告已提交：应付提成 %(royalty)s，付款经许可人确认后计入",
                    royalty=f"¥{report.royalty:,.2f}"), "success")
    else:
        flash(_("请填写本期申报金额"), "danger")
    return redirect(url_for("openlicense.license_detail", license_id=license_id, _anchor="royalties"))


def _year(grant) -> int:
    year = parse_year(request.args.get("year"))
    if year is None:
        years = services.statement_years(grant)
        today = local_today().year
        return today if not years or today in years else min(years, key=lambda y: abs(y - today))
    return year


@bp.get("/licenses/<int:license_id>/royalties")
@login_required
def statement(license_id: int):
    """The royalty statement of one license and year: reported bases, royalties, confirmed payments."""
    grant = services.royalty_license(current_user, license_id)
    found = services.statement(current_user, grant.id, _year(grant))
    return render_template("royalties/statement.html", statement=found, grant=grant,
                           years=services.statement_years(grant), today=local_today())


@bp.get("/licenses/<int:license_id>/royalties.<any(csv, xlsx):fmt>")
@login_required
def statement_export(license_id: int, fmt: str):
    """The statement as CSV (UTF-8 with BOM) or XLSX, for the parties' finance offices."""
    grant = services.royalty_license(current_user, license_id)
    found = services.statement(current_user, grant.id, _year(grant))
    headers, rows = services.statement_rows(found, local_today())
    name = ("royalties", grant.id, found.year)
    if fmt == "csv":
        return Response(to_csv(headers, rows), content_type=CSV_MIMETYPE,
                        headers=attachment(*name, fmt=fmt))
    return Response(to_xlsx([(_("提成对账单"), headers, rows)]), mimetype=XLSX_MIMETYPE,
                    headers=attachment(*name, fmt=fmt))
