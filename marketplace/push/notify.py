"""Inbox entries and the e-mail that follows them: at once, or in the user's daily digest.

``notify`` is the one way anything lands in an inbox; its ``dedupe_key``
makes it idempotent, so a retried job never notifies twice. E-mail goes
through ``core.mail.queue_mail`` and therefore leaves only after the job's
commit (printed to the log when no SMTP server is configured).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select

from marketplace.accounts.models import Membership, Organisation, User
from marketplace.core.dates import local_date, local_time
from marketplace.core.mail import queue_mail
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.push.models import (
    DigestEntry, EmailMode, Notification, NotificationKind, NotificationPreference,
)
from marketplace.push.messages import N_, Line, Message, message, render, render_lines, text

DIGEST_HOUR = 8  # digests leave from 08:00 China time on
DIGEST_LIST_LIMIT = 50
CHUNK = 500  # keys per IN (…) list


def _recipients(organisation_id: int) -> list[tuple[User, EmailMode]]:
    """Active members of an organisation with their e-mail preference (no row: daily digest)."""
    return _recipients_of([organisation_id]).get(organisation_id, [])


def _recipients_of(organisation_ids: Iterable[int]) -> dict[int, list[tuple[User, EmailMode]]]:
    """``_recipients`` for many organisations in one query: organisation id → members."""
    ids = sorted(set(organisation_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Membership.organisation_id, User, NotificationPreference.email_mode)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(Membership.organisation_id.in_(ids), User.active.is_(True)))
    found: dict[int, list[tuple[User, EmailMode]]] = {}
    for organisation_id, user, mode in rows:
        found.setdefault(organisation_id, []).append((user, mode or EmailMode.DIGEST))
    return found


def notification_url(notification_id: int) -> str:
    """Where an e-mail sends the reader: jobs run without a request, so the host comes from ``PUBLIC_URL``."""
    return f"{current_app.config['SETTINGS'].public_url}/notifications/{notification_id}"


def _mail(address: str, locale: str | None, notification: Notification) -> None:
    """The notification e-mailed in ``locale`` (a user's; Chinese when unset): subject, body and link."""
    with force_locale(locale or "zh"):
        title = notification.shown_title
        subject = _("[专利供需对接平台] %(title)s", title=title)
        parts = [title, notification.shown_body, _("查看：%(url)s", url=notification_url(notification.id))]
    queue_mail(address, subject, "\n\n".join(part for part in parts if part))


def _mail_at_once(notification: Notification, recipients: list[tuple[User, EmailMode]]) -> None:
    for user, mode in recipients:
        if mode == EmailMode.IMMEDIATE:
            _mail(user.email, user.locale, notification)


def _stored(title: Message, body: Sequence[Line]) -> dict[str, Any]:
    """The columns of a new entry: its message, and its Chinese rendering (what ``title``/``body`` held before
    entries kept their message; still what a reader of the raw table sees)."""
    with force_locale("zh"):
        return {"title": render(title)[:300], "body": render_lines(body),
                "message": {"title": title, "body": list(body)}}


def notify(organisation_id: int, kind: NotificationKind, dedupe_key: str, title: Message,
           body: Sequence[Line] = (), *, match_id: int | None = None,
           data: dict[str, Any] | None = None) -> Notification | None:
    """Add an inbox entry unless one with this key exists; mail members who want it at once.

    ``title`` is a message and ``body`` a list of lines (``push.messages``):
    the entry is shown, and mailed, in each reader's language.
    """
    if db.session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)) is not None:
        return None
    notification = Notification(organisation_id=organisation_id, kind=kind, dedupe_key=dedupe_key,
                                match_id=match_id, data=data or {}, **_stored(title, body))
    db.session.add(notification)
    db.session.flush()
    _mail_at_once(notification, _recipients(organisation_id))
    return notification


def organisation_locale(organisation_id: int) -> str:
    """The language most of the organisation's active members read (``User.locale``); Chinese when none chose,
    on a tie, or when the organisation has no members."""
    counts = Counter(("en" if (user.locale or "zh").startswith("en") else "zh")
                     for user, _mode in _recipients(organisation_id))
    return "en" if counts["en"] > counts["zh"] else "zh"


def _member_with(address: str, recipients: list[tuple[User, EmailMode]]) -> tuple[User, EmailMode] | None:
    return next(((user, mode) for user, mode in recipients if user.email.lower() == address.lower()), None)


def address_locale(organisation_id: int, address: str) -> str:
    """The language to write to one of an organisation's addresses in (a contact address, a declaration's):
    its member's when the address is a member's own, else the language most members read
    (``organisation_locale``)."""
    member = _member_with(address, _recipients(organisation_id))
    return (member[0].locale or "zh") if member is not None else organisation_locale(organisation_id)


def notify_organisation(organisation_id: int, kind: NotificationKind, dedupe_key: str, title: Message,
                        body: Sequence[Line] = (), *, data: dict[str, Any] | None = None) -> Notification | None:
    """``notify``, and mail the organisation's contact address too (reminders that must reach the office, not only
    the members who asked for immediate mail); nothing when the key was used before.

    The copy is in the reader's language like every mail: when the contact
    address is a member's own, in that member's language (and not sent twice
    when the member had it at once); otherwise the address belongs to no user
    and the copy is written in the language most members read
    (``organisation_locale``: Chinese unless English readers are the majority).
    """
    notification = notify(organisation_id, kind, dedupe_key, title, body, data=data)
    organisation = db.session.get(Organisation, organisation_id)
    if notification is not None and organisation is not None and organisation.contact_email:
        member = _member_with(organisation.contact_email, _recipients(organisation_id))
        if member is None:
            _mail(organisation.contact_email, organisation_locale(organisation_id), notification)
        elif member[1] != EmailMode.IMMEDIATE:  # a member's own address: in its language, and only once
            _mail(organisation.contact_email, member[0].locale, notification)
    return notification


