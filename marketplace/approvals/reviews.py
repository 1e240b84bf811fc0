"""Reviews: the institution's internal approval of one act, step by step, then its publicity.

A review opens when the institution is asked to consent to an act its
workflow governs (``gate.asked``), or when a member starts it again (after a
refusal, or to correct how the price was set). Each step is decided by a
member of the role it is assigned to (or the one member it names), in order;
a refusal ends the review. After the last approval the notice is published
for the review's period, unless the price was set by listing or auction.
The institution's consent is allowed (``consent_refusal``) only once the
review approved and the period ended with every objection dismissed.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import force_locale
from marketplace.core.i18n import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Membership, User
from marketplace.approvals import config, subjects
from marketplace.approvals.models import (
    Pricing, PublicityNotice, Review, ReviewStatus, ReviewStep, StepDecision, Workflow,
)
from marketplace.consents.models import Consent, ConsentAct, Decision, Proposal, ProposalStatus
from marketplace.consents.services import rules_for
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.mail import queue_mail
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.accounts.permissions import get_visible

ENTITY = "approval_review"
MAX_COMMENT = 1000


def _key(review_or_proposal: Review | Proposal) -> tuple[str, str, int, int]:
    act = review_or_proposal.act
    return (act.value if isinstance(act, ConsentAct) else act, review_or_proposal.subject_type,
            review_or_proposal.subject_id, review_or_proposal.terms_version)


def current_review(organisation_id: int, proposal: Proposal) -> Review | None:
    """The institution's latest review of this act on this object for these terms (a superseded one never)."""
    act, subject_type, subject_id, version = _key(proposal)
    return db.session.scalar(
        select(Review).where(Review.organisation_id == organisation_id, Review.act == act,
                             Review.subject_type == subject_type, Review.subject_id == subject_id,
                             Review.terms_version == version, Review.status != ReviewStatus.SUPERSEDED)
        .order_by(Review.id.desc()).limit(1))


def _open(workflow: Workflow, proposal: Proposal, subject: Any, user: User | None,
          pricing: Pricing | None = None) -> Review:
    facts = subjects.describe(proposal, subject)
    review = Review(organisation_id=workflow.organisation_id, workflow_id=workflow.id, act=proposal.act.value,
                    subject_type=proposal.subject_type, subject_id=proposal.subject_id,
                    terms_version=proposal.terms_version, title=proposal.summary[:300],
                    pricing=pricing or facts.pricing, price=facts.price, publicity_days=workflow.publicity_days,
                    started_by_id=getattr(user, "id", None) if getattr(user, "organisation_id", None)
                    == workflow.organisation_id else None,
                    steps=[ReviewStep(position=s.position, name=s.name, role_id=s.role_id, user_id=s.user_id)
                           for s in workflow.steps])
    db.session.add(review)
    db.session.flush()
    record_audit("approval_review.opened", ENTITY, review.id,
                 {"act": review.act, "subject": f"{review.subject_type}:{review.subject_id}",
                  "version": review.terms_version, "pricing": review.pricing, "workflow_id": workflow.id},
                 actor=user, organisation_id=review.organisation_id)
    _tell_approvers(review)
    return review


def on_consent_asked(consent: Consent, subject: Any, user: User | None) -> None:
    """A consent was requested: open the institution's review if its workflow governs the act (the gate's hook)."""
    proposal = consent.proposal
    workflow = config.workflow_for(consent.organisation_id, proposal.act.value, consent.role.value)
    if workflow is None or not workflow.steps or current_review(consent.organisation_id, proposal) is not None:
        return
    _open(workflow, proposal, subject, user)


def _pending_consent(user: User, consent_id: int) -> tuple[Consent, Workflow]:
    consent = get_visible(user, Consent, consent_id, lambda row: [row.organisation_id], _("待确认事项不存在"),
                          admins=False)
    if not consent.awaiting:
        raise Conflict(_("该事项已不再等待本机构确认"))
    workflow = config.workflow_for(consent.organisation_id, consent.proposal.act.value, consent.role.value)
    if workflow is None or not workflow.steps:
        raise Conflict(_("本机构没有为该事项设置内部审批流程"))
    return consent, workflow


