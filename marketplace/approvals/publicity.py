"""Publicity notices (公示): public while they run, objections filed and resolved, and the demo's shortcut.

Anyone may read the notices; a signed-in user files an objection online
while the period runs, and the institution records those it receives by
letter or phone. Objections are resolved by the workflow's objection role
(else the institution's owners and admins): dismissed, the act may proceed
once the period ends; upheld, the review ends and the institution may not
consent to those terms.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import current_app
from marketplace.core.i18n import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.approvals.models import Objection, ObjectionStatus, PublicityNotice, ReviewStatus
from marketplace.approvals.reviews import get_review, resolve_objections_allowed
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.models import utcnow
from marketplace.extensions import db

ENTITY = "publicity_notice"
MAX_OBJECTION = 2000


def public_notices(current: bool = True, organisation_id: int | None = None, page: int = 1, per_page: int = 20
                   ) -> tuple[list[PublicityNotice], int]:
    """Notices running today (``current``) or all, newest first; anyone may read them."""
    today = local_today()
    stmt = select(PublicityNotice)
    if current:
        stmt = stmt.where(PublicityNotice.starts_on <= today, PublicityNotice.ends_on > today)
    if organisation_id is not None:
        stmt = stmt.where(PublicityNotice.organisation_id == organisation_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(db.session.scalars(stmt.options(selectinload(PublicityNotice.organisation),
                                                 selectinload(PublicityNotice.review))
                                    .order_by(PublicityNotice.starts_on.desc(), PublicityNotice.id.desc())
                                    .limit(per_page).offset((page - 1) * per_page)))
    return items, total


def get_notice(notice_id: int) -> PublicityNotice:
    notice = db.session.get(PublicityNotice, notice_id)
    if notice is None:
        raise NotFound(_("公示不存在"))
    return notice


def _lock_notice(notice_id: int) -> PublicityNotice:
    notice = db.session.scalar(select(PublicityNotice).where(PublicityNotice.id == notice_id).with_for_update()
                               .execution_options(populate_existing=True))
    if notice is None:
        raise NotFound(_("公示不存在"))
    return notice


def _objection_values(raw: Mapping[str, Any], default_name: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    name = str(raw.get("name") or default_name).strip()
    contact = str(raw.get("contact") or "").strip()
    text = str(raw.get("text") or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("须填写异议人（≤100字）")
    if len(contact) > 200:
        errors["contact"] = _("最多 %(n)d 字", n=200)
    if not text or len(text) > MAX_OBJECTION:
        errors["text"] = _("须写明异议内容（≤%(n)d字）", n=MAX_OBJECTION)
    if errors:
        raise ValidationFailed(str(_("；")).join(errors.values()), errors)
    return {"name": name, "contact": contact, "text": text}


def file_objection(user: User, notice_id: int, raw: Mapping[str, Any]) -> Objection:
    """A signed-in user objects online while the notice runs (the institution is told on its review page)."""
    if user is None or not user.is_authenticated:
        raise Forbidden(_("请先登录后再提出异议"))
    notice = _lock_notice(notice_id)
    if not notice.running(local_today()):
        raise Conflict(_("公示期已过或尚未开始，不能再提出异议"))
    values = _objection_values(raw, user.name)
    objection = Objection(notice_id=notice.id, filed_by_id=user.id, **values)
    db.session.add(objection)
    db.session.flush()
    record_audit("publicity.objection_filed", ENTITY, notice.id, {"objection_id": objection.id}, actor=user)
    return objection


def record_objection(user: User, review_id: int, raw: Mapping[str, Any]) -> Objection:
    """The institution records an objection it received by letter, phone or in person during the period."""
    review = get_review(user, review_id)
    if review.notice is None:
        raise Conflict(_("该审批单没有公示"))
    notice = _lock_notice(review.notice.id)
    if not notice.starts_on <= local_today() <= notice.ends_on:  # received on the last day: entered the day after
        raise Conflict(_("公示期已过，不能再登记异议"))
    values = _objection_values(raw)
    objection = Objection(notice_id=notice.id, recorded_by_id=user.id, **values)
    db.session.add(objection)
    db.session.flush()
    record_audit("publicity.objection_recorded", ENTITY, notice.id, {"objection_id": objection.id}, actor=user)
    return objection


def resolve_objection(user: User, objection_id: int, upheld: bool, resolution: str) -> Objection:
    """Dismiss or uphold an objection, with the reasons; upholding ends the review."""
    objection = db.session.get(Objection, objection_id)
    if objection is None:
        raise NotFound(_("异议不存在"))
    notice = _lock_notice(objection.notice_id)
    get_review(user, notice.review_id)  # members of the institution only (404 otherwise)
    if not resolve_objections_allowed(user, notice):
        raise Forbidden(_("您不负责处理本公示的异议"))
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict(_("该异议已处理（%(status)s）", status=objection.status.label))
    resolution = (resolution or "").strip()
    if not resolution or len(resolution) > 2000:
        raise ValidationFailed.field("resolution", _("须写明处理意见（≤2000字）"))
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.resolution, objection.resolved_by_id, objection.resolved_at = resolution, user.id, utcnow()
    if upheld:
        review = notice.review
        review.status, review.closed_at = ReviewStatus.OBJECTION_UPHELD, utcnow()
    db.session.flush()
    record_audit(f"publicity.objection_{objection.status.value}", ENTITY, notice.id,
                 {"objection_id": objection.id, "resolution": resolution}, actor=user)
    return objection


def shorten(user: User | None, notice_id: int, days: int = 0) -> PublicityNotice:
    """Demo only: cut the notice's period to ``days`` (0: it ends today), marked as shortened, audited.

    Refused outside demo mode: the period is the law's. ``user`` None is the
    command line; otherwise an owner or admin of the institution.
    """
    if not current_app.config["SETTINGS"].demo_mode:
        raise Forbidden(_("公示期只有在演示模式下才能缩短"))
    notice = _lock_notice(notice_id)
    if user is not None:
        from marketplace.approvals.reviews import is_manager
        get_review(user, notice.review_id)
        if not is_manager(user, notice.organisation_id):
            raise Forbidden(_("仅机构管理员可以缩短演示公示期"))
    if days < 0 or days >= notice.days:
        raise ValidationFailed.field("days", _("应在 0–%(n)d 天之间", n=notice.days - 1))
    before = notice.ends_on
    notice.ends_on = notice.starts_on + timedelta(days=days)
    notice.shortened = True
    db.session.flush()
    record_audit("publicity.shortened", ENTITY, notice.id, {"ends_on": [before, notice.ends_on], "demo": True},
                 actor=user, organisation_id=notice.organisation_id)
    return notice
