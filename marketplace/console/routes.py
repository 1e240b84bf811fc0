"""Pages of the agency console: dashboard, drill-down, funnel, targets, events, exports, yearly report.

Agencies see their own scope and platform admins everything (or one agency,
``?agency_id=``); the services answer 403 to anyone else.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from marketplace.accounts.models import Organisation, OrganisationKind
from marketplace.console import dashboard, events, exports, forms, funnel, listing, rollup, statistics, targets
from marketplace.core.spreadsheets import CSV_MIMETYPE, attachment
from marketplace.console.ledger import MODES, Scope
from marketplace.core import transaction
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.views import page_number, show_errors
from marketplace.deals.models import Deal
from marketplace.extensions import db
from marketplace.core.dates import local_today

bp = Blueprint("console", __name__)
bp.record_once(lambda _state: rollup.register())
PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MODE_COLOURS = {"transfer": "#b3261e", "license": "#1f6feb", "open_license": "#2da44e", "equity": "#bf8700",
                "auction": "#cf222e", "pledge": "#8250df"}


def _scope() -> Scope:
    return statistics.scope_for(current_user, request.args.get("agency_id", type=int))


def _year() -> int:
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= 2100:
        raise ValidationFailed.field("year", _("年份应在 2000–2100 之间"))
    return year


def _scope_args(scope: Scope) -> dict[str, int]:
    """Query arguments that keep an admin's chosen agency on every link."""
    return {"agency_id": scope.agency_id} if current_user.is_platform_admin and scope.agency_id else {}


def drill_url(filters, scope: Scope, endpoint: str = "console.items") -> str:
    params: dict[str, Any] = {**statistics.filter_params(filters), **_scope_args(scope)}
    return url_for(endpoint, **params)


def chart_spec(table: statistics.Table, scope: Scope, measure: str = "amount") -> dict[str, object]:
    """Chart.js data for a table: one stacked dataset per mode, each bar linking to its items."""
    modes = [m for m in MODES if any(m in row.by_mode for row in table.rows)] or list(MODES)
    datasets, links = [], []
    for mode in modes:
        figures = [row.by_mode.get(mode) for row in table.rows]
        datasets.append({"label": str(statistics.MODE_LABELS[mode]), "backgroundColor": MODE_COLOURS[mode],
                         "data": [str(getattr(f, measure)) if f else "0" for f in figures]})
        links.append([drill_url(f.filters, scope) if f else None for f in figures])
    return {"type": "bar", "labels": [row.label for row in table.rows], "datasets": datasets, "links": links,
            "stacked": True}


def _agencies() -> list[Organisation]:
    if not current_user.is_platform_admin:
        return []
    return list(db.session.scalars(select(Organisation).where(Organisation.kind == OrganisationKind.AGENCY)
                                   .order_by(Organisation.name)))


def _render_board(template: str, **extra: object) -> str:
    scope = _scope()
    year = _year()
    board = dashboard.build_dashboard(scope, year, local_today())
    charts = {"monthly": chart_spec(board.monthly, scope),
              **{name: chart_spec(table, scope) for name, table in board.breakdowns.items() if name != "mode"}}
    return render_template(template, board=board, scope=scope, year=year, charts=charts, drill_url=drill_url,
                           scope_args=_scope_args(scope), agencies=_agencies(), modes=MODES,
                           mode_labels=statistics.MODE_LABELS, titles=dashboard.BREAKDOWN_TITLES,
                           agency=db.session.get(Organisation, scope.agency_id) if scope.agency_id else None, **extra)


@bp.get("/console")
@login_required
def index():
    return _render_board("console/dashboard.html")


@bp.get("/console/report")
@login_required
def report():
    """The yearly report: the same figures, laid out for printing (print CSS)."""
    return _render_board("console/report.html")


@bp.get("/console/stats.xlsx")
@login_required
def stats_xlsx():
    board = dashboard.build_dashboard(_scope(), _year(), local_today())
    return Response(dashboard.workbook(board), mimetype=XLSX,
                    headers=attachment("console", board.year, fmt="xlsx"))


@bp.get("/console/stats.csv")
@login_required
def stats_csv():
    """One statistics table (``group_by`` and the filters) as CSV."""
    filters = statistics.parse_filters(request.args)
    table = statistics.deal_statistics(_scope(), filters, request.args.get("group_by", "month"))
    headers, rows = exports.table_rows(table)
    return Response(exports.to_csv(headers, rows), content_type=CSV_MIMETYPE,
                    headers=attachment("console-stats", table.group_by, filters.start, filters.end, fmt="csv"))


