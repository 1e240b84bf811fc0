"""Pages: an organisation's "运营机构授权" (agencies serving it) and an agency's client list.

One page per side at the same address; every act is a form posted to the
services, which decide who may do it (the side that did not ask decides,
only the organisation sets the scope or revokes).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from marketplace.accounts.models import OrganisationKind
from marketplace.agencies import forms, services
from marketplace.agencies.api import (
    AcceptSchema, CommentSchema, PermissionsSchema, RelationshipCreateSchema, RevokeSchema,
)
from marketplace.api.inputs import load_form
from marketplace.agencies.models import RelationshipStatus, RequestSide
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.accounts.permissions import require_organisation
from marketplace.core.views import show_errors

bp = Blueprint("agencies", __name__)
FIXABLE = (ValidationFailed, Conflict)


def _is_agency() -> bool:
    organisation = current_user.organisation
    return organisation is not None and organisation.kind == OrganisationKind.AGENCY


@bp.get("/agencies")
@login_required
def index():
    """The organisation's authorisations, or the agency's clients (platform admins: every relationship)."""
    if not current_user.is_platform_admin:
        require_organisation(current_user)
    relationships = services.relationships_of(current_user)
    can_manage = bool(current_user.role and current_user.role.manages_members)
    agency_side = _is_agency() or current_user.is_platform_admin
    context = {"relationships": relationships, "can_manage": can_manage, "statuses": RelationshipStatus,
               "sides": RequestSide, "accept_form": forms.AcceptForm(), "comment_form": forms.CommentForm(),
               "permissions_form": forms.PermissionsForm(), "permission_choices": dict(forms.PERMISSION_CHOICES),
               "my_id": current_user.organisation_id}
    if agency_side:
        request_form = forms.AgencyRequestForm()
        request_form.organisation_id.choices = [(o.id, o.name) for o in services.servable_organisations()]
        return render_template("agencies/clients.html", request_form=request_form, **context)
    request_form = forms.OrganisationRequestForm()
    request_form.agency_id.choices = [(o.id, o.name) for o in services.agencies()]
    return render_template("agencies/authorisations.html", request_form=request_form, **context)


# Each act on a relationship: its form (drawn only), the service call with what was sent read through the API's
# schema of the act, and what to tell the user once it is done.
ACTS: dict[str, tuple[type, Callable[[int], object], object]] = {
    "accept": (forms.AcceptForm, lambda rid: services.accept_relationship(  # the scope and start: organisations'
        current_user, rid, load_form(AcceptSchema, ("comment",) if _is_agency() else None)),
        _l("已接受，授权自开始日期起生效")),
    "decline": (forms.CommentForm, lambda rid: services.decline_relationship(current_user, rid,
                                                                             load_form(CommentSchema)), _l("已拒绝")),
    "withdraw": (forms.CommentForm, lambda rid: services.withdraw_request(current_user, rid), _l("申请已撤回")),
    "permissions": (forms.PermissionsForm, lambda rid: services.change_permissions(
        current_user, rid, load_form(PermissionsSchema)), _l("授权范围已更新，自今日起生效")),
    "revoke": (forms.CommentForm, lambda rid: services.revoke_relationship(  # the page's one box is the reason
        current_user, rid, load_form(RevokeSchema, (), reason=request.form.get("comment", ""))),
        _l("授权已撤销，该运营机构自今日起不再看到本机构的新数据")),
}


def _done(action: Callable[[], object], message: object, form: FlaskForm):
    """Run one posted act: flash what happened or why it was refused (fields named by ``form``'s labels, the
    schema's), then back to the list."""
    try:
        action()
    except FIXABLE as error:
        show_errors(form, error)
    else:
        flash(str(message), "success")
    return redirect(url_for("agencies.index"))


@bp.post("/agencies/requests")
@login_required
def ask():
    """An agency asks to serve an organisation, or an organisation asks an agency."""
    form = forms.AgencyRequestForm() if _is_agency() else forms.OrganisationRequestForm()
    names = [name for name in form.data if name != "csrf_token"]  # an agency sets no start
    return _done(lambda: services.request_relationship(current_user, load_form(RelationshipCreateSchema, names)),
                 _("申请已发送，等待对方确认"), form)


@bp.post("/agencies/<int:relationship_id>/<any(accept, decline, withdraw, permissions, revoke):act>")
@login_required
def act(relationship_id: int, act: str):
    """Accept, decline, withdraw, change the scope of or revoke a relationship; the services say who may."""
    form_class, action, message = ACTS[act]
    return _done(lambda: action(relationship_id), message, form_class())
