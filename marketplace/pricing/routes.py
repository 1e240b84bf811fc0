"""Page: pricing help for one patent — comparable concluded deals with their range, and the income approach.

Access is the service's (``get_priced_patent``: 404 for anyone who may not
study the patent's price); the view parses the query, calls the services and
renders. GET only: it writes nothing.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from marketplace.core.dates import local_today
from marketplace.core import transaction
from marketplace.core.errors import ValidationFailed
from marketplace.core.views import show_errors
from marketplace.pricing import forms, points, services

bp = Blueprint("pricing", __name__)
TRAITS = {"segment": _l("产业领域"), "ipc_group": _l("IPC 大组"), "ipc_subclass": _l("IPC 小类"),
          "patent_type": _l("专利类型"), "maturity": _l("成熟度")}


@bp.app_template_global("pricing_trait")
def pricing_trait(name: str) -> str:
    """A shared trait of a comparable, in the reader's language."""
    return str(TRAITS.get(name, name))


@bp.get("/patents/<int:patent_id>/pricing")
@login_required
def patent(patent_id: int):
    """Comparables of the patent in the chosen mode and, when asked, the income-approach estimate."""
    found = services.get_priced_patent(current_user, patent_id)
    form = forms.PricingForm(formdata=request.args if request.args else None)
    status = 200
    try:
        mode = services.parse_mode(form.mode.data, found)
    except ValidationFailed as error:
        show_errors(form, error)
        mode, status = services.default_mode(found), 422
    form.mode.data = mode.value
    estimate = None
    if form.wants_income():
        try:
            estimate = services.estimate_income(found, request.args, local_today())
        except ValidationFailed as error:
            show_errors(form, error)
            status = 422
    help_ = services.price_help(current_user, found, mode)
    return render_template("pricing/patent.html", patent=found, help=help_, form=form, estimate=estimate,
                           default_years=services.remaining_years(found, local_today())), status


@bp.cli.command("rebuild-points")
def rebuild_points() -> None:
    """Rewrite pricing help's price points from the ledger (after bulk SQL that bypassed the session)."""
    import click
    written = points.rebuild()
    transaction.commit()
    click.echo(f"price points: {written} rows")
