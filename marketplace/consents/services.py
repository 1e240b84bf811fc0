"""Propose an act, decide on it, let it take effect: the one path every two-sided act goes through.

A feature (deals, pledges, open licenses, payments) registers, per act, the
rules of that act: how to lock its object, who must consent now, what happens
when everyone has approved or someone refuses. ``propose`` opens a proposal
for the object's current terms and asks every party (the proposer's own
organisation approves by proposing); ``decide`` records one organisation's
answer given through one of its users' own accounts. The act takes effect
inside the decision that completes the consents, after the feature's legal
checks pass again; if they do not, the decision is refused (409) and nothing
changes. Parties are recomputed at each decision, so a co-owner linked or a
pledge registered meanwhile is asked too.

Gates: an organisation may set its own conditions on consenting (a
university's internal approval and publicity). Registered once, they apply
to every act: ``decide`` refuses an approval a gate holds back (409 naming
why), ``propose`` leaves the proposer's own consent pending instead of
approving it, and each gate hears of every consent requested.

Locks: the object first, then the proposal, so an edit of the terms and a
decision never deadlock, and two parties approving at once are serialised.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import get_visible
from marketplace.agencies.access import authorised_clause, is_authorised
from marketplace.agencies.models import AgencyPermission
from marketplace.consents.models import Consent, ConsentAct, ConsentRole, Decision, Proposal, ProposalStatus
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, Forbidden, NotFound
from marketplace.core.locking import lock_row
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.push.models import NotificationKind
from marketplace.push.messages import N_, Line, Message, message
from marketplace.push.notify import notify_organisation

ENTITY = "proposal"
MAX_COMMENT = 1000


@dataclass(frozen=True)
class Party:
    """An organisation whose consent the act needs, and why."""

    organisation_id: int
    role: ConsentRole


@dataclass(frozen=True)
class ActRules:
    """What consents needs to know about one act; each feature registers its own in ``create_app``.

    ``lock`` loads the object ``FOR UPDATE`` (404 when gone); ``parties`` says
    who must consent now; ``take_effect`` applies the act once all have
    approved (raising a DomainError refuses it); ``on_rejected`` reacts to a
    refusal; ``version`` is the object's terms version; ``page`` is the
    endpoint and argument of the object's page.
    """

    subject_type: str
    lock: Callable[[int], Any]
    parties: Callable[[Proposal, Any], list[Party]]
    take_effect: Callable[[Proposal, Any, User], None]
    page: tuple[str, str]
    on_rejected: Callable[[Proposal, Any, User], None] = lambda proposal, subject, user: None
    version: Callable[[Any], int] = lambda subject: getattr(subject, "terms_version", 1)


@dataclass(frozen=True)
class Gate:
    """An organisation's own condition on giving its consent, whatever the act (e.g. its internal approval).

    ``refusal`` says why the organisation may not approve yet (None: it may);
    it never stops a refusal. ``asked`` is told of every consent requested, so
    the gate can start what the organisation must do first. ``note`` is what
    an object's page shows the organisation next to its pending consent: a
    text and a link, or None.
    """

    name: str
    refusal: Callable[[Consent, Any], str | None]
    asked: Callable[[Consent, Any, User | None], None] = lambda consent, subject, user: None
    note: Callable[[Consent], tuple[str, str | None] | None] = lambda consent: None


_rules: dict[ConsentAct, ActRules] = {}
_gates: dict[str, Gate] = {}


def register(act: ConsentAct, rules: ActRules) -> None:
    """Declare the rules of an act (idempotent); called once per act while the app is created."""
    _rules[act] = rules


def rules_for(act: ConsentAct) -> ActRules:
    return _rules[act]


def registered_acts() -> list[ConsentAct]:
    """Every act a feature registered, in the vocabulary's order (what a gate may be configured for)."""
    return [act for act in ConsentAct if act in _rules]


def register_gate(gate: Gate) -> None:
    """Declare a gate (idempotent, by name); called while the app is created."""
    _gates[gate.name] = gate


def gate_refusals(consent: Consent, subject: Any) -> list[str]:
    """Why the consent's organisation may not approve yet, from every gate; empty when it may."""
    return [reason for gate in _gates.values() if (reason := gate.refusal(consent, subject))]


def gate_notes(consent: Consent) -> list[tuple[str, str | None]]:
    """What the gates tell the organisation about its pending consent (text, link), for its pages."""
    return [note for gate in _gates.values() if (note := gate.note(consent))]


