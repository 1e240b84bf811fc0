"""Who hears about a publication: the push decision, the daily cap and the segment digest.

A patent published in a segment goes to the companies subscribed to that
segment (or a parent of it) whose subscription filters it passes; each such
company with an open need the engine ranks at or above the threshold gets a
pushed match and an inbox entry carrying the explanation, the others a
digest entry. A posted or reopened public need goes the same way to
subscribed universities and institutes with a fitting patent. Only what is
published after a subscription was made is pushed to it. Every step is
idempotent: a pair already pushed, or dismissed, is never pushed again, so a
retried or re-enqueued job changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select
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
from marketplace.search.backend import search_backend
from marketplace.search.documents import need_document, patent_documents
from marketplace.search.models import Match, MatchStatus
from matching import calibration
from matching.documents import NeedDoc, PatentDoc

# Scores are 0–100; the engine's calibrated push threshold (precision ≥ 0.6 on the relevance dev split).
DEFAULT_MIN_SCORE = calibration.default().push
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
    segments = [taxonomy.label(c) for c in explanation.get("shared_segments", [])]
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


def _digest(waiting: dict[int, Subscription], entity_type: str, entity_id: int, title: str,
            outcome: PushOutcome) -> None:
    """Digest entries for the organisations in ``waiting`` (organisation id → subscription), once each."""
    if not waiting:
        return
    known = set(db.session.scalars(select(DigestEntry.organisation_id).where(
        DigestEntry.entity_type == entity_type, DigestEntry.entity_id == entity_id,
        DigestEntry.organisation_id.in_(list(waiting)))))
    rows: list[dict[str, Any]] = [{"organisation_id": organisation_id, "subscription_id": subscription.id, "entity_type": entity_type,
             "entity_id": entity_id, "title": title[:500], "created_at": utcnow()}
            for organisation_id, subscription in waiting.items() if organisation_id not in known]
    if rows:  # one statement: a popular segment has hundreds of subscribers
        db.session.execute(insert(DigestEntry), rows)
        outcome.digested.extend(row["organisation_id"] for row in rows)


def _store_pairs(patent_id: int | None, need_id: int | None,
                 ranked: list[tuple[int, float, dict]]) -> dict[int, Match]:
    """Store the qualifying pairs of one patent (or one need) in one query; returns other side id → match.

    Only pairs worth pushing are stored (the search pages store what they
    show); an existing row keeps its funnel status and gets the fresh ranking.
    Dismissed pairs are left out.
    """
    if not ranked:
        return {}
    other_ids = [other_id for other_id, _score, _explanation in ranked]
    if patent_id is not None:
        query = select(Match).where(Match.patent_id == patent_id, Match.need_id.in_(other_ids))
        existing = {m.need_id: m for m in db.session.scalars(query)}
    else:
        query = select(Match).where(Match.need_id == need_id, Match.patent_id.in_(other_ids))
        existing = {m.patent_id: m for m in db.session.scalars(query)}
    stored: dict[int, Match] = {}
    for other_id, score, explanation in ranked:
        match = existing.get(other_id)
        if match is None:
            match = Match(need_id=need_id if need_id is not None else other_id,
                          patent_id=patent_id if patent_id is not None else other_id,
                          score=score, reasons=explanation, source="push", status=MatchStatus.SUGGESTED)
            db.session.add(match)
        elif match.status != MatchStatus.DISMISSED:
            match.score, match.reasons = score, explanation
        if match.status != MatchStatus.DISMISSED:
            stored[other_id] = match
    db.session.flush()
    return stored


def _fresh(match: Match) -> bool:
    """Never the same pair twice: only a pair nobody pushed or reacted to yet is pushed."""
    return match.pushed_at is None and match.status == MatchStatus.SUGGESTED


def push_patent(patent_id: int) -> PushOutcome:
    """Push a published patent to subscribed companies whose open needs (private ones too) it fits.

    The engine ranks open needs; ``SearchUnavailable`` propagates so the job is retried.
    """
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
    ranked = [m for m in search_backend().match_needs(document, limit=CANDIDATES)
              if m.need.org_id in subscriptions and m.score >= threshold and m.need.status == "open"]
    stored = _store_pairs(patent.id, None, [(m.need.id, m.score, m.explanation.to_dict()) for m in ranked])
    fitting: dict[int, list[Match]] = {}
    for m in ranked:
        if m.need.id in stored:
            fitting.setdefault(m.need.org_id, []).append(stored[m.need.id])
    waiting: dict[int, Subscription] = {}
    for organisation_id, subscription in subscriptions.items():
        fresh = [m for m in fitting.get(organisation_id, []) if _fresh(m)]
        delivered = [m for m in fresh if _deliver(m, organisation_id, f"新专利匹配您的需求：{patent.title}"[:300],
                                                  "patent", outcome)]
        if not fitting.get(organisation_id) or len(delivered) < len(fresh):
            waiting[organisation_id] = subscription
    _digest(waiting, "patent", patent.id, patent.title, outcome)
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
    ranked = [m for m in search_backend().match_patents(document, limit=CANDIDATES)
              if m.patent.owner_id in subscriptions and m.score >= threshold
              and patent_qualifies(subscriptions[m.patent.owner_id], m.patent)]
    stored = _store_pairs(None, need.id, [(m.patent.id, m.score, m.explanation.to_dict()) for m in ranked])
    fitting: dict[int, list[Match]] = {}
    for m in ranked:
        if m.patent.id in stored:
            fitting.setdefault(m.patent.owner_id, []).append(stored[m.patent.id])
    waiting: dict[int, Subscription] = {}
    for organisation_id, subscription in subscriptions.items():
        fresh = [m for m in fitting.get(organisation_id, []) if _fresh(m)]
        delivered = [m for m in fresh if _deliver(m, organisation_id, f"新技术需求匹配您的专利：{need.title}"[:300],
                                                  "need", outcome)]
        if not fitting.get(organisation_id) or len(delivered) < len(fresh):
            waiting[organisation_id] = subscription
    _digest(waiting, "need", need.id, need.title, outcome)
    db.session.flush()
    return outcome
