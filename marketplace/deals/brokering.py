"""The brokering agency in a message thread: it joins only with both parties' consent, and either may remove it.

A thread (about a match, or opened from a patent's page) has two parties: the
enquiring organisation and the patent's owner. An agency *brokers* it when
one of the two has accepted the agency to serve it (``agencies.access``), or
when it is the agency of a deal recorded from the thread's match or between
the two parties on its patent. Such an agency may ask to join: a
``THREAD_AGENCY`` proposal (``consents``) asks both parties, each through its
own account; once both approved, the agency reads and writes in the thread
(``push.contact``). Before that it sees only that the thread exists and who
its parties are — never a message. Either party removes it at any time (the
agency may leave), and a removed or refused agency may ask again.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from marketplace.accounts.models import Organisation, OrganisationKind, User
from marketplace.accounts.permissions import get_visible
from marketplace.agencies.access import authorised_clause, is_authorised
from marketplace.agencies.models import AgencyPermission
from marketplace.consents import services as consents
from marketplace.consents.models import Consent, ConsentAct, ConsentRole, Proposal
from marketplace.consents.services import ActRules, Party
from marketplace.core.audit import record_audit
from marketplace.core.dates import local_today
from marketplace.core.errors import Conflict, Forbidden, NotFound
from marketplace.core.locking import lock_row
from marketplace.core.models import utcnow
from marketplace.deals.models import Deal, DealPatent
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.patents.models import Patent
from marketplace.push.contact import thread_parties, thread_patent
from marketplace.push.models import MessageThread, NotificationKind, ThreadMember, ThreadMemberStatus
from marketplace.push.messages import N_, message
from marketplace.push.notify import notify
from marketplace.search.models import Match

SUBJECT = "thread_member"
PAGE = ("push.thread_member", "member_id")
MAX_LISTED = 200


@dataclass(frozen=True)
class ThreadView:
    """What a brokering agency may know of a thread it has not joined: its patent, its parties, its own status."""

    thread: MessageThread
    patent: Patent
    enquirer: Organisation | None
    owner: Organisation | None
    member: ThreadMember | None


def _agency(user: User) -> Organisation:
    organisation = user.organisation if user is not None and user.is_authenticated else None
    if organisation is None or organisation.kind != OrganisationKind.AGENCY:
        raise Forbidden(_("只有运营机构可以请求加入对话"))
    return organisation


def brokers(agency_id: int, thread: MessageThread) -> bool:
    """Whether the agency brokers the thread: it serves one of its parties, or recorded a deal from it."""
    enquirer, owner = thread_parties(thread)
    if any(party is not None and is_authorised(agency_id, party, AgencyPermission.SERVE)
           for party in (enquirer, owner)):
        return True
    patent = thread_patent(thread)
    between = or_(and_(Deal.seller_id == owner, Deal.buyer_id == enquirer),
                  and_(Deal.seller_id == enquirer, Deal.buyer_id == owner))
    on_patent = Deal.id.in_(select(DealPatent.deal_id).where(DealPatent.patent_id == patent.id))
    brokered = and_(between, on_patent)
    if thread.match_id is not None:
        brokered = or_(Deal.match_id == thread.match_id, brokered)
    return bool(db.session.scalar(select(func.count()).select_from(Deal).where(Deal.agency_id == agency_id, brokered)))


def match_thread_id(deal: Deal) -> int | None:
    """The thread of the match a deal was recorded from, if one was opened (the deal page links it: its parties
    read it, its agency asks to join it)."""
    if deal.match_id is None:
        return None
    return db.session.scalar(select(MessageThread.id).where(MessageThread.match_id == deal.match_id))


def member_of(thread_id: int, organisation_id: int | None) -> ThreadMember | None:
    return db.session.scalar(select(ThreadMember).where(ThreadMember.thread_id == thread_id,
                                                        ThreadMember.organisation_id == (organisation_id or 0)))


def members(thread_id: int) -> list[ThreadMember]:
    """Every agency that asked to join the thread, with where it stands (the parties' panel)."""
    return list(db.session.scalars(select(ThreadMember).where(ThreadMember.thread_id == thread_id)
                                   .order_by(ThreadMember.id)))


@dataclass(frozen=True)
class MemberRow:
    """One agency on a thread's panel, with the viewer's own consent to its request when one awaits it."""

    member: ThreadMember
    consent: Consent | None


def panel(user: User, thread_id: int) -> list[MemberRow]:
    """The agencies that asked to join the thread, for whoever reads it (its parties see their pending consents)."""
    rows = []
    for member in members(thread_id):
        proposal = consents.pending_proposal(SUBJECT, member.id, ConsentAct.THREAD_AGENCY)
        consent = proposal.consent_of(user.organisation_id) if proposal is not None else None
        rows.append(MemberRow(member, consent if consent is not None and consent.awaiting else None))
    return rows


def _request_readers(member: ThreadMember) -> tuple[int | None, ...]:
    """Who may follow a join request: the thread's parties and the agency asking."""
    thread = db.session.get(MessageThread, member.thread_id)
    return (*thread_parties(thread), member.organisation_id) if thread is not None else ()


def member_thread(user: User, member_id: int) -> int:
    """The thread a join request is about, for its parties and the agency (where a consent's page leads)."""
    member = get_visible(user, ThreadMember, member_id, _request_readers, _("对话不存在"), admins=False)
    return member.thread_id


def view_of(thread: MessageThread, member: ThreadMember | None = None) -> ThreadView:
    """The thread's patent and parties (and an agency's membership), for its pages."""
    enquirer, owner = thread_parties(thread)
    return ThreadView(thread, thread_patent(thread), db.session.get(Organisation, enquirer) if enquirer else None,
                      db.session.get(Organisation, owner) if owner else None, member)


def joinable(user: User, thread_id: int) -> ThreadView:
    """The thread as a brokering agency sees it before joining (404 for anyone who does not broker it)."""
    organisation = user.organisation if user is not None and user.is_authenticated else None
    if organisation is None or organisation.kind != OrganisationKind.AGENCY:
        raise NotFound(_("对话不存在"))
    thread = get_visible(user, MessageThread, thread_id, lambda _thread: (), _("对话不存在"),
                         also=lambda found: brokers(organisation.id, found), admins=False)
    return view_of(thread, member_of(thread.id, organisation.id))


def brokered_threads(user: User) -> list[ThreadView]:
    """The threads of the organisations the agency serves, and those it asked to join, newest first."""
    agency = _agency(user)
    patent_id = func.coalesce(MessageThread.patent_id, Match.patent_id)
    enquirer = func.coalesce(MessageThread.organisation_id, Need.organisation_id)
    today = local_today()
    rows = db.session.execute(
        select(MessageThread.id).outerjoin(Match, Match.id == MessageThread.match_id)
        .outerjoin(Need, Need.id == Match.need_id).join(Patent, Patent.id == patent_id)
        .where(or_(authorised_clause(agency.id, enquirer, AgencyPermission.SERVE, today),
                   authorised_clause(agency.id, Patent.owner_id, AgencyPermission.SERVE, today),
                   MessageThread.id.in_(select(ThreadMember.thread_id)
                                        .where(ThreadMember.organisation_id == agency.id))))
        .order_by(MessageThread.id.desc()).limit(MAX_LISTED)).scalars()
    threads = db.session.scalars(select(MessageThread).where(MessageThread.id.in_(list(rows)))
                                 .order_by(MessageThread.id.desc()))
    return [view_of(thread, member_of(thread.id, agency.id)) for thread in threads]


def request_to_join(user: User, thread_id: int) -> ThreadMember:
    """The agency asks both parties to let it into the thread (each consents through its own account)."""
    agency = _agency(user)
    view = joinable(user, thread_id)
    member = view.member
    if member is not None and member.status in (ThreadMemberStatus.ACTIVE, ThreadMemberStatus.REQUESTED):
        raise Conflict(_("本机构已加入该对话") if member.status == ThreadMemberStatus.ACTIVE
                       else _("已请求加入，等待双方同意"), {"status": member.status.value})
    if member is None:
        member = ThreadMember(thread_id=thread_id, organisation_id=agency.id)
        db.session.add(member)
    member.status, member.requested_at, member.joined_at, member.removed_at = (
        ThreadMemberStatus.REQUESTED, utcnow(), None, None)
    db.session.flush()
    record_audit("thread.agency_requested", "message_thread", thread_id, {"agency_id": agency.id}, actor=user)
    consents.propose(user, ConsentAct.THREAD_AGENCY, member,
                     summary=f"{agency.name} ·《{view.patent.title[:100]}》")
    return member


def remove(user: User, thread_id: int, agency_id: int) -> ThreadMember:
    """A party removes the agency from the thread (or withdraws its request), or the agency leaves."""
    thread = get_visible(user, MessageThread, thread_id, lambda found: (*thread_parties(found), agency_id),
                         _("对话不存在"), admins=False)
    organisation_id = user.organisation_id
    parties = thread_parties(thread)
    member = member_of(thread_id, agency_id)
    if member is None or member.status not in (ThreadMemberStatus.ACTIVE, ThreadMemberStatus.REQUESTED):
        raise NotFound(_("该运营机构不在对话中"))
    member = lock_row(ThreadMember, member.id, _("该运营机构不在对话中"))
    consents.lapse_pending(SUBJECT, member.id, (ConsentAct.THREAD_AGENCY,))
    member.status, member.removed_at = ThreadMemberStatus.REMOVED, utcnow()
    db.session.flush()
    record_audit("thread.agency_removed", "message_thread", thread_id, {"agency_id": agency_id}, actor=user)
    who = user.organisation.name
    for recipient in dict.fromkeys([*parties, agency_id]):
        if recipient is not None and recipient != organisation_id:
            notify(recipient, NotificationKind.MESSAGE,
                   f"thread-agency-removed:{member.id}:{member.removed_at:%Y%m%d%H%M%S%f}:{recipient}",
                   message(N_("%(who)s 将 %(agency)s 移出对话：%(patent)s"), who=who,
                           agency=member.organisation.name, patent=thread_patent(thread).title),
                   data={"thread_id": thread_id})
    return member


# --- the consent act ----------------------------------------------------------------------------------

def _lock(member_id: int) -> ThreadMember:
    return lock_row(ThreadMember, member_id, _("该运营机构不在对话中"))


def _parties(proposal: Proposal, member: ThreadMember) -> list[Party]:
    thread = db.session.get(MessageThread, member.thread_id)
    return [Party(party, ConsentRole.THREAD_PARTY) for party in thread_parties(thread) if party is not None]


def _admit(proposal: Proposal, member: ThreadMember, user: User) -> None:
    if member.status != ThreadMemberStatus.REQUESTED:
        raise Conflict(_("该请求已撤回"), {"status": member.status.value})
    member.status, member.joined_at = ThreadMemberStatus.ACTIVE, utcnow()
    record_audit("thread.agency_joined", "message_thread", member.thread_id,
                 {"agency_id": member.organisation_id, "proposal_id": proposal.id}, actor=user)


def _refused(proposal: Proposal, member: ThreadMember, user: User) -> None:
    member.status = ThreadMemberStatus.REFUSED


def register() -> None:
    """Declare the act to the consents service (``deals.acts.register``, from ``create_app``)."""
    consents.register(ConsentAct.THREAD_AGENCY, ActRules(SUBJECT, _lock, _parties, _admit, PAGE,
                                                         on_rejected=_refused))
