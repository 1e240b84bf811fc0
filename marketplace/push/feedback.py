"""A company's reaction to a match, the thread it opens with the patent's owner, and the owner's roll-up.

The need's organisation reacts (interested, contacted, not relevant with a
reason); interest opens a message thread and tells the owner. Each reaction
is a row of ``match_feedback`` (kept for the funnel statistics) and sets the
match's status; a dismissed pair is never pushed again.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.accounts.permissions import get_visible
from marketplace.core.audit import record_audit
from marketplace.core.i18n import gettext as _
from marketplace.core.errors import Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.push.models import (
    FeedbackReason, MatchFeedback, Message, MessageThread, NotificationKind, ThreadMember, ThreadMemberStatus,
)
from marketplace.push.messages import N_
from marketplace.push.messages import message as stored
from marketplace.push.messages import text as user_text
from marketplace.push.notify import notify
from marketplace.search.models import Match, MatchStatus

MAX_MESSAGE = 5000
MAX_COMMENT = 1000
FEEDBACK_STATUSES = {"interested": MatchStatus.INTERESTED, "contacted": MatchStatus.CONTACTED,
                     "not_relevant": MatchStatus.DISMISSED, "dismissed": MatchStatus.DISMISSED}


class Side(enum.StrEnum):
    """Which party of a match the user speaks for."""

    COMPANY = "company"  # the need's organisation
    OWNER = "owner"  # the patent's owner
    ADMIN = "admin"


def _thread_of(match_id: int) -> MessageThread | None:
    return db.session.scalar(select(MessageThread).where(MessageThread.match_id == match_id))


def thread_id_of(match_id: int) -> int | None:
    """The id of a match's thread, once opened (its page links the thread's own page, where agencies are let in)."""
    thread = _thread_of(match_id)
    return thread.id if thread is not None else None


def get_match(user: User, match_id: int) -> tuple[Match, Side]:
    """A match seen by one of its parties; the owner sees a private need only once a thread exists."""
    def owner_may_see(match: Match) -> bool:
        return bool(user is not None and user.is_authenticated and user.organisation_id is not None
                    and user.organisation_id == match.patent.owner_id
                    and ((match.need.public and match.patent.is_published) or _thread_of(match.id) is not None))

    match = get_visible(user, Match, match_id, lambda m: (m.need.organisation_id,), _("匹配不存在"),
                        also=owner_may_see)
    if user.organisation_id is not None and user.organisation_id == match.need.organisation_id:
        return match, Side.COMPANY
    return match, Side.OWNER if owner_may_see(match) else Side.ADMIN


def mark_viewed(user: User, match_id: int) -> Match:
    """The company has seen a pushed match (its page posts this once shown): ``pushed`` moves to ``viewed`` in the
    funnel; any other status, or another party, leaves the match as it is."""
    match, side = get_match(user, match_id)
    if side == Side.COMPANY and match.status == MatchStatus.PUSHED:
        match.status = MatchStatus.VIEWED
        db.session.flush()
    return match


def _parse_feedback(raw: Mapping[str, Any]) -> tuple[MatchStatus, FeedbackReason | None, str]:
    errors: dict[str, str] = {}
    status = FEEDBACK_STATUSES.get(str(raw.get("status") or "").strip())
    if status is None:
        errors["status"] = _("请选择反馈：感兴趣、已联系或不相关")
    reason_raw = str(raw.get("reason") or "").strip()
    reason = None
    if reason_raw:
        try:
            reason = FeedbackReason(reason_raw)
        except ValueError:
            allowed = _("、").join(r.label for r in FeedbackReason)
            errors["reason"] = _("未知原因 %(reason)s；可选：%(allowed)s", reason=reason_raw, allowed=allowed)
    elif status == MatchStatus.DISMISSED:
        errors["reason"] = _("请选择不相关的原因")
    comment = str(raw.get("comment") or "").strip()
    if len(comment) > MAX_COMMENT:
        errors["comment"] = _("最多 %(n)d 字", n=MAX_COMMENT)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return status, reason, comment


def give_feedback(user: User, match_id: int, raw: Mapping[str, Any]) -> MatchFeedback:
    """Record the company's reaction; interest opens the thread and tells the patent's owner."""
    match, side = get_match(user, match_id)
    if side != Side.COMPANY:
        raise Forbidden(_("只有需求方可以反馈"))
    status, reason, comment = _parse_feedback(raw)
    feedback = MatchFeedback(match_id=match.id, organisation_id=user.organisation_id, user_id=user.id,
                             status=status, reason=reason if status == MatchStatus.DISMISSED else None,
                             comment=comment)
    db.session.add(feedback)
    match.status = status
    if status == MatchStatus.INTERESTED:
        ensure_thread(match)
        company = match.need.organisation.name
        notify(match.patent.owner_id, NotificationKind.INTEREST, f"interest:{match.id}",
               stored(N_("%(company)s 对您的专利感兴趣：%(patent)s"), company=company, patent=match.patent.title),
               [stored(N_("需求：%(need)s"), need=match.need.title), user_text(comment)], match_id=match.id,
               data={"patent_id": match.patent_id, "need_id": match.need_id})
    db.session.flush()
    record_audit("match.feedback", "match", match.id, {"status": status.value, "reason": reason.value if reason else None},
                 actor=user, organisation_id=user.organisation_id)
    return feedback


def active_agencies(thread_id: int) -> list[int]:
    """The agencies both parties admitted to the thread (and did not remove since)."""
    return list(db.session.scalars(select(ThreadMember.organisation_id).where(
        ThreadMember.thread_id == thread_id, ThreadMember.status == ThreadMemberStatus.ACTIVE)))


def tell_readers(user: User, thread: MessageThread, message: Message, title: str,
                 parties: tuple[int | None, int | None]) -> None:
    """Tell every reader of the thread but the writer's organisation: the parties (an entry leading to the match,
    for a match's thread) and the agencies they admitted (leading to the thread)."""
    for recipient in dict.fromkeys([*parties, *active_agencies(thread.id)]):
        if recipient is None or recipient == user.organisation_id:
            continue
        notify(recipient, NotificationKind.MESSAGE, f"message:{message.id}:{recipient}",
               stored(N_("%(organisation)s 发来消息：%(patent)s"), organisation=user.organisation.name, patent=title),
               [user_text(message.body[:500])],
               match_id=thread.match_id if recipient in parties else None,
               data={"thread_id": thread.id, "patent_id": thread_patent_id(thread)})


