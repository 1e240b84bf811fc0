"""The writes of a push decision, set-based: a batch of publications costs a handful of statements.

``decide`` works out, for each publication of a batch, its subscribers (one
subscription per organisation) and the pairs the engine ranks at or above the
push threshold; ``deliver`` then

- stores the pairs: one SELECT of the existing rows, one multi-row INSERT of
  the new ones (a pair a match page stored meanwhile is kept, not duplicated);
  a dismissed pair is left out;
- applies the daily cap: the organisations about to receive pushes are locked
  (``FOR NO KEY UPDATE``, in id order, so two workers never deadlock and never
  both slip past the cap) and their pushes of today counted in one query;
- adds the inbox entries in one INSERT (``notify_many``), e-mailing those who
  want them at once;
- coalesces digest entries: one per organisation and publication, written as
  an upsert, so a publication decided again before the digest leaves updates
  its pending entry (title, subscription) instead of adding another, and one
  already sent is never repeated.

Idempotent: a pair already pushed, or dismissed, is never pushed again and the
inbox entries carry a unique key, so a retried or replayed batch changes nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from marketplace.accounts.models import Organisation
from marketplace.core.models import upsert_insert, utcnow
from marketplace.extensions import db
from marketplace.push.messages import Message
from marketplace.push.models import DigestEntry, Notification, NotificationKind, Subscription
from marketplace.push.notify import Notice, notify_many
from marketplace.search.models import Match, MatchStatus

CHUNK = 500  # ids per IN (…) list


@dataclass(frozen=True)
class Candidate:
    """A pair the engine ranks at or above the push threshold, for a subscribed organisation."""

    organisation_id: int
    patent_id: int
    need_id: int
    score: float
    explanation: dict[str, Any]


@dataclass
class Publication:
    """One published patent or need of a batch and what the decision found for it."""

    entity_type: str  # patent | need
    id: int
    title: str
    push_title: Message  # the inbox title of its pushes (push.messages)
    subscriptions: dict[int, Subscription]  # organisation id → its (first) subscription that the publication passes
    candidates: list[Candidate] = field(default_factory=list)  # best first


@dataclass
class PushOutcome:
    """What a batch caused, for logs and tests."""

    pushed: list[int] = field(default_factory=list)  # match ids
    digested: list[int] = field(default_factory=list)  # organisation ids given a new digest entry
    capped: list[int] = field(default_factory=list)  # match ids held back by the daily cap


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[start:start + CHUNK] for start in range(0, len(values), CHUNK)]


def _pairs(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], Match]:
    """The stored matches among these (patent id, need id) pairs."""
    patent_ids = sorted({patent_id for patent_id, _ in pairs})
    need_ids = sorted({need_id for _, need_id in pairs})
    found: dict[tuple[int, int], Match] = {}
    for patents in _chunks(patent_ids):
        for needs in _chunks(need_ids):
            for match in db.session.scalars(select(Match).where(Match.patent_id.in_(patents),
                                                                Match.need_id.in_(needs))):
                if (match.patent_id, match.need_id) in pairs:
                    found[(match.patent_id, match.need_id)] = match
    return found


def store_pairs(candidates: Sequence[Candidate]) -> dict[tuple[int, int], Match]:
    """Store the candidate pairs; returns (patent id, need id) → match, dismissed pairs left out.

    Only pairs worth pushing are stored (the match pages store what they
    show); an existing row keeps its funnel status and gets the fresh ranking.
    """
    best: dict[tuple[int, int], Candidate] = {}
    for candidate in candidates:
        best.setdefault((candidate.patent_id, candidate.need_id), candidate)
    if not best:
        return {}
    existing = _pairs(set(best))
    now = utcnow()
    rows = [{"need_id": need_id, "patent_id": patent_id, "score": c.score, "reasons": c.explanation,
             "source": "push", "status": MatchStatus.SUGGESTED, "created_at": now, "updated_at": now}
            for (patent_id, need_id), c in best.items() if (patent_id, need_id) not in existing]
    if rows:  # a match page may store the same pair meanwhile: keep its row
        statement = upsert_insert(Match.__table__).on_conflict_do_nothing(index_elements=["need_id", "patent_id"])
        for chunk in _chunks(rows):
            db.session.execute(statement, list(chunk))
        existing.update(_pairs({key for key in best if key not in existing}))
    stored: dict[tuple[int, int], Match] = {}
    for key, match in existing.items():
        if match.status == MatchStatus.DISMISSED:
            continue
        match.score, match.reasons = best[key].score, best[key].explanation
        stored[key] = match
    return stored


def fresh(match: Match) -> bool:
    """Never the same pair twice: only a pair nobody pushed or reacted to yet is pushed."""
    return match.pushed_at is None and match.status == MatchStatus.SUGGESTED


def pushed_today(organisation_ids: Sequence[int], since) -> dict[int, int]:
    """Pushes each organisation received since ``since``, after locking the organisations for this transaction."""
    ids = sorted(set(organisation_ids))
    counts: dict[int, int] = {}
    for chunk in _chunks(ids):
        db.session.execute(select(Organisation.id).where(Organisation.id.in_(chunk)).order_by(Organisation.id)
                           .with_for_update(key_share=True))
        counts.update((organisation_id, count) for organisation_id, count in db.session.execute(
            select(Notification.organisation_id, func.count(Notification.id))
            .where(Notification.organisation_id.in_(chunk), Notification.kind == NotificationKind.MATCH_PUSHED,
                   Notification.created_at >= since)
            .group_by(Notification.organisation_id)))
    return counts


def coalesce_digest(rows: list[dict[str, Any]]) -> None:
    """Upsert digest entries on (organisation, entity): a pending entry is updated, a sent one left alone."""
    if not rows:
        return
    table = DigestEntry.__table__
    statement = upsert_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["organisation_id", "entity_type", "entity_id"],
        set_={"title": statement.excluded.title, "subscription_id": statement.excluded.subscription_id},
        where=table.c.sent_at.is_(None))
    for chunk in _chunks(rows):
        db.session.execute(statement, list(chunk))


def _digest_rows(publications: Sequence[Publication], waiting: dict[int, set[int]],
                 outcome: PushOutcome) -> list[dict[str, Any]]:
    """Rows for the organisations waiting on each publication; new ones are counted in ``outcome``."""
    by_type: dict[str, list[int]] = {}
    for publication in publications:
        if waiting.get(publication.id):
            by_type.setdefault(publication.entity_type, []).append(publication.id)
    known: set[tuple[str, int, int]] = set()
    for entity_type, ids in by_type.items():
        for chunk in _chunks(ids):
            known.update((entity_type, entity_id, organisation_id) for entity_id, organisation_id in db.session.execute(
                select(DigestEntry.entity_id, DigestEntry.organisation_id).where(
                    DigestEntry.entity_type == entity_type, DigestEntry.entity_id.in_(chunk))))
    now = utcnow()
    rows = []
    for publication in publications:
        for organisation_id in sorted(waiting.get(publication.id, ())):
            if (publication.entity_type, publication.id, organisation_id) not in known:
                outcome.digested.append(organisation_id)
            rows.append({"organisation_id": organisation_id,
                         "subscription_id": publication.subscriptions[organisation_id].id,
                         "entity_type": publication.entity_type, "entity_id": publication.id,
                         "title": publication.title[:500], "created_at": now})
    return rows


def deliver(publications: Sequence[Publication], cap: int, day_start, reasons) -> PushOutcome:
    """Push the fresh pairs (within the daily cap), the rest of each publication to the digest.

    ``reasons(explanation)`` turns an explanation into the lines of the inbox entry. An
    organisation subscribed to a publication hears of it once: by a push per
    fresh fitting pair, or by a digest entry when none of its needs (patents)
    fits or the cap held some back; one whose fitting pairs were all pushed
    before hears nothing new.
    """
    outcome = PushOutcome()
    stored = store_pairs([c for p in publications for c in p.candidates])
    fitting: dict[int, dict[int, list[Match]]] = {}  # publication id → organisation id → stored pairs, best first
    for publication in publications:
        per_organisation = fitting.setdefault(publication.id, {})
        for candidate in publication.candidates:
            match = stored.get((candidate.patent_id, candidate.need_id))
            if match is not None and match not in per_organisation.get(candidate.organisation_id, []):
                per_organisation.setdefault(candidate.organisation_id, []).append(match)
    receiving = {organisation_id for per_organisation in fitting.values()
                 for organisation_id, matches in per_organisation.items() if any(fresh(m) for m in matches)}
    counts = pushed_today(sorted(receiving), day_start) if receiving else {}
    notices: list[Notice] = []
    waiting: dict[int, set[int]] = {}
    now = utcnow()
    for publication in publications:
        for organisation_id in publication.subscriptions:
            matches = fitting[publication.id].get(organisation_id, [])
            held = False
            for match in (m for m in matches if fresh(m)):
                if counts.get(organisation_id, 0) >= cap:
                    outcome.capped.append(match.id)
                    held = True
                    continue
                counts[organisation_id] = counts.get(organisation_id, 0) + 1
                match.status, match.pushed_at = MatchStatus.PUSHED, now
                notices.append(Notice(
                    organisation_id, NotificationKind.MATCH_PUSHED, f"push:{match.id}", publication.push_title,
                    reasons(match.reasons), match_id=match.id,
                    data={"direction": publication.entity_type, "score": round(match.score, 4),
                          "patent_id": match.patent_id, "need_id": match.need_id, "explanation": match.reasons}))
                outcome.pushed.append(match.id)
            if not matches or held:
                waiting.setdefault(publication.id, set()).add(organisation_id)
    db.session.flush()
    notify_many(notices)
    coalesce_digest(_digest_rows(publications, waiting, outcome))
    return outcome