PAYMENT_ACTS = (ConsentAct.LICENSE_PAYMENT, ConsentAct.DEAL_PAYMENT)  # receipts an authorised agency may confirm


def may_decide(user: User, consent: Consent) -> bool:
    """Who may give or refuse an organisation's consent: a member of that organisation, through its own account.

    The single place deciding it. A platform admin account never acts as a
    party, nor does an agency: it may prepare and propose, never consent for
    another organisation, with one exception the organisation grants itself:
    an agency it accepted with ``confirm_payments`` may confirm, in its name,
    the receipt of a payment (of a license, or of a deal's price; ``listed_for`` lists them).
    """
    if getattr(user, "is_platform_admin", False) or user.organisation_id is None:
        return False
    if user.organisation_id == consent.organisation_id:
        return True
    return consent.proposal.act in PAYMENT_ACTS and is_authorised(
        user.organisation_id, consent.organisation_id, AgencyPermission.CONFIRM_PAYMENTS)


def listed_for(user: User) -> ColumnElement[bool]:
    """SQL: the consents (joined with their proposals) on the user's to-do list: its organisation's own, and
    the payments an organisation authorised the user's agency to confirm (``may_decide`` says who decides)."""
    own = Consent.organisation_id == (user.organisation_id or 0)
    if getattr(user, "is_platform_admin", False) or user.organisation_id is None:
        return own
    return or_(own, and_(Proposal.act.in_(PAYMENT_ACTS),
                    authorised_clause(user.organisation_id, Consent.organisation_id,
                                      AgencyPermission.CONFIRM_PAYMENTS, local_today())))


def _acting_organisation(user: User) -> Organisation:
    if getattr(user, "is_platform_admin", False):
        raise Forbidden(_("平台管理员账户不能作为当事方行事"))
    if user.organisation is None:
        raise Forbidden(_("需要先加入机构"))
    return user.organisation


def _lapse(proposal: Proposal) -> None:
    proposal.status = ProposalStatus.LAPSED
    proposal.closed_at = utcnow()


def lapse_pending(subject_type: str, subject_id: int, acts: tuple[ConsentAct, ...] = ()) -> int:
    """Close the object's open proposals (of ``acts``, or all): its terms changed or it was cancelled."""
    stmt = select(Proposal).where(Proposal.subject_type == subject_type, Proposal.subject_id == subject_id,
                                  Proposal.status == ProposalStatus.PENDING)
    if acts:
        stmt = stmt.where(Proposal.act.in_(acts))
    proposals = list(db.session.scalars(stmt))
    for proposal in proposals:
        _lapse(proposal)
        record_audit("proposal.lapsed", ENTITY, proposal.id, {"act": proposal.act})
    return len(proposals)


def pending_proposal(subject_type: str, subject_id: int, act: ConsentAct) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(
        Proposal.subject_type == subject_type, Proposal.subject_id == subject_id, Proposal.act == act,
        Proposal.status == ProposalStatus.PENDING))


def propose(user: User, act: ConsentAct, subject: Any, *, summary: str,
            details: Mapping[str, Any] | None = None) -> Proposal:
    """Open a proposal of ``act`` on ``subject`` (already locked by the caller) and ask every party.

    An open proposal of the same act on the same object lapses. The proposer's
    organisation, if it is a party, approves by proposing; when that completes
    the consents (the proposer is the only party) the act takes effect at once.
    """
    organisation = _acting_organisation(user)
    rules = rules_for(act)
    lapse_pending(rules.subject_type, subject.id, (act,))
    proposal = Proposal(act=act, subject_type=rules.subject_type, subject_id=subject.id,
                        terms_version=rules.version(subject), summary=summary[:300], details=dict(details or {}),
                        proposed_by_id=user.id, proposer_organisation_id=organisation.id)
    db.session.add(proposal)
    db.session.flush()
    record_audit("proposal.opened", ENTITY, proposal.id,
                 {"act": act, "subject": f"{rules.subject_type}:{subject.id}", "version": proposal.terms_version},
                 actor=user)
    own = _ask(proposal, rules.parties(proposal, subject), asked_by=organisation.id, subject=subject, user=user)
    if own is not None and not gate_refusals(own, subject):  # else it stays pending until its gates open
        _record(own, user, Decision.APPROVED, _("提出方"))
    _settle(proposal, subject, user)
    return proposal