def start_review(user: User, consent_id: int, pricing: str | None = None) -> Review:
    """Start the review again for a consent the institution must give (after a refusal, or to say how the
    price was set): the previous review of the same terms is superseded, its decisions kept."""
    config.office_of(user)
    consent, workflow = _pending_consent(user, consent_id)
    chosen = cast("Pricing | None", Pricing.parse(pricing)) if pricing else None
    if pricing and chosen is None:
        raise ValidationFailed.field("pricing", _("请选择定价方式"))
    previous = current_review(consent.organisation_id, consent.proposal)
    if previous is not None:
        if previous.notice is not None and previous.status == ReviewStatus.APPROVED:
            raise Conflict(_("公示已发布，不能重新发起；如有异议请在公示期内处理"))
        previous.status = ReviewStatus.SUPERSEDED
        previous.closed_at = utcnow()
        record_audit("approval_review.superseded", ENTITY, previous.id, {}, actor=user)
    rules = rules_for(consent.proposal.act)
    return _open(workflow, consent.proposal, rules.lock(consent.proposal.subject_id), user, chosen)


def may_decide(user: User, step: ReviewStep) -> bool:
    """Only the members of the step's role, or the one member it names, decide it."""
    if step.role is not None:
        return user.id in step.role.user_ids
    return step.user_id is not None and step.user_id == user.id


def decide_step(user: User, review_id: int, approve: bool, comment: str = "") -> Review:
    """Approve or refuse the review's current step, as a member of the role it is assigned to.

    A refusal ends the review (the institution may then refuse the act, or
    start a new review); the last approval publishes the notice, when the
    act is publicised.
    """
    review = get_review(user, review_id, lock=True)
    step = review.current_step
    if step is None:
        raise Conflict(_("该审批单%(status)s，没有待审批的步骤", status=review.status.label))
    if not may_decide(user, step):
        raise Forbidden(_("本步骤由“%(assignee)s”审批", assignee=step.assignee))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed.field("comment", _("最多 %(n)d 字", n=MAX_COMMENT))
    if not approve and not comment:
        raise ValidationFailed.field("comment", _("不同意时须说明理由"))
    step.decision = StepDecision.APPROVED if approve else StepDecision.REJECTED
    step.decided_by_id, step.decided_at, step.comment = user.id, utcnow(), comment
    record_audit(f"approval_step.{step.decision.value}", "approval_step", step.id,
                 {"review_id": review.id, "step": step.name, "position": step.position, "comment": comment},
                 actor=user)
    if not approve:
        review.status, review.closed_at = ReviewStatus.REJECTED, utcnow()
    elif review.current_step is None:
        review.status = ReviewStatus.APPROVED
        if review.needs_publicity:
            _publish(review)
        else:
            review.closed_at = utcnow()
    else:
        _tell_approvers(review)
    db.session.flush()
    return review


def _publish(review: Review) -> PublicityNotice:
    """Put the notice up from today for the review's period (the act may be confirmed from ``ends_on`` on)."""
    proposal = _proposal_of(review)
    rules = rules_for(ConsentAct(review.act))
    subject = rules.lock(review.subject_id) if proposal is not None else None
    facts = subjects.describe(proposal, subject) if proposal is not None else subjects.ActDescription(review.title, "")
    workflow = review.workflow
    today = local_today()
    with force_locale("zh"):
        act_label = ConsentAct(review.act).label_zh
    notice = PublicityNotice(
        review_id=review.id, organisation_id=review.organisation_id, title=review.title, achievement=facts.achievement,
        parties=facts.parties, act_label=act_label, pricing=review.pricing, price=review.price,
        price_note=facts.price_note[:500], starts_on=today, ends_on=today + timedelta(days=review.publicity_days),
        days=review.publicity_days, contact_name=workflow.contact_name if workflow else "",
        contact_phone=workflow.contact_phone if workflow else "",
        contact_email=workflow.contact_email if workflow else "")
    db.session.add(notice)
    db.session.flush()
    record_audit("publicity.published", "publicity_notice", notice.id,
                 {"review_id": review.id, "starts_on": notice.starts_on, "ends_on": notice.ends_on,
                  "price": notice.price}, organisation_id=review.organisation_id)
    return notice


def _proposal_of(review: Review) -> Proposal | None:
    """The open proposal the review is for (None once it closed: the notice then names what the review kept)."""
    return db.session.scalar(select(Proposal).where(
        Proposal.subject_type == review.subject_type, Proposal.subject_id == review.subject_id,
        Proposal.act == ConsentAct(review.act), Proposal.terms_version == review.terms_version)
        .order_by(Proposal.id.desc()).limit(1))


