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

Decisions are taken for a batch of publications at once (a push job carries
up to ``jobs.PUSH_BATCH`` ids): one query finds the subscribers of the whole
batch, the engine ranks the batch in one call (``ranking``), scoring for each
publication only the candidates of organisations it can reach, and ``deliver``
writes the outcome with set-based statements. The rows of a batch are locked
in id order first, so two workers given overlapping batches take turns on
them instead of pushing twice.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, time
from functools import partial

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import DEFAULT_GRADE_LABELS
from marketplace.core.dates import CHINA, local_date
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.patents.models import Patent
from marketplace.push import ranking
from marketplace.push.deliver import Candidate, Publication, PushOutcome, deliver
from marketplace.push.messages import N_, Line, bilingual, listing, message, segments
from marketplace.push.models import Subscription, SubscriptionSegment, SubscriptionTarget
from marketplace.search.documents import load_needs, load_patents, need_document, patent_documents
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


def local_day_start(now: datetime | None = None) -> datetime:
    """Midnight of today in China, as naive UTC (how timestamps are stored)."""
    midnight = datetime.combine(local_date(now or utcnow()), time(0), tzinfo=CHINA)
    return midnight.astimezone(UTC).replace(tzinfo=None)


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


def _subscriptions(target: SubscriptionTarget, segments: set[str], latest: datetime) -> list[Subscription]:
    """Subscriptions to any of these segments made before ``latest``, in id order: one query for a batch."""
    if not segments:
        return []
    ids = select(SubscriptionSegment.subscription_id).where(SubscriptionSegment.segment_code.in_(sorted(segments)))
    return list(db.session.scalars(
        select(Subscription).where(Subscription.id.in_(ids), Subscription.target == target,
                                   Subscription.created_at <= latest)
        .options(selectinload(Subscription.segment_links)).order_by(Subscription.id)))


def _subscribers(subscriptions: Sequence[Subscription], segments: list[str], published_at: datetime,
                 publisher: int, passes: Callable[[Subscription], bool]) -> dict[int, Subscription]:
    """Organisation id → its first subscription to one of ``segments`` made before the publication (old stock
    never floods in) that the publication passes; never the publisher itself."""
    codes = set(segments)
    chosen: dict[int, Subscription] = {}
    for subscription in subscriptions:
        if (subscription.organisation_id == publisher or subscription.organisation_id in chosen
                or subscription.created_at > published_at or not codes & set(subscription.segments)):
            continue
        if passes(subscription):
            chosen[subscription.organisation_id] = subscription
    return chosen


# --- delivery ---------------------------------------------------------------------------------

def reasons_lines(explanation: dict) -> list[Line]:
    """The explanation as the body of the push (one line per reason), shown in the reader's language."""
    lines: list[Line] = []
    if explanation.get("shared_segments"):
        lines.append(message(N_("产业领域一致：%(names)s"), names=segments(explanation["shared_segments"])))
    if explanation.get("matched_terms"):
        lines.append(message(N_("共同关键词：%(terms)s"), terms=listing(explanation["matched_terms"][:8])))
    if explanation.get("shared_ipc"):
        lines.append(message(N_("IPC 一致：%(codes)s"), codes=listing(explanation["shared_ipc"])))
    lines.extend(bilingual(f["label_zh"], f.get("label_en") or f["label_zh"])
                 for f in explanation.get("factors", [])
                 if f.get("contribution", 0) > 0 and f.get("code") not in ("segment_match",))
    return lines


def push_patents(patent_ids: Iterable[int]) -> PushOutcome:
    """Push published patents to subscribed companies whose open needs (private ones too) they fit.

    The engine ranks open needs for the whole batch; ``SearchUnavailable``
    propagates so the job is retried.
    """
    ids = sorted(set(patent_ids))
    if not ids:
        return PushOutcome()
    locked = set(db.session.scalars(select(Patent.id).where(Patent.id.in_(ids)).order_by(Patent.id)
                                    .with_for_update()))  # one push run per patent at a time
    patents = {p.id: p for p in load_patents(locked) if p.is_published and p.published_at is not None}
    documents = [d for d in patent_documents(list(patents.values())) if d.matchable]
    if not documents:
        return PushOutcome()
    subscriptions = _subscriptions(SubscriptionTarget.PATENTS, {c for d in documents for c in d.segments},
                                   max(patents[d.id].published_at for d in documents))
    publications: list[Publication] = []
    for document in documents:
        patent = patents[document.id]
        subscribers = _subscribers(subscriptions, document.segments, patent.published_at, patent.owner_id,
                                   partial(patent_passes, patent=document))
        if subscribers:
            publications.append(Publication("patent", patent.id, patent.title,
                                            message(N_("新专利匹配您的需求：%(title)s"), title=patent.title),
                                            subscribers))
    if not publications:
        return PushOutcome()
    threshold = min_score()
    reach = {p.id: p.subscriptions.keys() for p in publications}
    ranked = ranking.needs_for_patents([d for d in documents if d.id in reach], CANDIDATES, reach)
    for publication in publications:
        publication.candidates = [
            Candidate(m.need.org_id, publication.id, m.need.id, m.score, m.explanation.to_dict())
            for m in ranked.get(publication.id, [])
            if m.need.org_id in publication.subscriptions and m.score >= threshold and m.need.status == "open"]
    outcome = deliver(publications, daily_cap(), local_day_start(), reasons_lines)
    db.session.flush()
    return outcome


def push_needs(need_ids: Iterable[int]) -> PushOutcome:
    """Push posted or reopened public needs to subscribed universities and institutes with a fitting patent."""
    ids = sorted(set(need_ids))
    if not ids:
        return PushOutcome()
    locked = set(db.session.scalars(select(Need.id).where(Need.id.in_(ids)).order_by(Need.id).with_for_update()))
    needs = {n.id: n for n in load_needs(locked) if n.is_listed}  # private needs never reach the supply side
    if not needs:
        return PushOutcome()
    documents = [need_document(n) for n in needs.values()]
    subscriptions = _subscriptions(SubscriptionTarget.NEEDS, {c for d in documents for c in d.segments},
                                   max(n.updated_at for n in needs.values()))
    publications: list[Publication] = []
    for document in documents:
        need = needs[document.id]
        subscribers = _subscribers(subscriptions, document.segments, need.updated_at, need.organisation_id,
                                   partial(need_passes, need=document))
        if subscribers:
            publications.append(Publication("need", need.id, need.title,
                                            message(N_("新技术需求匹配您的专利：%(title)s"), title=need.title),
                                            subscribers))
    if not publications:
        return PushOutcome()
    threshold = min_score()
    ranked = ranking.patents_for_needs([d for d in documents if d.id in {p.id for p in publications}], CANDIDATES)
    for publication in publications:
        subscribers = publication.subscriptions
        publication.candidates = [
            Candidate(m.patent.owner_id, m.patent.id, publication.id, m.score, m.explanation.to_dict())
            for m in ranked.get(publication.id, [])
            if m.patent.owner_id in subscribers and m.score >= threshold
            and patent_qualifies(subscribers[m.patent.owner_id], m.patent)]
    outcome = deliver(publications, daily_cap(), local_day_start(), reasons_lines)
    db.session.flush()
    return outcome


def push_patent(patent_id: int) -> PushOutcome:
    """``push_patents`` for one patent."""
    return push_patents([patent_id])


def push_need(need_id: int) -> PushOutcome:
    """``push_needs`` for one need."""
    return push_needs([need_id])
