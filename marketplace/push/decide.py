"""Who hears about a publication: the push decision, the daily cap and the segment digest.

A patent published in a segment goes to the companies subscribed to that
segment (or a parent of it) whose subscription filters it passes; each such
company with an open need the engine ranks at or above the threshold gets a
pushed match and an inbox entry carrying the explanation, the others a
digest entry. A posted or reopened public need goes the same way to
subscribed universities and institutes with a fitting patent. Every step is
idempotent: a pair already pushed, or dismissed, is never pushed again, so a
retried or re-enqueued job changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timezone

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import DEFAULT_GRADE_LABELS
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.patents.models import Patent
from marketplace.push.models import (
    DigestEntry, Notification, NotificationKind, Subscription, SubscriptionSegment, SubscriptionTarget,
)
from marketplace.push.notify import CHINA, china_now, notify
from marketplace.search.documents import need_document, patent_documents
from marketplace.search.models import Match, MatchStatus
from marketplace.search.services import record_need_matches, record_patent_matches
from matching.documents import NeedDoc, PatentDoc

DEFAULT_MIN_SCORE = 0.55
DEFAULT_DAILY_CAP = 20
CANDIDATES = 30


def min_score() -> float:
    """The score a match needs to be pushed (``PUSH_MIN_SCORE`` overrides)."""
    return float(current_app.config.get("PUSH_MIN_SCORE", DEFAULT_MIN_SCORE))


def daily_cap() -> int:
    """Pushed matches an organisation receives per day at most (``PUSH_DAILY_CAP``); the rest go to the digest."""
    return int(current_app.config.get("PUSH_DAILY_CAP", DEFAULT_DAILY_CAP))


@dataclass
class PushOutcome:
    """What one publication caused, for logs and tests."""

    pushed: list[int] = field(default_factory=list)  # match ids
    digested: list[int] = field(default_factory=list)  # organisation ids
    capped: list[int] = field(default_factory=list)  # match ids held back by the daily cap


def local_day_start(now: datetime | None = None) -> datetime:
    """Midnight of today in China, as naive UTC (how timestamps are stored)."""
    midnight = datetime.combine(china_now(now).date(), time(0), tzinfo=CHINA)
    return midnight.astimezone(timezone.utc).replace(tzinfo=None)


def pushes_today(organisation_id: int) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.organisation_id == organisation_id, Notification.kind == NotificationKind.MATCH_PUSHED,
        Notification.created_at >= local_day_start())) or 0


# --- subscription filters -------------------------------------------------------------------------

def _contains_keyword(keywords: Iterable[str], texts: Iterable[str]) -> bool:
    haystack = "\n".join(texts).lower()
    return any(keyword.lower() in haystack for keyword in keywords)


def grade_at_least(grade: str | None, minimum: str | None) -> bool:
    """A–D order; a patent without a default grade never passes a grade filter."""
    if not minimum:
        return True
    order = [label.upper() for label in DEFAULT_GRADE_LABELS]
    return bool(grade) and grade.upper() in order and order.index(grade.upper()) <= order.index(minimum.upper())


def patent_qualifies(subscription: Subscription, patent: PatentDoc) -> bool:
    """The grade and open-license filters, which always concern the patent (whichever side subscribed)."""
    if not grade_at_least(patent.grade, subscription.min_grade):
        return False
    return not subscription.open_license_only or patent.open_license


def patent_passes(subscription: Subscription, patent: PatentDoc) -> bool:
    """Whether a patent meets a company's subscription: grade, open license, modes offered, keywords."""
    if not patent_qualifies(subscription, patent):
        return False
    if subscription.modes and not set(subscription.modes) & patent.effective_modes:
        return False
    return not subscription.keywords or _contains_keyword(
        subscription.keywords, [patent.title, patent.abstract, patent.first_claim, *patent.tags])


def need_passes(subscription: Subscription, need: NeedDoc) -> bool:
    """Whether a need meets a university's subscription (modes asked for, keywords)."""
    if subscription.modes and not set(subscription.modes) & set(need.modes):
        return False
    return not subscription.keywords or _contains_keyword(
        subscription.keywords, [need.title, need.description, *need.keywords])


def _subscribers(target: SubscriptionTarget, segments: list[str], published_at: datetime,
                 exclude_organisation: int) -> list[Subscription]:
    """Subscriptions to any of these segments, made before the publication (old stock never floods in)."""
    if not segments:
        return []
    ids = select(SubscriptionSegment.subscription_id).where(SubscriptionSegment.segment_code.in_(segments))
    return list(db.session.scalars(
        select(Subscription).where(Subscription.id.in_(ids), Subscription.target == target,
                                   Subscription.organisation_id != exclude_organisation,
                                   Subscription.created_at <= published_at)
        .options(selectinload(Subscription.segment_links)).order_by(Subscription.id)))


def _first_per_organisation(subscriptions: Iterable[Subscription]) -> dict[int, Subscription]:
    chosen: dict[int, Subscription] = {}
    for subscription in subscriptions:
        chosen.setdefault(subscription.organisation_id, subscription)
    return chosen


# --- delivery -------------------------------------------------------------------------------------

