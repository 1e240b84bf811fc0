"""The engine's ranking for a batch of publications, in one call per batch.

The push decides for many publications at once (``decide``); this module asks
the search engine for all of them. ``SearchBackend`` ranks one document per
call (``match_needs`` / ``match_patents``), so a backend offering a batch
form (``match_needs_many(patents, limit)`` / ``match_patents_many(needs,
limit)``, returning document id → matches) is used when present, and the
single-document calls otherwise: the results are the same either way, so the
explanations and scores a push carries are exactly those of the match pages.
``SearchUnavailable`` propagates, so the push job is retried.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from marketplace.search.backend import search_backend
from matching.documents import NeedDoc, PatentDoc
from matching.results import NeedMatch, PatentMatch


def needs_for_patents(patents: Sequence[PatentDoc], limit: int,
                      orgs: Mapping[int, Collection[int]] | None = None) -> dict[int, list[NeedMatch]]:
    """Best open needs (public or private) for each patent, best first: patent id → matches.

    ``orgs`` (patent id → organisation ids): only those organisations' needs
    are scored for that patent, the subscribers a push can reach; scoring
    the other candidates was most of a push job's time.
    """
    if not patents:
        return {}
    backend = search_backend()
    batch = getattr(backend, "match_needs_many", None)
    if batch is not None and orgs is None:
        return dict(batch(list(patents), limit=limit))
    return {patent.id: backend.match_needs(patent, limit=limit, orgs=None if orgs is None else orgs[patent.id])
            for patent in patents}


def patents_for_needs(needs: Sequence[NeedDoc], limit: int) -> dict[int, list[PatentMatch]]:
    """Best matchable patents for each need, best first: need id → matches."""
    if not needs:
        return {}
    backend = search_backend()
    batch = getattr(backend, "match_patents_many", None)
    if batch is not None:
        return dict(batch(list(needs), limit=limit))
    return {need.id: backend.match_patents(need, limit=limit) for need in needs}
