"""Segment suggestions for an owner's patents, from their IPC codes through the concordance.

A suggestion is a segment the IPC concordance gives one of the patent's IPC
codes and the patent does not have yet; a patent without IPC gets none (a
segment is never guessed from nothing). Suggestions are worked out when asked
for, never written on their own: the owner accepts them (some patents, or all
the patents a filter finds), which adds the segments, audits the change and
records an outbox row so search and pushes see the new segments.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.core.audit import record_audit
from marketplace.core.errors import ValidationFailed
from marketplace.core.outbox import record_changes
from marketplace.extensions import db
from marketplace.patents import queries
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.services import ensure_can_supply, get_patent_for_owner
from marketplace.segments.concordance import IpcSuggestion, ipc_concordance

BATCH = 500
MAX_PATENT_SEGMENTS = 20


def ipc_codes_of(patent: Patent) -> list[str]:
    """The main IPC code first, then the others, each once."""
    return list(dict.fromkeys(code for code in [patent.ipc_main, *(patent.ipc_codes or [])] if code))


def suggestions_for(patent: Patent) -> list[IpcSuggestion]:
    """Segments the patent's IPC codes map to that it does not carry yet."""
    have = set(patent.segments)
    return [s for s in ipc_concordance().suggest(ipc_codes_of(patent)) if s.segment not in have]


def suggestions_by_patent(patents: Iterable[Patent]) -> dict[int, list[IpcSuggestion]]:
    """For a list page: patent id → pending suggestions (patents without any are left out)."""
    found: dict[int, list[IpcSuggestion]] = {}
    for patent in patents:
        suggestions = suggestions_for(patent)
        if suggestions:
            found[patent.id] = suggestions
    return found


def _organisation_patents(organisation_id: int, filters: queries.PatentFilters) -> Iterator[Patent]:
    """Every patent of the organisation a filter finds, read in batches (inventories run to thousands)."""
    conditions = queries.organisation_conditions(organisation_id, filters)
    last_id = 0
    while True:
        batch = list(db.session.scalars(
            select(Patent).where(*conditions, Patent.id > last_id).order_by(Patent.id).limit(BATCH)
            .options(selectinload(Patent.segment_links))))
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id


def count_with_ipc_without_segments(organisation_id: int) -> int:
    """Patents that have IPC codes and no segment yet: what an import leaves for the owner to accept (one count)."""
    return db.session.scalar(select(func.count(Patent.id)).where(
        Patent.owner_id == organisation_id,
        or_(Patent.ipc_main.is_not(None), cast(Patent.ipc_codes, String) != "[]"),
        ~exists().where(PatentSegment.patent_id == Patent.id))) or 0


@dataclass(frozen=True)
class PendingPage:
    """One page of an organisation's patents that have suggestions."""

    items: list[tuple[Patent, list[IpcSuggestion]]]
    total: int
    page: int
    per_page: int


def pending_suggestions(user: User, filters: queries.PatentFilters | None = None, page: int = 1,
                        per_page: int = 50) -> PendingPage:
    """The caller's organisation's patents with pending suggestions, oldest first."""
    organisation = ensure_can_supply(user)
    pending = [(patent, suggestions) for patent in _organisation_patents(organisation.id, filters or
                                                                         queries.PatentFilters())
               if (suggestions := suggestions_for(patent))]
    start = (page - 1) * per_page
    return PendingPage(pending[start:start + per_page], len(pending), page, per_page)


def suggestions_for_owner(user: User, patent_id: int) -> tuple[Patent, list[IpcSuggestion]]:
    """One of the caller's patents and its pending suggestions (404 for anyone else's)."""
    patent = get_patent_for_owner(user, patent_id)
    return patent, suggestions_for(patent)


@dataclass(frozen=True)
class AcceptOutcome:
    patents: int  # patents that gained segments
    segments: int  # segments added in all


def _accept(user: User, patents: Iterable[Patent]) -> AcceptOutcome:
    changed: list[int] = []
    added = 0
    for patent in patents:
        suggestions = suggestions_for(patent)
        if not suggestions:
            continue
        before = patent.segments
        new = [s.segment for s in suggestions][: max(0, MAX_PATENT_SEGMENTS - len(before))]
        if not new:
            continue
        patent.segment_links = [*patent.segment_links, *(PatentSegment(segment_code=code) for code in new)]
        record_audit("patent.segments_suggested_accepted", "patent", patent.id,
                     {"segments": [before, [*before, *new]],
                      "from": [{"segment": s.segment, "ipc": s.ipc, "rule": s.rule, "basis": s.basis}
                               for s in suggestions if s.segment in new]},
                     actor=user, organisation_id=patent.owner_id)
        changed.append(patent.id)
        added += len(new)
    if changed:
        record_changes("patent", changed)
    db.session.flush()
    return AcceptOutcome(len(changed), added)


def accept_suggestions(user: User, patent_ids: Iterable[int]) -> AcceptOutcome:
    """Accept the suggestions of the given patents of the caller's organisation (a foreign id answers 404)."""
    ensure_can_supply(user)
    ids = list(dict.fromkeys(int(i) for i in patent_ids))
    if not ids:
        raise ValidationFailed.field("patent_ids", _("请先勾选专利"))
    return _accept(user, [get_patent_for_owner(user, patent_id) for patent_id in ids])


def accept_all_suggestions(user: User, filters: queries.PatentFilters | None = None) -> AcceptOutcome:
    """Accept the suggestions of every patent of the organisation the filter finds (all N results)."""
    organisation = ensure_can_supply(user)
    return _accept(user, _organisation_patents(organisation.id, filters or queries.PatentFilters()))