def reasons_text(explanation: dict) -> str:
    """The explanation as one readable paragraph for the inbox and e-mail."""
    taxonomy = current_app.extensions["taxonomy"]
    parts: list[str] = []
    segments = [taxonomy.get(c).name if taxonomy.get(c) else c for c in explanation.get("shared_segments", [])]
    if segments:
        parts.append("产业领域一致：" + "、".join(segments))
    if explanation.get("matched_terms"):
        parts.append("共同关键词：" + "、".join(explanation["matched_terms"][:8]))
    if explanation.get("shared_ipc"):
        parts.append("IPC 一致：" + "、".join(explanation["shared_ipc"]))
    parts.extend(f["label_zh"] for f in explanation.get("factors", []) if f.get("contribution", 0) > 0
                 and f.get("code") not in ("segment_match",))
    return "；".join(parts)


def _deliver(match: Match, organisation_id: int, title: str, direction: str, outcome: PushOutcome) -> bool:
    """Push one pair unless the organisation's daily cap is reached; False sends it to the digest instead."""
    if pushes_today(organisation_id) >= daily_cap():
        outcome.capped.append(match.id)
        return False
    match.status = MatchStatus.PUSHED
    match.pushed_at = utcnow()
    notify(organisation_id, NotificationKind.MATCH_PUSHED, f"push:{match.id}", title, reasons_text(match.reasons),
           match_id=match.id, data={"direction": direction, "score": round(match.score, 4),
                                    "patent_id": match.patent_id, "need_id": match.need_id,
                                    "explanation": match.reasons})
    outcome.pushed.append(match.id)
    return True


def _digest(organisation_id: int, subscription_id: int, entity_type: str, entity_id: int, title: str,
            outcome: PushOutcome) -> None:
    exists = db.session.scalar(select(DigestEntry.id).where(
        DigestEntry.organisation_id == organisation_id, DigestEntry.entity_type == entity_type,
        DigestEntry.entity_id == entity_id))
    if exists is None:
        db.session.add(DigestEntry(organisation_id=organisation_id, subscription_id=subscription_id,
                                   entity_type=entity_type, entity_id=entity_id, title=title[:500]))
        outcome.digested.append(organisation_id)


def _fresh(match: Match) -> bool:
    """Never the same pair twice: only a pair nobody pushed or reacted to yet is pushed."""
    return match.pushed_at is None and match.status == MatchStatus.SUGGESTED


def push_patent(patent_id: int) -> PushOutcome:
    """Push a published patent to subscribed companies whose open needs it fits (see module doc)."""
    outcome = PushOutcome()
    patent = db.session.get(Patent, patent_id, with_for_update=True)  # one push run per patent at a time
    if patent is None or not patent.is_published or patent.published_at is None:
        return outcome
    documents = patent_documents([patent])
    if not documents or not documents[0].matchable:
        return outcome
    document = documents[0]
    subscriptions = _first_per_organisation(
        s for s in _subscribers(SubscriptionTarget.PATENTS, document.segments, patent.published_at, patent.owner_id)
        if patent_passes(s, document))
    if not subscriptions:
        return outcome
    threshold = min_score()
    fitting: dict[int, list[Match]] = {}
    for match, ranked in record_need_matches(patent, limit=CANDIDATES, source="push", include_private=True):
        organisation_id = ranked.need.org_id
        if organisation_id in subscriptions and ranked.score >= threshold and ranked.need.status == "open":
            fitting.setdefault(organisation_id, []).append(match)
    for organisation_id, subscription in subscriptions.items():
        fresh = [m for m in fitting.get(organisation_id, []) if _fresh(m)]
        delivered = [m for m in fresh if _deliver(m, organisation_id, f"新专利匹配您的需求：{patent.title}"[:300],
                                                  "patent", outcome)]
        if not fitting.get(organisation_id) or len(delivered) < len(fresh):
            _digest(organisation_id, subscription.id, "patent", patent.id, patent.title, outcome)
    db.session.flush()
    return outcome


def push_need(need_id: int) -> PushOutcome:
    """Push a posted or reopened public need to subscribed universities with a fitting patent."""
    outcome = PushOutcome()
    need = db.session.get(Need, need_id, with_for_update=True)
    if need is None or not need.is_listed:  # private needs are never shown to the supply side
        return outcome
    document = need_document(need)
    subscriptions = _first_per_organisation(
        s for s in _subscribers(SubscriptionTarget.NEEDS, document.segments, need.updated_at, need.organisation_id)
        if need_passes(s, document))
    if not subscriptions:
        return outcome
    threshold = min_score()
    fitting: dict[int, list[Match]] = {}
    for match, ranked in record_patent_matches(need, limit=CANDIDATES, source="push"):
        owner_id = ranked.patent.owner_id
        subscription = subscriptions.get(owner_id) if owner_id is not None else None
        if subscription is not None and ranked.score >= threshold and patent_qualifies(subscription, ranked.patent):
            fitting.setdefault(owner_id, []).append(match)
    for organisation_id, subscription in subscriptions.items():
        fresh = [m for m in fitting.get(organisation_id, []) if _fresh(m)]
        delivered = [m for m in fresh if _deliver(m, organisation_id, f"新技术需求匹配您的专利：{need.title}"[:300],
                                                  "need", outcome)]
        if not fitting.get(organisation_id) or len(delivered) < len(fresh):
            _digest(organisation_id, subscription.id, "need", need.id, need.title, outcome)
    db.session.flush()
    return outcome
