"""Pages: the institution's internal approval (roles, workflows, reviews, objections) and the public notices.

Internal pages are for members of the owning institution only (the services
answer 404 or 403 to anyone else); the notices are public, and any signed-in
user may object while a notice runs.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.approvals import config, publicity, reviews
from marketplace.approvals.models import ObjectionStatus, Pricing, ReviewStatus, StepDecision
from marketplace.consents.models import ConsentAct, ConsentRole
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.views import act_and_redirect, page_number, show_errors

bp = Blueprint("approvals", __name__)
FIXABLE = (ValidationFailed, Conflict, Forbidden)
PER_PAGE = 50


@bp.app_context_processor
def approval_helpers() -> dict[str, Any]:
    """``act_label(value)``: a workflow's or review's act (stored as its value) by its label."""
    def act_label(value: str) -> str:
        act = ConsentAct.parse(value)
        return act.label if act is not None else value
    return {"act_label": act_label}


@bp.get("/office/approvals")
@login_required
def index():
    """The institution's reviews (those awaiting the user first) and, for its managers, roles and workflows."""
    organisation = config.office_of(current_user)
    page = page_number()
    items, total = reviews.reviews_of(current_user, request.args.get("status") or None, page, PER_PAGE)
    return render_template(
        "approvals/index.html", reviews=items, total=total, page=page, pages=max(1, -(-total // PER_PAGE)),
        awaiting=reviews.awaiting_me(current_user), roles=config.roles_of(organisation.id),
        workflows=config.workflows_of(organisation.id), acts=config.act_choices(), consent_roles=list(ConsentRole),
        can_manage=reviews.is_manager(current_user, organisation.id), members=_members(organisation.id),
        statuses=list(ReviewStatus), default_days=current_app.config["SETTINGS"].publicity_days)


def _members(organisation_id: int) -> list[Any]:
    from marketplace.accounts.services import members_of

    return [membership.user for membership in members_of(organisation_id)]


@bp.post("/office/approvals/roles")
@bp.post("/office/approvals/roles/<int:role_id>")
@login_required
def save_role(role_id: int | None = None):
    raw = {"name": request.form.get("name", ""), "description": request.form.get("description", ""),
           "member_ids": request.form.getlist("member_ids")}
    return act_and_redirect(lambda: config.save_role(current_user, raw, role_id), _("审批角色已保存"),
                            url_for("approvals.index"))


@bp.post("/office/approvals/roles/<int:role_id>/delete")
@login_required
def delete_role(role_id: int):
    return act_and_redirect(lambda: config.delete_role(current_user, role_id), _("审批角色已删除"), url_for("approvals.index"))


def _workflow_form(form: Any) -> dict[str, Any]:
    steps = []
    for index in range(1, config.MAX_STEPS + 1):
        name, role_id = form.get(f"step_name-{index}", ""), form.get(f"step_role-{index}", "")
        if name or role_id:
            steps.append({"name": name, "role_id": role_id})
    return {"act": form.get("act", ""), "name": form.get("name", ""), "roles": form.getlist("roles"),
            "publicity_days": form.get("publicity_days", ""), "objection_role_id": form.get("objection_role_id"),
            "contact_name": form.get("contact_name", ""), "contact_phone": form.get("contact_phone", ""),
            "contact_email": form.get("contact_email", ""), "steps": steps}


@bp.post("/office/approvals/workflows")
@login_required
def save_workflow():
    return act_and_redirect(lambda: config.save_workflow(current_user, _workflow_form(request.form)), _("审批流程已保存"),
                            url_for("approvals.index"))


@bp.post("/office/approvals/workflows/<int:workflow_id>/delete")
@login_required
def delete_workflow(workflow_id: int):
    return act_and_redirect(lambda: config.delete_workflow(current_user, workflow_id), _("审批流程已删除"),
                            url_for("approvals.index"))


@bp.get("/office/approvals/reviews/<int:review_id>")
@login_required
def review(review_id: int):
    found = reviews.get_review(current_user, review_id)
    step = found.current_step
    notice = found.notice
    return render_template(
        "approvals/review.html", review=found, step=step, notice=notice,
        may_decide=step is not None and reviews.may_decide(current_user, step),
        may_resolve=notice is not None and reviews.resolve_objections_allowed(current_user, notice),
        may_shorten=notice is not None and current_app.config["SETTINGS"].demo_mode
        and reviews.is_manager(current_user, found.organisation_id),
        state=reviews.state(found), consent=reviews.consent_for(found), pricings=list(Pricing),
        decisions=StepDecision, objection_open=ObjectionStatus.OPEN)


@bp.post("/office/approvals/reviews/<int:review_id>/<any(approve, reject):decision>")
@login_required
def decide(review_id: int, decision: str):
    return act_and_redirect(lambda: reviews.decide_step(current_user, review_id, decision == "approve",
                                                        request.form.get("comment", "")),
                            _("已同意") if decision == "approve" else _("已拒绝"),
                            url_for("approvals.review", review_id=review_id))


@bp.post("/office/approvals/consents/<int:consent_id>/review")
@login_required
def restart(consent_id: int):
    try:
        started = reviews.start_review(current_user, consent_id, request.form.get("pricing") or None)
    except FIXABLE as error:
        show_errors(None, error)
        return redirect(url_for("approvals.index"))
    flash(_("已重新发起内部审批"), "success")
    return redirect(url_for("approvals.review", review_id=started.id))


@bp.post("/office/approvals/reviews/<int:review_id>/objections")
@login_required
def record_objection(review_id: int):
    return act_and_redirect(lambda: publicity.record_objection(current_user, review_id, request.form), _("异议已登记"),
                            url_for("approvals.review", review_id=review_id))


@bp.post("/office/approvals/objections/<int:objection_id>/<any(dismiss, uphold):outcome>")
@login_required
def resolve_objection(objection_id: int, outcome: str):
    target = request.form.get("review_id", "")
    return act_and_redirect(lambda: publicity.resolve_objection(current_user, objection_id, outcome == "uphold",
                                                                request.form.get("resolution", "")),
                            _("异议已处理"), url_for("approvals.review", review_id=int(target)) if target.isdigit()
                            else url_for("approvals.index"))


@bp.post("/office/approvals/notices/<int:notice_id>/shorten")
@login_required
def shorten(notice_id: int):
    notice = publicity.get_notice(notice_id)
    return act_and_redirect(lambda: publicity.shorten(current_user, notice_id, 0), _("演示：公示期已缩短至今日届满"),
                            url_for("approvals.review", review_id=notice.review_id))


@bp.get("/notices")
def notices():
    """Publicity notices running today (``?all=1``: every notice), for anyone."""
    page = page_number()
    show_all = request.args.get("all") == "1"
    items, total = publicity.public_notices(current=not show_all, page=page, per_page=20)
    return render_template("approvals/notices.html", notices=items, total=total, page=page,
                           pages=max(1, -(-total // 20)), show_all=show_all)


@bp.get("/notices/<int:notice_id>")
def notice(notice_id: int):
    found = publicity.get_notice(notice_id)
    return render_template("approvals/notice.html", notice=found, running=found.running(local_today()))


@bp.post("/notices/<int:notice_id>/objections")
@login_required
def object_to(notice_id: int):
    return act_and_redirect(lambda: publicity.file_objection(current_user, notice_id, request.form),
                            _("异议已提交，公示单位将处理并答复"), url_for("approvals.notice", notice_id=notice_id))