def _ask(proposal: Proposal, parties: list[Party], asked_by: int | None, *, subject: Any = None,
         user: User | None = None) -> Consent | None:
    """Add a pending consent for each party not yet asked, notify it and tell the gates; returns the proposer's
    own, if asked."""
    own = None
    added: list[Consent] = []
    asked = {consent.organisation_id for consent in proposal.consents}
    for party in parties:
        if party.organisation_id in asked:
            continue
        asked.add(party.organisation_id)
        consent = Consent(organisation_id=party.organisation_id, role=party.role,
                          terms_version=proposal.terms_version)
        proposal.consents.append(consent)
        added.append(consent)
        if party.organisation_id == asked_by:
            own = consent
        else:
            title = message(N_("待您确认：%(act)s %(summary)s"), act=proposal.act, summary=proposal.summary)
            body = message(N_("%(act)s需要贵机构（%(role)s）通过本机构账户同意后方可生效。请在“待我确认”中同意或拒绝。"),
                           act=proposal.act, role=party.role)
            _tell(party.organisation_id, NotificationKind.CONSENT_REQUESTED, proposal, title, [body])
    db.session.flush()
    for consent in added:
        for gate in _gates.values():
            gate.asked(consent, subject, user)
    return own


def _record(consent: Consent, user: User, decision: Decision, comment: str) -> None:
    consent.decision = decision
    consent.decided_at = utcnow()
    consent.decided_by_id = user.id
    consent.comment = (comment or "").strip()[:MAX_COMMENT]
    db.session.flush()
    record_audit(f"consent.{decision.value}", "consent", consent.id,
                 {"proposal_id": consent.proposal_id, "organisation_id": consent.organisation_id,
                  "version": consent.terms_version, "comment": consent.comment}, actor=user)


def _settle(proposal: Proposal, subject: Any, user: User) -> None:
    """Take effect once every current party has approved; ask any party that appeared since the proposal."""
    rules = rules_for(proposal.act)
    parties = rules.parties(proposal, subject)
    _ask(proposal, parties, asked_by=None, subject=subject, user=user)
    needed = {party.organisation_id for party in parties}
    approved = {c.organisation_id for c in proposal.consents if c.is_approved}
    if not needed <= approved:
        return
    rules.take_effect(proposal, subject, user)
    proposal.status = ProposalStatus.EFFECTIVE
    proposal.closed_at = utcnow()
    db.session.flush()
    record_audit("proposal.effective", ENTITY, proposal.id, {"act": proposal.act}, actor=user)
    title = message(N_("已生效：%(act)s %(summary)s"), act=proposal.act, summary=proposal.summary)
    body = message(N_("各方均已同意，%(act)s已生效。"), act=proposal.act)
    _tell_everyone(proposal, NotificationKind.ACT_EFFECTIVE, title, [body])


def get_consent(user: User, consent_id: int) -> Consent:
    """A consent, for members of the organisation it belongs to (404 for anyone else)."""
    return get_visible(user, Consent, consent_id, lambda c: (c.organisation_id,), _("待确认事项不存在"),
                       admins=False, also=lambda c: may_decide(user, c))


def decide(user: User, consent_id: int, approve: bool, comment: str = "") -> Consent:
    """Approve or refuse one pending consent of the user's own organisation.

    A refusal ends the proposal (the feature reacts, e.g. a proposed pledge is
    rejected); the approval that completes the consents makes the act take
    effect, or is refused with the legal rule that blocks it.
    """
    consent = db.session.get(Consent, consent_id)
    if consent is None or not (consent.organisation_id == user.organisation_id or may_decide(user, consent)):
        if getattr(user, "is_platform_admin", False) and consent is not None:
            raise Forbidden(_("平台管理员账户不能代替当事方表示同意"))
        raise NotFound(_("待确认事项不存在"))
    if not may_decide(user, consent):
        raise Forbidden(_("平台管理员账户不能代替当事方表示同意"))
    rules = rules_for(consent.proposal.act)
    subject = rules.lock(consent.proposal.subject_id)
    proposal = lock_row(Proposal, consent.proposal_id, _("待确认事项不存在"))
    db.session.expire(proposal, ["consents"])  # read the other parties' decisions as committed under the lock
    db.session.refresh(consent)
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict(_("该事项%(status)s，不能再表示意见", status=proposal.status.label),
                       {"proposal": proposal.status.value})
    if consent.decision != Decision.PENDING:
        raise Conflict(_("本机构已表示过意见（%(decision)s）", decision=consent.decision.label),
                       {"decision": consent.decision.value})
    if rules.version(subject) != proposal.terms_version:  # edits lapse proposals: only a stale read gets here
        raise Conflict(_("条款已修改（第 %(version)d 版），请按新版条款确认", version=rules.version(subject)),
                       {"terms_version": str(rules.version(subject))})
    if approve:
        refusals = gate_refusals(consent, subject)
        if refusals:
            raise Conflict(str(_("；")).join(refusals), {"internal_approval": str(_("；")).join(refusals)})
        _record(consent, user, Decision.APPROVED, comment)
        _settle(proposal, subject, user)
    else:
        _record(consent, user, Decision.REJECTED, comment)
        proposal.status = ProposalStatus.REJECTED
        proposal.closed_at = utcnow()
        rules.on_rejected(proposal, subject, user)
        db.session.flush()
        title = message(N_("被拒绝：%(act)s %(summary)s"), act=proposal.act, summary=proposal.summary)
        body = message(N_("%(organisation)s 拒绝了%(act)s。%(comment)s"), organisation=consent.organisation.name,
                       act=proposal.act, comment=consent.comment)
        _tell_everyone(proposal, NotificationKind.ACT_REJECTED, title, [body])
    return consent