def thread_patent_id(thread: MessageThread) -> int | None:
    if thread.match_id is not None:
        return db.session.scalar(select(Match.patent_id).where(Match.id == thread.match_id))
    return thread.patent_id


def ensure_thread(match: Match) -> MessageThread:
    thread = _thread_of(match.id)
    if thread is None:
        thread = MessageThread(match_id=match.id)
        db.session.add(thread)
        db.session.flush()
    return thread


def list_messages(user: User, match_id: int) -> tuple[Match, list[Message]]:
    """The thread of a match, oldest first; only its two parties (and platform admins) read it."""
    match, _side = get_match(user, match_id)
    thread = _thread_of(match.id)
    if thread is None:
        return match, []
    return match, list(db.session.scalars(select(Message).where(Message.thread_id == thread.id)
                                          .options(selectinload(Message.organisation)).order_by(Message.id)))


def post_message(user: User, match_id: int, body: str) -> Message:
    """Write to the other party of a match (opening the thread if needed) and notify them."""
    match, side = get_match(user, match_id)
    if side == Side.ADMIN:
        raise Forbidden(_("平台管理员不参与对话"))
    text = (body or "").strip()
    if not text:
        raise ValidationFailed.field("body", _("必填"))
    if len(text) > MAX_MESSAGE:
        raise ValidationFailed.field("body", _("最多 %(n)d 字（现 %(count)d 字）", n=MAX_MESSAGE, count=len(text)))
    thread = ensure_thread(match)
    message = Message(thread_id=thread.id, organisation_id=user.organisation_id, user_id=user.id, body=text)
    db.session.add(message)
    db.session.flush()
    tell_readers(user, thread, message, match.patent.title, (match.need.organisation_id, match.patent.owner_id))
    return message


# --- the owner's roll-up --------------------------------------------------------------------------

@dataclass
class PatentFeedback:
    """How companies reacted to one patent's pushed matches."""

    patent_id: int
    title: str
    pushed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"patent_id": self.patent_id, "title": self.title, "pushed": self.pushed, "statuses": self.statuses,
                "reasons": self.reasons,
                "reason_labels": {code: FeedbackReason(code).label for code in self.reasons}}


def _roll_up(patents: list[Patent]) -> list[PatentFeedback]:
    ids = [p.id for p in patents]
    summaries = {p.id: PatentFeedback(p.id, p.title) for p in patents}
    if not ids:
        return []
    for patent_id, status, pushed, count in db.session.execute(
            select(Match.patent_id, Match.status, Match.pushed_at.is_not(None), func.count())
            .where(Match.patent_id.in_(ids)).group_by(Match.patent_id, Match.status, Match.pushed_at.is_not(None))):
        summary = summaries[patent_id]
        if pushed:
            summary.pushed += count
        if status != MatchStatus.SUGGESTED:
            summary.statuses[status.value] = summary.statuses.get(status.value, 0) + count
    for patent_id, reason, count in db.session.execute(
            select(Match.patent_id, MatchFeedback.reason, func.count(func.distinct(MatchFeedback.match_id)))
            .join(Match, Match.id == MatchFeedback.match_id)
            .where(Match.patent_id.in_(ids), MatchFeedback.reason.is_not(None))
            .group_by(Match.patent_id, MatchFeedback.reason)):
        summaries[patent_id].reasons[reason.value] = count
    return [summaries[i] for i in ids]


def patent_feedback(user: User, patent_id: int) -> PatentFeedback:
    """One patent's roll-up, for its owner (and platform admins)."""
    patent = get_visible(user, Patent, patent_id, lambda p: (p.owner_id,), _("专利不存在"))
    return _roll_up([patent])[0]


def owner_feedback(user: User) -> list[PatentFeedback]:
    """Every patent of the user's organisation that has been pushed or reacted to, most pushed first."""
    organisation_id = user.organisation_id
    if organisation_id is None:
        raise NotFound(_("专利不存在"))
    touched = select(Match.patent_id).where(Match.status != MatchStatus.SUGGESTED).distinct()
    patents = list(db.session.scalars(select(Patent).where(Patent.owner_id == organisation_id,
                                                           Patent.id.in_(touched)).order_by(Patent.id)))
    return sorted(_roll_up(patents), key=lambda s: (-s.pushed, s.patent_id))