def _tell_approvers(review: Review) -> None:
    """Mail the members who decide the step now due (the review page lists it too)."""
    step = review.current_step
    if step is None:
        return
    users = [m.user for m in step.role.members] if step.role is not None else ([step.user] if step.user else [])
    link = f"{current_app.config['SETTINGS'].public_url}/office/approvals/reviews/{review.id}"
    for approver in users:
        if approver is not None and approver.active:
            with force_locale(approver.locale or "zh"):  # each approver reads it in the language they chose
                subject = _("[专利供需对接平台] %(title)s", title=_("待您审批：%(title)s", title=review.title))
                body = _("内部审批“%(step)s”等待您的意见：%(title)s", step=step.name, title=review.title)
            queue_mail(approver.email, subject, f"{body}\n\n{link}")


def state(review: Review | None, today: date | None = None) -> tuple[bool, str]:
    """Whether the institution may now consent, and what it still waits for (in the visitor's language)."""
    today = today or local_today()
    if review is None:
        return False, _("本机构的内部审批尚未发起")
    if review.status == ReviewStatus.REJECTED:
        return False, _("内部审批未通过，可重新发起审批或拒绝该事项")
    if review.status == ReviewStatus.OBJECTION_UPHELD:
        return False, _("公示期间的异议成立，本机构不能同意该事项")
    if review.status == ReviewStatus.IN_PROGRESS:
        step = review.current_step
        return False, _("内部审批进行中：待“%(step)s”（%(assignee)s）审批", step=step.name, assignee=step.assignee)
    notice = review.notice
    if review.needs_publicity and notice is None:
        return False, _("公示尚未发布")
    if notice is not None:
        if today < notice.ends_on:
            return False, _("公示期至 %(day)s 届满，届满后方可确认",
                            day=(notice.ends_on - timedelta(days=1)).isoformat())
        if notice.open_objections:
            return False, _("公示期间收到的 %(n)d 项异议尚未处理", n=len(notice.open_objections))
    return True, _("内部审批已通过") + (_("，公示期已满") if notice is not None else "")


def consent_refusal(consent: Consent, subject: Any) -> str | None:
    """The gate: why the institution may not yet consent to this act (None when it may, or governs nothing)."""
    proposal = consent.proposal
    workflow = config.workflow_for(consent.organisation_id, proposal.act.value, consent.role.value)
    review = current_review(consent.organisation_id, proposal)
    if workflow is None and review is None:
        return None
    allowed, reason = state(review)
    return None if allowed else reason


def get_review(user: User, review_id: int, *, lock: bool = False) -> Review:
    """A review, for members of its institution only (404 for anyone else, platform admins included)."""
    return get_visible(user, Review, review_id, lambda row: [row.organisation_id], _("审批单不存在"), lock=lock,
                       admins=False)


def reviews_of(user: User, status: str | None = None, page: int = 1, per_page: int = 50
               ) -> tuple[list[Review], int]:
    """The institution's reviews, newest first (``status``: one of ``ReviewStatus``)."""
    organisation = config.office_of(user)
    stmt = select(Review).where(Review.organisation_id == organisation.id)
    if status:
        member = ReviewStatus.parse(status)
        if member is None:
            raise ValidationFailed.field("status", _("无效取值"))
        stmt = stmt.where(Review.status == member)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(db.session.scalars(stmt.options(selectinload(Review.steps), selectinload(Review.notice))
                                    .order_by(Review.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return items, total


def awaiting_me(user: User) -> list[Review]:
    """Reviews whose current step the user may decide."""
    if user.organisation_id is None:
        return []
    reviews = db.session.scalars(select(Review).where(Review.organisation_id == user.organisation_id,
                                                      Review.status == ReviewStatus.IN_PROGRESS)
                                 .options(selectinload(Review.steps)).order_by(Review.id))
    return [r for r in reviews if r.current_step is not None and may_decide(user, r.current_step)]


def consent_for(review: Review) -> Consent | None:
    """The institution's consent the review clears, while it waits."""
    return db.session.scalar(
        select(Consent).join(Proposal).where(
            Consent.organisation_id == review.organisation_id, Proposal.subject_type == review.subject_type,
            Proposal.subject_id == review.subject_id, Proposal.act == ConsentAct(review.act),
            Proposal.terms_version == review.terms_version, Proposal.status == ProposalStatus.PENDING,
            Consent.decision == Decision.PENDING).limit(1))


def is_manager(user: User, organisation_id: int) -> bool:
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                            Membership.organisation_id == organisation_id))
    return membership is not None and membership.role.manages_members


def resolve_objections_allowed(user: User, notice: PublicityNotice) -> bool:
    """The workflow's objection role, or else the institution's owners and admins."""
    workflow = notice.review.workflow
    if workflow is not None and workflow.objection_role is not None:
        return user.id in workflow.objection_role.user_ids
    return is_manager(user, notice.organisation_id)