def _tell(organisation_id: int, kind: NotificationKind, proposal: Proposal, title: Message,
          body: list[Line]) -> None:
    """Inbox entry (members who asked for it get it by e-mail at once) and a mail to the organisation's contact."""
    notify_organisation(organisation_id, kind, f"{kind.value}:{proposal.id}:{organisation_id}", title, body,
                        data={"proposal_id": proposal.id, "act": proposal.act.value})


def _tell_everyone(proposal: Proposal, kind: NotificationKind, title: Message, body: list[Line]) -> None:
    recipients = dict.fromkeys([c.organisation_id for c in proposal.consents] +
                               ([proposal.proposer_organisation_id] if proposal.proposer_organisation_id else []))
    for organisation_id in recipients:
        _tell(organisation_id, kind, proposal, title, body)


def awaiting(user: User, page: int = 1, per_page: int = 50) -> tuple[list[Consent], int]:
    """The user's to-do list: consents it may decide still undecided on open proposals, oldest request first."""
    stmt = (select(Consent).join(Proposal)
            .where(listed_for(user), Consent.decision == Decision.PENDING,
                   Proposal.status == ProposalStatus.PENDING))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = list(db.session.scalars(stmt.options(selectinload(Consent.proposal))
                                    .order_by(Consent.requested_at, Consent.id)
                                    .limit(per_page).offset((page - 1) * per_page)))
    return items, total


def awaiting_count(user: User) -> int:
    """How many acts wait for the user's decision (the navigation's badge)."""
    return db.session.scalar(select(func.count()).select_from(Consent).join(Proposal).where(
        listed_for(user), Consent.decision == Decision.PENDING,
        Proposal.status == ProposalStatus.PENDING)) or 0


def decided(user: User, page: int = 1, per_page: int = 50) -> tuple[list[Consent], int]:
    """The past consents the user could decide (given, refused, or left open on a proposal that closed), newest first."""
    stmt = (select(Consent).join(Proposal).where(
        listed_for(user),
        (Consent.decision != Decision.PENDING) | (Proposal.status != ProposalStatus.PENDING)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = list(db.session.scalars(stmt.options(selectinload(Consent.proposal))
                                    .order_by(Consent.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return items, total


def asked_of(subject_type: str, organisation_id: int | None):
    """The ids of the objects of ``subject_type`` whose consent was asked of the organisation (a subquery):
    a co-owner or a pledgee sees what it is asked to consent to."""
    return (select(Proposal.subject_id).join(Consent)
            .where(Proposal.subject_type == subject_type, Consent.organisation_id == (organisation_id or 0)))


def was_asked(subject_type: str, subject_id: int, organisation_id: int | None) -> bool:
    return organisation_id is not None and db.session.scalar(
        select(func.count()).select_from(asked_of(subject_type, organisation_id)
                                          .where(Proposal.subject_id == subject_id).subquery())) > 0


def visible_proposal(user: User, proposal_id: int) -> Proposal:
    """A proposal seen by its parties and its proposer's organisation (404 for anyone else)."""
    return get_visible(user, Proposal, proposal_id, lambda p: (p.proposer_organisation_id,), _("待确认事项不存在"),
                       admins=False, also=lambda p: user.organisation_id is not None
                       and p.consent_of(user.organisation_id) is not None)