@dataclass(frozen=True)
class Notice:
    """An inbox entry to add with ``notify_many`` (the arguments of ``notify``)."""

    organisation_id: int
    kind: NotificationKind
    dedupe_key: str
    title: Message
    body: Sequence[Line] = ()
    match_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def notify_many(notices: Sequence[Notice]) -> list[Notification]:
    """``notify`` for many entries: one look-up of the keys, one multi-row INSERT, one read-back, one recipients
    query, however many entries.

    Entries whose key exists (or repeats in ``notices``) are skipped, so a
    retried batch adds nothing; returns the entries added, in ``notices`` order.
    """
    keys = list(dict.fromkeys(notice.dedupe_key for notice in notices))
    known: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        known.update(db.session.scalars(select(Notification.dedupe_key).where(
            Notification.dedupe_key.in_(keys[start:start + CHUNK]))))
    rows: list[dict[str, Any]] = []
    for notice in notices:
        if notice.dedupe_key in known:
            continue
        known.add(notice.dedupe_key)
        rows.append({"organisation_id": notice.organisation_id, "kind": notice.kind, "dedupe_key": notice.dedupe_key,
                     "match_id": notice.match_id, "data": notice.data, "created_at": utcnow(),
                     **_stored(notice.title, notice.body)})
    if not rows:
        return []
    # a plain executemany: the ORM would send one INSERT … RETURNING per row on SQLite
    db.session.execute(insert(Notification.__table__), rows)
    order = {row["dedupe_key"]: index for index, row in enumerate(rows)}
    added: list[Notification] = []
    for start in range(0, len(rows), CHUNK):
        added += db.session.scalars(select(Notification).where(
            Notification.dedupe_key.in_([row["dedupe_key"] for row in rows[start:start + CHUNK]])))
    added.sort(key=lambda notification: order[notification.dedupe_key])
    recipients = _recipients_of(n.organisation_id for n in added)
    for notification in added:
        _mail_at_once(notification, recipients.get(notification.organisation_id, []))
    return added


def roll_up_digests(now: datetime | None = None) -> int:
    """Turn each organisation's pending digest entries into one inbox entry per day; returns how many."""
    today = local_date(now or utcnow())
    pending = list(db.session.scalars(select(DigestEntry).where(DigestEntry.sent_at.is_(None))
                                      .order_by(DigestEntry.organisation_id, DigestEntry.id)))
    by_org: dict[int, list[DigestEntry]] = {}
    for entry in pending:
        by_org.setdefault(entry.organisation_id, []).append(entry)
    created = 0
    for organisation_id, entries in by_org.items():
        patents = sum(1 for e in entries if e.entity_type == "patent")
        needs = len(entries) - patents
        title = message(N_("领域订阅日报 %(date)s：新专利 %(patents)d 件，新需求 %(needs)d 项"),
                        date=today.isoformat(), patents=patents, needs=needs)
        body = [text(f"· {e.title}") for e in entries[:DIGEST_LIST_LIMIT]]
        if notify(organisation_id, NotificationKind.DIGEST, f"digest:{organisation_id}:{today.isoformat()}", title,
                  body, data={"entries": [{"type": e.entity_type, "id": e.entity_id, "title": e.title}
                                          for e in entries]}) is None:
            continue  # today's digest went out already: these wait for tomorrow's
        for entry in entries:
            entry.sent_at = utcnow()
        created += 1
    db.session.flush()
    return created


def send_email_digests(now: datetime | None = None) -> int:
    """Mail each digest-preferring user, once per China day from 08:00, the inbox entries since the last one."""
    local = local_time(now or utcnow())
    if local.hour < DIGEST_HOUR:
        return 0
    today: date = local.date()
    rows = db.session.execute(
        select(User, Membership.organisation_id, NotificationPreference)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(User.active.is_(True)))
    sent = 0
    for user, organisation_id, preference in rows:
        if preference is not None and (preference.email_mode != EmailMode.DIGEST or preference.last_digest_on == today):
            continue
        since = preference.last_digest_notification_id if preference is not None else 0
        entries = list(db.session.scalars(select(Notification).where(
            Notification.organisation_id == organisation_id, Notification.id > since).order_by(Notification.id)))
        if not entries:
            continue
        if preference is None:
            preference = NotificationPreference(user_id=user.id, email_mode=EmailMode.DIGEST)
            db.session.add(preference)
        with force_locale(user.locale or "zh"):
            lines = "\n".join(f"· {n.shown_title}  {notification_url(n.id)}" for n in entries[:DIGEST_LIST_LIMIT])
            subject = _("[专利供需对接平台] 每日摘要 %(date)s（%(n)d 条新消息）", date=today.isoformat(), n=len(entries))
        queue_mail(user.email, subject, lines)
        preference.last_digest_on = today
        preference.last_digest_notification_id = entries[-1].id
        sent += 1
    db.session.flush()
    return sent
