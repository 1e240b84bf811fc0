"""Pages: the institution's inventors, shares, reward policy, rewards per income and inventor, the finance export,
and the yearly report for the authorities (printable and XLSX). Members of the institution only (the services
answer 403 to anyone else, 404 for another institution's rows)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.core.dates import local_today
from marketplace.core.errors import ValidationFailed
from marketplace.core.spreadsheets import XLSX_MIMETYPE, attachment, to_xlsx
from marketplace.core.views import act_and_redirect
from marketplace.rewards import forms, report, services

bp = Blueprint("rewards", __name__)


def _year() -> int:
    raw = request.args.get("year", "")
    if raw == "":
        return services.policy_of(services.office_of(current_user).id).year_of(local_today())
    if not raw.isdigit() or len(raw) != 4:
        raise ValidationFailed.field("year", _("应为四位年份"))
    return int(raw)


def _run(action: Any, done: str, year: str | None) -> Any:
    return act_and_redirect(action, done, url_for("rewards.index", year=year or None), forms.RewardsForm())


@bp.get("/office/rewards")
@login_required
def index():
    """Incomes of the reporting year with each inventor's reward; policy, inventors, shares, costs."""
    found = services.overview(current_user, _year())
    return render_template("rewards/index.html", overview=found, inventors=services.inventors_of(current_user),
                           kind_label=services.kind_label, today=local_today(),
                           can_manage=current_user.role is not None and current_user.role.manages_members)


@bp.post("/office/rewards/policy")
@login_required
def set_policy():
    raw = {k: request.form.get(k, "") for k in ("transfer_license_percent", "equity_percent", "agreement",
                                                 "year_start_month")}
    return _run(lambda: services.set_policy(current_user, raw), _("奖酬政策已保存"), request.form.get("year"))


@bp.post("/office/rewards/inventors")
@login_required
def add_inventor():
    raw = {"name": request.form.get("name", ""), "staff_number": request.form.get("staff_number", "")}
    return _run(lambda: services.add_inventor(current_user, raw), _("发明人已添加"), request.form.get("year"))


@bp.post("/office/rewards/shares")
@login_required
def set_shares():
    """Shares typed as ``inventor_id`` / ``share`` pairs for the patent given by its id."""
    entries = [{"inventor_id": i, "share": s} for i, s in zip(request.form.getlist("inventor_id"),
                                                               request.form.getlist("share")) if i and s]

    def action() -> None:
        try:
            patent_id = int(request.form.get("patent_id", ""))
        except ValueError:
            raise ValidationFailed.field("patent_id", _("应为整数")) from None
        services.set_shares(current_user, patent_id, entries)
    return _run(action, _("发明人份额已保存"), request.form.get("year"))


@bp.post("/office/rewards/costs")
@login_required
def add_cost():
    raw = {k: request.form.get(k, "") for k in ("source", "item_id", "amount", "description")}
    return _run(lambda: services.add_cost(current_user, raw), _("成本已登记"), request.form.get("year"))


@bp.post("/office/rewards/paid")
@login_required
def mark_paid():
    raw = {k: request.form.get(k, "") for k in ("source", "item_id", "paid_on")}
    return _run(lambda: services.mark_paid(current_user, raw), _("奖酬已登记发放"), request.form.get("year"))


@bp.get("/office/rewards/inventors/<int:inventor_id>")
@login_required
def statement(inventor_id: int):
    """One inventor's rewards in the reporting year, income by income."""
    found = services.statement(current_user, inventor_id, _year())
    return render_template("rewards/statement.html", statement=found, kind_label=services.kind_label)


@bp.get("/office/rewards.xlsx")
@login_required
def finance_export():
    """Rewards per income and inventor for the finance office (formula-safe cells)."""
    found = services.overview(current_user, _year())
    headers, rows = services.finance_rows(found)
    return Response(to_xlsx([(_("发明人奖酬"), headers, rows)]), mimetype=XLSX_MIMETYPE,
                    headers=attachment("rewards", found.year, fmt="xlsx"))


@bp.get("/office/report")
@login_required
def authority_report():
    """The yearly report for the authorities, printable."""
    return render_template("rewards/report.html", report=report.authority_report(current_user, _year()))


@bp.get("/office/report.xlsx")
@login_required
def authority_report_export():
    found = report.authority_report(current_user, _year())
    return Response(to_xlsx(report.report_sheets(found)), mimetype=XLSX_MIMETYPE,
                    headers=attachment("report", found.year, fmt="xlsx"))