@bp.get("/console/items")
@login_required
def items():
    """The drill-down: the deals, open licenses and pledges behind a figure."""
    scope = _scope()
    filters = statistics.parse_filters(request.args)
    page = page_number()
    found = listing.list_items(scope, filters, page, PER_PAGE)
    params = {**statistics.filter_params(filters), **_scope_args(scope)}
    return render_template("console/items.html", listing=found, filters=filters, params=params, page=page,
                           pages=max(1, -(-found.total // PER_PAGE)), modes=MODES,
                           mode_labels=statistics.MODE_LABELS, fee_labels=statistics.FEE_LABELS)


@bp.get("/console/items.<any(csv, xlsx):fmt>")
@login_required
def items_export(fmt: str):
    """The drill-down list as a file: every row of every page, and the same total."""
    filters = statistics.parse_filters(request.args)
    found = listing.list_items(_scope(), filters, per_page=None)
    if fmt == "csv":
        return Response(exports.listing_csv(found), content_type=CSV_MIMETYPE,
                        headers=attachment("console-items", filters.start, filters.end, fmt="csv"))
    return Response(exports.listing_xlsx(found), mimetype=XLSX,
                    headers=attachment("console-items", filters.start, filters.end, fmt="xlsx"))


@bp.get("/console/funnel")
@login_required
def funnel_page():
    scope = _scope()
    filters = statistics.parse_filters(request.args)
    result = funnel.conversion_funnel(scope, filters)
    chart = {"type": "bar", "labels": [str(funnel.STAGE_LABELS[s]) for s in funnel.STAGES], "stacked": False,
             "counts": True,
             "datasets": [{"label": _("匹配数"), "backgroundColor": MODE_COLOURS["transfer"],
                           "data": [result.total.stages[s] for s in funnel.STAGES]}]}
    return render_template("console/funnel.html", funnel=result, filters=filters, stages=funnel.STAGES,
                           stage_labels=funnel.STAGE_LABELS, scope_args=_scope_args(scope), chart=chart)


@bp.route("/console/targets", methods=["GET", "POST"])
@login_required
def targets_page():
    """An agency enters or changes one year's targets."""
    agency = statistics.scope_for(current_user)
    year = _year()
    existing = targets.targets_for(agency.agency_id, year) if agency.agency_id else None
    form = forms.TargetForm()
    if request.method == "GET" and existing is not None:
        form.fill(existing)
    if form.validate_on_submit():
        try:
            targets.save_targets(current_user, year, form.values())
        except (ValidationFailed, Conflict) as error:
            show_errors(form, error)
        else:
            flash(_("%(year)d 年目标已保存", year=year), "success")
            return redirect(url_for("console.index", year=year))
    return render_template("console/targets.html", form=form, year=year, existing=existing)


@bp.route("/console/events", methods=["GET", "POST"])
@login_required
def events_page():
    scope = _scope()
    form = forms.EventForm()
    _event_choices(form)
    if form.validate_on_submit():
        try:
            event = events.create_event(current_user, form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("活动已创建"), "success")
            return redirect(url_for("console.event_page", event_id=event.id))
    can_create = bool(current_user.organisation and current_user.organisation.kind == OrganisationKind.AGENCY)
    return render_template("console/events.html", events=events.list_events(scope), form=form,
                           can_create=can_create)


def _event_choices(form: forms.EventForm) -> None:
    form.segments.choices = [(s.code, statistics.segment_label(s.code)) for s in current_app.extensions["taxonomy"]]
    form.invited.choices = [(o.id, o.name) for o in events.invitable_organisations()]


@bp.get("/console/events/<int:event_id>")
@login_required
def event_page(event_id: int):
    event = events.get_event(current_user, event_id)
    attendance = forms.AttendanceForm()
    attendance.attended.choices = [(i.organisation_id, i.organisation.name) for i in event.invitations]
    attendance.attended.data = [i.organisation_id for i in event.invitations if i.attended]
    invite = forms.InviteForm()
    invited = {i.organisation_id for i in event.invitations}
    invite.organisation_ids.choices = [(o.id, o.name) for o in events.invitable_organisations() if o.id not in invited]
    outcome = forms.OutcomeForm()
    outcome.organisation_id.choices = [("", "—")] + [(str(i.organisation_id), i.organisation.name)
                                                    for i in event.invitations]
    outcome.deal_id.choices = [("", "—")] + [(str(d.id), d.title or f"#{d.id}") for d in db.session.scalars(
        select(Deal).where(Deal.agency_id == event.agency_id).order_by(Deal.id.desc()).limit(200))]
    return render_template("console/event.html", event=event, attendance=attendance, invite=invite, outcome=outcome,
                           can_change=current_user.organisation_id == event.agency_id, today=local_today())


@bp.post("/console/events/<int:event_id>/attendance")
@login_required
def event_attendance(event_id: int):
    form = forms.AttendanceForm()
    event = events.get_event(current_user, event_id)
    form.attended.choices = [(i.organisation_id, "") for i in event.invitations]
    if form.validate_on_submit():
        chosen = set(form.attended.data or [])
        try:
            events.record_attendance(current_user, event_id, {
                "attended": sorted(chosen), "absent": [i.organisation_id for i in event.invitations
                                                       if i.organisation_id not in chosen]})
        except ValidationFailed as error:
            show_errors(None, error)
        else:
            flash(_("出席情况已记录"), "success")
    return redirect(url_for("console.event_page", event_id=event_id))


@bp.post("/console/events/<int:event_id>/invitations")
@login_required
def event_invite(event_id: int):
    form = forms.InviteForm()
    if form.validate_on_submit():
        try:
            events.invite(current_user, event_id, form.organisation_ids.data or [])
        except ValidationFailed as error:
            show_errors(None, error)
        else:
            flash(_("已邀请"), "success")
    return redirect(url_for("console.event_page", event_id=event_id))


@bp.post("/console/events/<int:event_id>/outcomes")
@login_required
def event_outcome(event_id: int):
    form = forms.OutcomeForm()
    if form.validate_on_submit():
        try:
            events.add_outcome(current_user, event_id, form.values())
        except ValidationFailed as error:
            show_errors(None, error)
        else:
            flash(_("活动成果已记录"), "success")
    return redirect(url_for("console.event_page", event_id=event_id))


@bp.cli.command("rebuild-rollup")
def rebuild_rollup() -> None:
    """Recompute the monthly rollup from the ledger (after bulk SQL that bypassed the session)."""
    import click
    written = rollup.rebuild()
    transaction.commit()
    click.echo(f"stats rollup: {written} rows")

