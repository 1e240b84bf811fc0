"""The welcome digest: a new subscription hears once of what its segments already hold.

Pushes only carry what is published after a subscription (``decide``), so
without this a company subscribing to a segment would hear nothing of the
patents already listed there. When a subscription is made, the
"subscription-backlog" outbox consumer writes **one** inbox entry (kind
digest) listing the existing published patents (for a company) or listed
needs (for a university or institute) of its segments that pass its filters:
never one push per item. Its dedupe key makes it idempotent, so a replayed
outbox row changes nothing. It runs wherever the outbox drains: inline after
the commit without Redis, on a worker with it.
"""
from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from marketplace.core import outbox
from marketplace.core.jobs import job_logger
from marketplace.core.models import OutboxEvent
from marketplace.extensions import db
from marketplace.needs.models import Need, NeedSegment
from marketplace.needs.services import listed_clause
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.vocab import PublicationState
from marketplace.push.decide import need_passes, patent_passes
from marketplace.push.messages import N_, message, segments, text
from marketplace.push.models import Notification, NotificationKind, Subscription, SubscriptionTarget
from marketplace.push.notify import notify
from marketplace.search.documents import need_document, patent_documents

log = job_logger(__name__)
CONSUMER = "subscription-backlog"
SCAN_LIMIT = 2000  # newest items of the segments looked at; the digest names at most LIST_LIMIT of them
LIST_LIMIT = 50


def _codes(subscription: Subscription) -> list[str]:
    taxonomy = current_app.extensions["taxonomy"]
    return list(dict.fromkeys(code for segment in subscription.segments for code in taxonomy.descendants(segment)))


def _existing_patents(subscription: Subscription) -> list[tuple[int, str]]:
    codes = _codes(subscription)
    patents = list(db.session.scalars(
        select(Patent).where(Patent.state == PublicationState.PUBLISHED,
                             Patent.owner_id != subscription.organisation_id,
                             Patent.published_at <= subscription.created_at,
                             exists().where(PatentSegment.patent_id == Patent.id,
                                            PatentSegment.segment_code.in_(codes)))
        .order_by(Patent.published_at.desc(), Patent.id.desc()).limit(SCAN_LIMIT)
        .options(selectinload(Patent.owner))))  # patent_documents reads the segment codes
    return [(doc.id, doc.title) for doc in patent_documents(patents) if patent_passes(subscription, doc)]


def _existing_needs(subscription: Subscription) -> list[tuple[int, str]]:
    codes = _codes(subscription)
    needs = list(db.session.scalars(
        select(Need).where(listed_clause(), Need.organisation_id != subscription.organisation_id,
                           Need.created_at <= subscription.created_at,
                           exists().where(NeedSegment.need_id == Need.id, NeedSegment.segment_code.in_(codes)))
        .order_by(Need.created_at.desc(), Need.id.desc()).limit(SCAN_LIMIT)
        .options(selectinload(Need.segment_links))))
    return [(need.id, need.title) for need in needs if need_passes(subscription, need_document(need))]


def send_backlog_digest(subscription_id: int) -> Notification | None:
    """One inbox entry listing what the subscription's segments already held; None when nothing (or sent)."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None:
        return None
    patents = subscription.target == SubscriptionTarget.PATENTS
    items = _existing_patents(subscription) if patents else _existing_needs(subscription)
    if not items:
        return None
    title = message(N_("订阅已生效：%(segments)s 领域现有专利 %(n)d 件") if patents
                    else N_("订阅已生效：%(segments)s 领域现有需求 %(n)d 项"),
                    segments=segments(subscription.segments), n=len(items))
    body = [text(f"· {item_title}") for _id, item_title in items[:LIST_LIMIT]]
    if len(items) > LIST_LIMIT:
        body.append(message(N_("…… 另有 %(n)d 件") if patents else N_("…… 另有 %(n)d 项"),
                            n=len(items) - LIST_LIMIT))
    entity = "patent" if patents else "need"
    return notify(subscription.organisation_id, NotificationKind.DIGEST, f"backlog:{subscription.id}", title, body,
                  data={"subscription_id": subscription.id, "segments": subscription.segments, "total": len(items),
                        "entries": [{"type": entity, "id": item_id, "title": item_title}
                                    for item_id, item_title in items[:LIST_LIMIT]]})


def handle_events(events: list[OutboxEvent]) -> None:
    """The consumer: one welcome digest per new subscription (the drain commits)."""
    for subscription_id in dict.fromkeys(e.entity_id for e in events if e.action != "deleted"):
        sent = send_backlog_digest(subscription_id)
        log.info("subscription %s: welcome digest %s", subscription_id,
                 f"with {sent.data.get('total')} items" if sent is not None else "not needed")


def register(app: Flask) -> None:
    """Called by ``push.jobs.register``."""
    outbox.register_consumer(CONSUMER, {"subscription"}, handle_events, app=app)
