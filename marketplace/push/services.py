"""Subscriptions, e-mail preferences and the inbox: what an organisation asks to hear and what it heard.

A user sees only their own organisation's subscriptions and inbox; anyone
else's ids answer 404.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from marketplace.accounts.models import DEFAULT_GRADE_LABELS, OrganisationKind, User
from marketplace.core.audit import record_audit
from marketplace.core.i18n import gettext as _
from marketplace.core.errors import ValidationFailed
from marketplace.core.models import utcnow
from marketplace.core.outbox import record_change
from marketplace.accounts.permissions import get_visible, require_organisation
from marketplace.extensions import db
from marketplace.patents.vocab import TransformationMode
from marketplace.push.models import (
    EmailMode, Notification, NotificationPreference, Subscription, SubscriptionSegment, SubscriptionTarget,
)

SUBSCRIBERS = (OrganisationKind.COMPANY, OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE)
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 40
MAX_SUBSCRIPTIONS = 50


def target_for(kind: OrganisationKind) -> SubscriptionTarget:
    """Companies hear of new patents; universities and institutes of new needs."""
    return SubscriptionTarget.PATENTS if kind == OrganisationKind.COMPANY else SubscriptionTarget.NEEDS


def _terms(raw: Any) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [p.strip() for p in re.split(r"[;；,，、\n|]+", raw) if p.strip()]
    return [str(p).strip() for p in raw if str(p).strip()]


def validate_subscription(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check every field, naming each wrong one, before anything is written."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values["segments"] = current_app.extensions["taxonomy"].parse_codes(_terms(raw.get("segments")))
        if not values["segments"]:
            errors["segments"] = _("至少选择一个产业领域")
    except ValidationFailed as error:
        errors.update(error.fields)
    keywords = list(dict.fromkeys(_terms(raw.get("keywords"))))
    if len(keywords) > MAX_KEYWORDS or any(len(k) > MAX_KEYWORD_LENGTH for k in keywords):
        errors["keywords"] = _("最多 %(n)d 个、每个不超过 %(length)d 字", n=MAX_KEYWORDS, length=MAX_KEYWORD_LENGTH)
    values["keywords"] = keywords
    grade = str(raw.get("min_grade") or "").strip().upper() or None
    if grade is not None and grade not in DEFAULT_GRADE_LABELS:
        errors["min_grade"] = _("应为 %(grades)s", grades="/".join(DEFAULT_GRADE_LABELS))
    values["min_grade"] = grade
    values["open_license_only"] = str(raw.get("open_license_only", "")).strip().lower() in {"1", "true", "yes", "on", "y"}
    modes: list[str] = []
    for item in _terms(raw.get("modes")):
        mode = TransformationMode.parse(item)
        if mode is None:
            errors["modes"] = _("未知的转化方式：%(mode)s", mode=item)
        elif mode.value not in modes:
            modes.append(mode.value)
    values["modes"] = modes
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    return values


def subscribe(user: User, raw: Mapping[str, Any]) -> Subscription:
    """Subscribe the user's organisation to segments.

    Later publications are pushed one by one (``decide``); what the segments
    already hold arrives once, as one welcome digest (``backlog``).
    """
    organisation = require_organisation(user, SUBSCRIBERS)
    values = validate_subscription(raw)
    count = db.session.scalar(select(func.count(Subscription.id)).where(
        Subscription.organisation_id == organisation.id)) or 0
    if count >= MAX_SUBSCRIPTIONS:
        raise ValidationFailed.field("segments", _("每个机构最多 %(n)d 个订阅", n=MAX_SUBSCRIPTIONS))
    subscription = Subscription(
        organisation_id=organisation.id, created_by_id=user.id, target=target_for(organisation.kind),
        keywords=values["keywords"], min_grade=values["min_grade"], open_license_only=values["open_license_only"],
        modes=values["modes"], segment_links=[SubscriptionSegment(segment_code=c) for c in values["segments"]])
    db.session.add(subscription)
    db.session.flush()
    record_audit("push.subscribed", "subscription", subscription.id, values, actor=user,
                 organisation_id=organisation.id)
    record_change("subscription", subscription.id)  # the welcome digest of what the segments already hold
    return subscription


def list_subscriptions(user: User) -> list[Subscription]:
    organisation = require_organisation(user)
    return list(db.session.scalars(select(Subscription).where(Subscription.organisation_id == organisation.id)
                                   .order_by(Subscription.id)))


def delete_subscription(user: User, subscription_id: int) -> None:
    """Stop a subscription; what it already pushed stays in the inbox."""
    subscription = get_visible(user, Subscription, subscription_id, lambda s: (s.organisation_id,), _("订阅不存在"),
                               admins=False)
    record_audit("push.unsubscribed", "subscription", subscription.id, {"segments": subscription.segments},
                 actor=user, organisation_id=subscription.organisation_id)
    db.session.delete(subscription)
    db.session.flush()


# --- e-mail preference ----------------------------------------------------------------------------

def email_mode(user: User) -> EmailMode:
    preference = db.session.get(NotificationPreference, user.id)
    return preference.email_mode if preference is not None else EmailMode.DIGEST


def set_email_mode(user: User, mode: str) -> EmailMode:
    """Immediate, daily digest or off; applies to this user only."""
    try:
        chosen = EmailMode(str(mode))
    except ValueError:
        raise ValidationFailed.field("email_mode", _("请选择邮件提醒方式：即时、每日汇总或关闭")) from None
    preference = db.session.get(NotificationPreference, user.id)
    if preference is None:
        preference = NotificationPreference(user_id=user.id)
        db.session.add(preference)
    preference.email_mode = chosen
    db.session.flush()
    return chosen


# --- inbox ----------------------------------------------------------------------------------------

def _inbox(user: User):
    organisation = require_organisation(user)
    return select(Notification).where(Notification.organisation_id == organisation.id)


def list_notifications(user: User, page: int = 1, per_page: int = 20,
                       unread_only: bool = False) -> tuple[list[Notification], int]:
    """The organisation's inbox, newest first."""
    query = _inbox(user)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(db.session.scalars(query.order_by(Notification.id.desc())
                                    .offset((page - 1) * per_page).limit(per_page)))
    return items, total


def unread_count(user: User) -> int:
    """For the header badge: one indexed count."""
    if user.organisation_id is None:
        return 0
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.organisation_id == user.organisation_id, Notification.read_at.is_(None))) or 0


def get_notification(user: User, notification_id: int) -> Notification:
    return get_visible(user, Notification, notification_id, lambda n: (n.organisation_id,), _("消息不存在"),
                       admins=False)


def mark_read(user: User, notification_id: int) -> Notification:
    notification = get_notification(user, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification


def mark_all_read(user: User) -> int:
    """Mark the whole inbox read; returns how many entries changed."""
    organisation = require_organisation(user)
    result = db.session.execute(update(Notification).where(
        Notification.organisation_id == organisation.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount or 0  # type: ignore[attr-defined]  # an UPDATE's CursorResult
