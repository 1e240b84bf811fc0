"""Push by industry segment: subscriptions, the inbox, digests, feedback and message threads."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation
from marketplace.core.i18n import lazy_gettext as _l
from marketplace.core.models import portable_enum, utcnow
from marketplace.extensions import db
from marketplace.patents.vocab import label_of, lazy_labels
from marketplace.push.messages import render, render_lines
from marketplace.search.models import MatchStatus


class SubscriptionTarget(enum.StrEnum):
    """What the subscriber hears about: companies hear of patents, universities and institutes of needs."""

    PATENTS = "patents"
    NEEDS = "needs"


class Subscription(db.Model):
    """An organisation's standing interest in segments; only what is published after it is pushed."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    target: Mapped[SubscriptionTarget] = mapped_column(portable_enum(SubscriptionTarget, "subscription_target"))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_grade: Mapped[str | None] = mapped_column(String(16))
    open_license_only: Mapped[bool] = mapped_column(default=False)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    segment_links: Mapped[list["SubscriptionSegment"]] = relationship(
        cascade="all, delete-orphan", order_by="SubscriptionSegment.segment_code")

    @property
    def segments(self) -> list[str]:
        return [link.segment_code for link in self.segment_links]


class SubscriptionSegment(db.Model):
    """A subscribed segment; a table so a publish finds its subscribers through an index."""

    __tablename__ = "push_subscription_segments"

    subscription_id: Mapped[int] = mapped_column(ForeignKey("push_subscriptions.id", ondelete="CASCADE"),
                                                 primary_key=True)
    segment_code: Mapped[str] = mapped_column(String(32), primary_key=True)

    __table_args__ = (Index("ix_push_subscription_segments_code", "segment_code", "subscription_id"),)


class NotificationKind(enum.StrEnum):
    MATCH_PUSHED = "match_pushed"
    DIGEST = "digest"
    INTEREST = "interest"
    MESSAGE = "message"
    NEED_EXPIRING = "need_expiring"
    CONSENT_REQUESTED = "consent_requested"
    ACT_EFFECTIVE = "act_effective"
    ACT_REJECTED = "act_rejected"
    IMPORT_FINISHED = "import_finished"
    AGENCY = "agency"  # an agency relationship was asked for, decided, changed or revoked
    ROYALTY_REPORT_DUE = "royalty_report_due"
    PAYMENT_OVERDUE = "payment_overdue"
    ANNUAL_FEE_DUE = "annual_fee_due"


class Notification(db.Model):
    """One entry of an organisation's inbox; ``dedupe_key`` makes every push and notice idempotent."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(portable_enum(NotificationKind, "notification_kind"))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"title": message, "body": [line, …]} (push.messages), rendered in the reader's language; rows written
    # before it existed have none and show ``title`` and ``body``, the Chinese stored then
    message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    @property
    def shown_title(self) -> str:
        """The title in the current locale."""
        return render(self.message["title"]) if self.message else self.title

    @property
    def shown_body(self) -> str:
        """The body in the current locale."""
        return render_lines(self.message["body"]) if self.message else self.body

    __table_args__ = (
        Index("ix_notifications_inbox", "organisation_id", "read_at", "id"),
        Index("ix_notifications_cap", "organisation_id", "kind", "created_at"),
    )


class EmailMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"


class NotificationPreference(db.Model):
    """How a user wants inbox entries e-mailed; no row means the daily digest."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email_mode: Mapped[EmailMode] = mapped_column(portable_enum(EmailMode, "email_mode"), default=EmailMode.DIGEST)
    last_digest_on: Mapped[date | None]
    last_digest_notification_id: Mapped[int] = mapped_column(default=0)



class DigestEntry(db.Model):
    """A publication in a subscribed segment that fitted none of the subscriber's needs: told once a day."""

    __tablename__ = "push_digest_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("push_subscriptions.id", ondelete="SET NULL"))
    entity_type: Mapped[str] = mapped_column(String(16))  # patent | need
    entity_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("organisation_id", "entity_type", "entity_id"),
        Index("ix_push_digest_entries_pending", "sent_at", "organisation_id"),
    )


class FeedbackReason(enum.StrEnum):
    """Why a company found a pushed patent not relevant; the labels are what the seeds ask sellers to hear."""

    TOO_EARLY = "too_early"
    BENEFIT_UNCLEAR = "benefit_unclear"
    COMMERCIAL_ROUTE_UNCLEAR = "commercial_route_unclear"
    NOT_OUR_FIELD = "not_our_field"
    PRICE = "price"

    @property
    def label(self) -> str:
        """The reason in the visitor's language."""
        return label_of(self)


REASON_LABELS = lazy_labels(FeedbackReason, {
    FeedbackReason.TOO_EARLY: _l("太早期"), FeedbackReason.BENEFIT_UNCLEAR: _l("收益不明确"),
    FeedbackReason.COMMERCIAL_ROUTE_UNCLEAR: _l("商业化路径不清"), FeedbackReason.NOT_OUR_FIELD: _l("不属于我们领域"),
    FeedbackReason.PRICE: _l("价格"),
})


class MatchFeedback(db.Model):
    """Every reaction to a match, kept (not overwritten) so the funnel statistics can count them."""

    __tablename__ = "match_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[MatchStatus] = mapped_column(portable_enum(MatchStatus, "feedback_status"))
    reason: Mapped[FeedbackReason | None] = mapped_column(portable_enum(FeedbackReason, "feedback_reason"))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MessageThread(db.Model):
    """A conversation with a patent's owner: about one match (``match_id``), or opened from a published patent's
    page by another organisation (``patent_id`` and the enquiring ``organisation_id``, one thread per pair)."""

    __tablename__ = "message_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), unique=True)
    patent_id: Mapped[int | None] = mapped_column(ForeignKey("patents.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("patent_id", "organisation_id"),)


class ThreadMemberStatus(enum.StrEnum):
    """Where an agency stands in a thread: asked to join, admitted by both parties, refused, or removed."""

    REQUESTED = "requested"
    ACTIVE = "active"
    REFUSED = "refused"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        return label_of(self)


THREAD_MEMBER_LABELS = lazy_labels(ThreadMemberStatus, {
    ThreadMemberStatus.REQUESTED: _l("待双方同意"), ThreadMemberStatus.ACTIVE: _l("已加入"),
    ThreadMemberStatus.REFUSED: _l("被拒绝"), ThreadMemberStatus.REMOVED: _l("已移出"),
})


class ThreadMember(db.Model):
    """An agency brokering a thread's match or deal: it reads and writes there only once both parties consented
    through their own accounts (``status`` active); either party may remove it, and it may leave."""

    __tablename__ = "message_thread_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    status: Mapped[ThreadMemberStatus] = mapped_column(portable_enum(ThreadMemberStatus, "thread_member_status"),
                                                       default=ThreadMemberStatus.REQUESTED)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (UniqueConstraint("thread_id", "organisation_id"),)


class Message(db.Model):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
