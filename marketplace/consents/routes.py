"""Pages: the organisation's to-do list of acts awaiting its consent, and approving or refusing one.

The navigation shows the list with its count (``consents_awaiting``, a
template global). Object pages show their proposals with ``consents/_panel.html``.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.api.inputs import load_form
from marketplace.consents import forms, services
from marketplace.consents.api import DecisionSchema
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.views import page_number, safe_next, show_errors

bp = Blueprint("consents", __name__)
PER_PAGE = 50


@bp.app_context_processor
def consent_helpers() -> dict[str, Any]:
    """``consents_awaiting()`` for the navigation badge (a callable, so pages that do not show it run no query);
    ``consent_gate_notes(consent)`` for what the organisation's own gates say about a consent it must give."""
    def consents_awaiting() -> int:
        return services.awaiting_count(current_user) if current_user.is_authenticated else 0
    return {"consents_awaiting": consents_awaiting, "consent_gate_notes": services.gate_notes}


@bp.get("/consents")
@login_required
def index():
    """Acts awaiting the organisation's consent, then its recent decisions."""
    page = page_number()
    waiting, total = services.awaiting(current_user, page, PER_PAGE)
    past, _total = services.decided(current_user, 1, 20)
    return render_template("consents/index.html", waiting=waiting, total=total, past=past, page=page,
                           pages=max(1, -(-total // PER_PAGE)), form=forms.DecisionForm())


@bp.get("/consents/proposals/<int:proposal_id>")
@login_required
def proposal(proposal_id: int):
    """Where a notification leads: the page of the object the act is about."""
    found = services.visible_proposal(current_user, proposal_id)
    endpoint, argument = services.rules_for(found.act).page
    return redirect(url_for(endpoint, **{argument: found.subject_id}))  # type: ignore[arg-type]


def _decide(consent_id: int, approve: bool):
    form = forms.DecisionForm()
    target = safe_next(url_for("consents.index"))
    if form.is_submitted():
        try:
            services.decide(current_user, consent_id, approve, load_form(DecisionSchema, ("comment",))["comment"])
        except (Conflict, ValidationFailed) as error:  # a platform admin's attempt answers 403, as in the API
            show_errors(None, error)
        else:
            flash(_("已同意") if approve else _("已拒绝"), "success")
    return redirect(target)


@bp.post("/consents/<int:consent_id>/approve")
@login_required
def approve(consent_id: int):
    return _decide(consent_id, True)


@bp.post("/consents/<int:consent_id>/reject")
@login_required
def reject(consent_id: int):
    return _decide(consent_id, False)
