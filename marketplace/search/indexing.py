"""The outbox consumer that keeps the search indices equal to the database.

Registered for patents, needs and open-license declarations (a declaration's
change re-indexes its patent, whose document says whether it is openly
licensed); each batch re-reads the rows (the outbox
only says *which* changed), computes the vectors of new or changed texts
(stored in ``search_vectors``; about a millisecond each with the static
table, so a published patent is searchable by words and by meaning as soon
as the batch is indexed) and their analysed token fields (``search_analyses``,
re-sent by the next rebuild), indexes what should be listed and deletes the
rest. ``SearchUnavailable`` propagates so the outbox keeps the rows pending.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from marketplace.core import transaction
from marketplace.core.models import OutboxEvent
from marketplace.core.outbox import register_consumer
from marketplace.core.slots import Slot
from marketplace.core.sqlite import write_intent
from marketplace.extensions import db
from marketplace.search.backend import search_backend
from marketplace.search.documents import (
    iter_need_documents, iter_patent_documents, keep_analyses, load_needs, load_patents, needs_to_index,
    patents_to_index,
)
from matching.documents import Analysis
from matching.results import RebuildReport

CONSUMER = "search"
# The patents of these open-license declarations: open licenses (above search) provide it in create_app.
DECLARED_PATENTS: Slot[Callable[[set[int]], set[int]]] = Slot("patents_of_declarations")


def index_changes(events: list[OutboxEvent]) -> None:
    """Index or delete the changed patents and needs, then make them visible to searches."""
    backend = search_backend()
    patent_ids = {e.entity_id for e in events if e.entity_type == "patent"}
    declaration_ids = {e.entity_id for e in events if e.entity_type == "open_license"}
    if declaration_ids:  # a declaration published, accepted or ended: its patent's "open license" flag
        patent_ids |= DECLARED_PATENTS()(declaration_ids)
    need_ids = {e.entity_id for e in events if e.entity_type == "need"}
    if patent_ids:
        documents = patents_to_index(load_patents(patent_ids))
        backend.index_patents(documents, keep=keep_analyses)
        for patent_id in patent_ids - {d.id for d in documents}:
            backend.delete_patent(patent_id)
    if need_ids:
        needs = load_needs(need_ids)
        backend.index_needs(needs_to_index(needs), keep=keep_analyses)
        for need_id in need_ids - {n.id for n in needs}:
            backend.delete_need(need_id)
    backend.refresh()  # read-your-writes: whoever just published searches next


def rebuild_indices(progress: Callable[[int], None] | None = None) -> tuple[RebuildReport, int]:
    """Rebuild from the database, then re-apply every change recorded since the rebuild began.

    Writes that land while the new indices load go to the old ones and would
    vanish at the alias swap; replaying them (processed or not) closes that gap.
    Vectors and analyses the rebuild had to make (documents with none stored,
    or a changed analyzer) are kept for the next one and committed batch by
    batch: they are caches, right whatever becomes of the rebuild, and one
    transaction for all of them held SQLite's write lock, so every other
    writer of a ``make run`` install waited for the whole of a first rebuild
    (a minute or more at 100,000 patents). Each transaction begins as a writer on SQLite
    (``core.sqlite``): one that read a batch and then wrote failed at once
    when another writer had committed in between, ending the rebuild.
    ``progress`` is told how many patent and need rows the backend has taken, batch by batch (of
    ``rows_to_read()``); the new indices' refresh and merge follow the last.
    """
    with write_intent(True):  # SQLite: its transactions read, then write; each must begin as a writer
        mark = db.session.scalar(select(func.max(OutboxEvent.id)).where(OutboxEvent.consumer == CONSUMER)) or 0
        report = search_backend().rebuild(iter_patent_documents(progress=progress),
                                          iter_need_documents(progress=progress), keep=_keep_analyses_committed)
        db.session.expire_all()
        since = list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.consumer == CONSUMER,
                                                                  OutboxEvent.id > mark).order_by(OutboxEvent.id)))
        if since:
            index_changes(since)
    return report, len(since)


def _keep_analyses_committed(kind: str, made: list[tuple[int, Analysis]]) -> None:
    keep_analyses(kind, made)
    transaction.commit()


def register(app: Flask) -> None:
    """The first consumer of the pipeline (pushes run after it); ``create_app``."""
    register_consumer(CONSUMER, {"patent", "need", "open_license"}, index_changes, app=app)
