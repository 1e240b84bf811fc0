"""Contact the owner of any published patent: one message thread per patent and enquiring organisation.

Any signed-in member of another organisation may write from the patent's
page, match or no match; the owner answers in the same thread, and each side
is told in its inbox. Both sides (and no one else; a platform admin reads)
see the thread, and an agency brokering it once both consented
(``deals.brokering``); ``get_thread`` and ``reply`` serve a match's thread too. Each user writes at most ``HOURLY_LIMIT`` contact messages an
hour (429 with ``Retry-After``), so the owners' inboxes cannot be flooded.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.core.audit import record_audit
from marketplace.core.errors import Forbidden, NotFound, TooManyRequests, ValidationFailed
from marketplace.core.i18n import gettext as _
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.patents.models import Patent
from marketplace.push.feedback import MAX_MESSAGE, active_agencies, tell_readers
from marketplace.push.models import Message, MessageThread
from marketplace.accounts.permissions import get_visible
from marketplace.search.models import Match

HOURLY_LIMIT = 10
WINDOW = timedelta(hours=1)


def _enquirer(user: User) -> int:
    if user is None or not user.is_authenticated or getattr(user, "is_platform_admin", False):
        raise Forbidden(_("平台管理员不参与对话"))
    if user.organisation_id is None:
        raise Forbidden(_("需要先加入机构"))
    return user.organisation_id


def published_patent(patent_id: int) -> Patent:
    patent = db.session.get(Patent, patent_id)
    if patent is None or not patent.is_published:
        raise NotFound(_("专利不存在"))
    return patent


def thread_for(organisation_id: int, patent_id: int) -> MessageThread | None:
    return db.session.scalar(select(MessageThread).where(MessageThread.patent_id == patent_id,
                                                         MessageThread.organisation_id == organisation_id))


def contact_thread(user: User, patent_id: int) -> tuple[Patent, MessageThread | None]:
    """The user's organisation's thread with the owner of a published patent (None before the first message)."""
    organisation_id = _enquirer(user)
    patent = published_patent(patent_id)
    if patent.owner_id == organisation_id:
        raise Forbidden(_("这是贵机构自己的专利"))
    return patent, thread_for(organisation_id, patent.id)


def thread_parties(thread: MessageThread) -> tuple[int | None, int | None]:
    """The two parties of a thread: the enquiring organisation (a match's need's, or the one that wrote from the
    patent's page) and the patent's owner."""
    if thread.match_id is not None:
        match = db.session.get(Match, thread.match_id)
        return (match.need.organisation_id, match.patent.owner_id) if match is not None else (None, None)
    patent = db.session.get(Patent, thread.patent_id) if thread.patent_id is not None else None
    return thread.organisation_id, patent.owner_id if patent is not None else None


def thread_patent(thread: MessageThread) -> Patent:
    if thread.match_id is not None:
        return db.session.get(Match, thread.match_id).patent
    return db.session.get(Patent, thread.patent_id)


def get_thread(user: User, thread_id: int) -> tuple[MessageThread, Patent, list[Message]]:
    """A thread with its messages, oldest first, for its two organisations, the agencies they both admitted
    (and platform admins)."""
    thread = get_visible(user, MessageThread, thread_id, thread_parties, _("对话不存在"),
                         also=lambda t: user is not None and user.is_authenticated
                         and user.organisation_id in active_agencies(t.id))
    messages = list(db.session.scalars(select(Message).where(Message.thread_id == thread.id)
                                       .options(selectinload(Message.organisation)).order_by(Message.id)))
    return thread, thread_patent(thread), messages


def _check_rate(user: User) -> None:
    sent = db.session.scalar(select(func.count()).select_from(Message).join(MessageThread).where(
        Message.user_id == user.id, MessageThread.patent_id.is_not(None), Message.created_at > utcnow() - WINDOW))
    if (sent or 0) >= HOURLY_LIMIT:
        raise TooManyRequests(_("发送过于频繁：每小时最多 %(n)d 条，请稍后再试", n=HOURLY_LIMIT),
                              retry_after=int(WINDOW.total_seconds()))


def _text(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationFailed.field("body", _("必填"))
    if len(text) > MAX_MESSAGE:
        raise ValidationFailed.field("body", _("最多 %(n)d 字", n=MAX_MESSAGE))
    return text


def _write(user: User, thread: MessageThread, patent: Patent, text: str) -> Message:
    _check_rate(user)
    message = Message(thread_id=thread.id, organisation_id=user.organisation_id, user_id=user.id, body=text)
    db.session.add(message)
    db.session.flush()
    tell_readers(user, thread, message, patent.title, thread_parties(thread))
    return message


def contact_owner(user: User, patent_id: int, body: str | None) -> Message:
    """Write to the owner of a published patent, opening the organisation's thread with it if needed."""
    patent, thread = contact_thread(user, patent_id)
    text = _text(body)
    if thread is None:
        thread = MessageThread(patent_id=patent.id, organisation_id=user.organisation_id)
        db.session.add(thread)
        db.session.flush()
        record_audit("thread.opened", "message_thread", thread.id, {"patent_id": patent.id}, actor=user,
                     organisation_id=user.organisation_id)
    return _write(user, thread, patent, text)


def reply(user: User, thread_id: int, body: str | None) -> Message:
    """Answer in a thread, as either of its two organisations or an agency both admitted."""
    thread, patent, _messages = get_thread(user, thread_id)
    if getattr(user, "is_platform_admin", False) or user.organisation_id not in (
            *thread_parties(thread), *active_agencies(thread.id)):
        raise Forbidden(_("平台管理员不参与对话"))
    return _write(user, thread, patent, _text(body))
