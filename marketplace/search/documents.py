"""Adapters from database rows to the search engine's plain documents."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TypeVar

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from marketplace.core import transaction
from marketplace.core.slots import Slot
from marketplace.core.models import upsert_insert
from marketplace.extensions import db
from marketplace.needs.models import Need
from marketplace.patents.models import Patent, PatentSegment
from marketplace.search.backend import search_backend
from marketplace.search.models import SearchAnalysis, SearchVector
from matching.documents import Analysis, NeedDoc, PatentDoc
from matching.fields import analysis_inputs
from matching.semantic import from_bytes, need_text_for_vector, pack, patent_text_for_vector, to_bytes

Doc = TypeVar("Doc", PatentDoc, NeedDoc)
# Of these patents, those with a published open-license declaration: open licenses (above search) provide it.
OPEN_LICENSED: Slot[Callable[[list[int]], set[int]]] = Slot("open_licensed_patents")


def _segment_fields(codes: list[str]) -> tuple[list[str], list[str]]:
    """Codes with their ancestors, minus the taxonomy families (roots), which every document shares."""
    taxonomy = current_app.extensions["taxonomy"]
    expanded = [code for code in taxonomy.with_ancestors([c for c in codes if c in taxonomy])
                if taxonomy.get(code).parent is not None]
    return expanded, [taxonomy.get(code).name for code in expanded]


def open_license_patent_ids(patent_ids: Iterable[int]) -> set[int]:
    """Patents with a published open-license declaration in force."""
    ids = list(patent_ids)
    if not ids:
        return set()
    return OPEN_LICENSED()(ids)


def patent_document(patent: Patent, open_license: bool, segment_codes: list[str]) -> PatentDoc:
    segments, names = _segment_fields(segment_codes)
    return PatentDoc(
        id=patent.id, application_number=patent.application_number, title=patent.title,
        abstract=patent.abstract or "", first_claim=patent.first_claim or "", ipc_codes=list(patent.ipc_codes or []),
        ipc_main=patent.ipc_main, owner_id=patent.owner_id, owner_name=patent.owner.name,
        patent_type=patent.patent_type.value, legal_status=patent.legal_status.value, grade=patent.grade,
        tags=list(patent.tags or []), segments=segments, segment_names=names, modes=list(patent.modes or []),
        maturity=patent.maturity.value if patent.maturity else None, open_license=open_license,
        published=patent.is_published, application_date=patent.application_date,
        price_min=patent.price_min, price_max=patent.price_max,
        publication_numbers=list(patent.publication_numbers or []))


def need_document(need: Need) -> NeedDoc:
    segments, names = _segment_fields(need.segments)
    return NeedDoc(
        id=need.id, org_id=need.organisation_id, org_name=need.organisation.name, title=need.title,
        description=need.description or "", keywords=list(need.keywords or []), segments=segments,
        segment_names=names, modes=list(need.modes or []), budget_min=need.budget_min, budget_max=need.budget_max,
        status=need.status.value, public=need.public, valid_until=need.valid_until)


def _patents() -> Select[Patent]:
    return select(Patent).options(selectinload(Patent.owner)).order_by(Patent.id)


def _needs() -> Select[Need]:
    return select(Need).options(selectinload(Need.organisation), selectinload(Need.segment_links)).order_by(Need.id)


def load_patents(ids: Iterable[int]) -> list[Patent]:
    return list(db.session.scalars(_patents().where(Patent.id.in_(list(ids)))))


def load_needs(ids: Iterable[int]) -> list[Need]:
    return list(db.session.scalars(_needs().where(Need.id.in_(list(ids)))))


def _segment_codes(patent_ids: list[int]) -> dict[int, list[str]]:
    """Each patent's segment codes, read as plain rows: a rebuild's 100,000 patents made about as many link
    objects, 4 of the 11 s of CPU that reading them took."""
    codes: dict[int, list[str]] = {}
    for patent_id, code in db.session.execute(select(PatentSegment.patent_id, PatentSegment.segment_code).where(
            PatentSegment.patent_id.in_(patent_ids)).order_by(PatentSegment.patent_id, PatentSegment.segment_code)):
        codes.setdefault(patent_id, []).append(code)
    return codes


def patent_documents(patents: list[Patent]) -> list[PatentDoc]:
    """Documents for the patents that belong in the index (published ones), with their vectors."""
    listed = [p for p in patents if p.is_published]
    if not listed:
        return []
    licensed = open_license_patent_ids(p.id for p in listed)
    codes = _segment_codes([p.id for p in listed])
    return with_vectors([patent_document(p, p.id in licensed, codes.get(p.id, [])) for p in listed])


def _vector_text(doc: PatentDoc | NeedDoc) -> str:
    if isinstance(doc, PatentDoc):
        return patent_text_for_vector(doc.title, doc.abstract, doc.first_claim)
    return need_text_for_vector(doc.title, doc.description, doc.keywords)


def _kind(doc: PatentDoc | NeedDoc) -> str:
    """The ``entity_type`` of a document's stored vector and analysis (and of ``keep_analyses``)."""
    return "patent" if isinstance(doc, PatentDoc) else "need"


def with_vectors(docs: Sequence[Doc]) -> list[Doc]:
    """The documents with their stored vectors; missing or outdated ones are computed and stored.

    A vector is reused while its model and text are unchanged, so a rebuild
    recomputes nothing; the caller's unit of work commits new rows.
    """
    if not docs:
        return []
    backend = search_backend()
    model = backend.embedder.name
    kind = _kind(docs[0])
    stored = {row.entity_id: row for row in db.session.execute(
        select(SearchVector.entity_id, SearchVector.model, SearchVector.text_hash, SearchVector.vector).where(
            SearchVector.entity_type == kind, SearchVector.entity_id.in_([d.id for d in docs])))}
    out = []
    new: list[dict[str, object]] = []
    for doc in docs:
        text = _vector_text(doc)
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
        row = stored.get(doc.id)
        if row is not None and row.model == model and row.text_hash == digest:
            vector = from_bytes(row.vector)
        else:
            vector = backend.embedder.embed(text)
            new.append({"entity_type": kind, "entity_id": doc.id, "model": model, "text_hash": digest,
                        "vector": to_bytes(vector)})
        out.append(replace(doc, vector=pack(vector), vector_model=model))
    if new:  # an upsert: the search and push drains may index the same new document at once
        statement = upsert_insert(SearchVector.__table__)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["entity_type", "entity_id"],
            set_={"model": statement.excluded.model, "text_hash": statement.excluded.text_hash,
                  "vector": statement.excluded.vector}), new)
    return out


def with_stored_analyses(docs: Sequence[Doc]) -> list[Doc]:
    """The documents with their stored analyses, where still current.

    An analysis is current while the analyzer's fingerprint and the analysed
    text are unchanged: a rebuild re-sends stored token fields instead of
    analysing again (the analysis was half of a rebuild's CPU); documents
    without one are analysed by the backend (in worker processes for a bulk
    load) and handed to ``keep_analyses``.
    """
    if not docs:
        return []
    fingerprint = search_backend().analyzer.fingerprint
    stored = {row.entity_id: row for row in db.session.execute(
        select(SearchAnalysis.entity_id, SearchAnalysis.analyzer, SearchAnalysis.text_hash, SearchAnalysis.tokens).where(
            SearchAnalysis.entity_type == _kind(docs[0]), SearchAnalysis.entity_id.in_([d.id for d in docs])))}
    out = []
    for doc in docs:
        row = stored.get(doc.id)
        current = row is not None and row.analyzer == fingerprint and row.text_hash == analysis_inputs(doc)
        out.append(replace(doc, analysis=Analysis(row.analyzer, row.text_hash, row.tokens)) if current else doc)
    return out


def keep_analyses(kind: str, made: list[tuple[int, Analysis]]) -> None:
    """Store (insert or replace) analyses made for these documents; the caller's unit of work commits."""
    statement = upsert_insert(SearchAnalysis.__table__)  # an upsert: two drains may index a document at once
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["entity_type", "entity_id"],
        set_={"analyzer": statement.excluded.analyzer, "text_hash": statement.excluded.text_hash,
              "tokens": statement.excluded.tokens}),
        [{"entity_type": kind, "entity_id": i, "analyzer": a.by, "text_hash": a.inputs, "tokens": a.packed}
         for i, a in made])


def patents_to_index(patents: list[Patent]) -> list[PatentDoc]:
    """The documents of the patents that belong in the index, with their vectors and current stored analyses (the
    backend analyses the others and hands them to ``keep_analyses``)."""
    return with_stored_analyses(patent_documents(patents))


def needs_to_index(needs: list[Need]) -> list[NeedDoc]:
    return with_stored_analyses(with_vectors([need_document(n) for n in needs]))


def rows_to_read() -> int:
    """The patent and need rows a rebuild reads: the length of its progress."""
    return sum(db.session.scalar(select(func.count()).select_from(model)) or 0 for model in (Patent, Need))


Row = TypeVar("Row", Patent, Need)


def _documents_in_batches(query: Select[Row], key: InstrumentedAttribute[int], to_index: Callable[[list[Row]], list[Doc]],
                          batch_size: int, progress: Callable[[int], None] | None) -> Iterator[Doc]:
    """The documents of ``query``'s rows, read ``batch_size`` at a time in ``key`` order for a rebuild; each batch's
    new vectors are committed with it (``rebuild_indices``) and ``progress`` is told its rows once its documents
    were taken."""
    last_id = 0
    while rows := list(db.session.scalars(query.where(key > last_id).limit(batch_size))):
        last_id = rows[-1].id
        documents = to_index(rows)
        transaction.commit()
        yield from documents
        if progress is not None:
            progress(len(rows))
        db.session.expunge_all()
    transaction.commit()  # the last, empty read's transaction: on SQLite a writer's, which would hold the lock


def iter_patent_documents(batch_size: int = 2000, progress: Callable[[int], None] | None = None) -> Iterator[PatentDoc]:
    """Every indexable patent, streamed in id order for a rebuild."""
    return _documents_in_batches(_patents(), Patent.id, patents_to_index, batch_size, progress)


def iter_need_documents(batch_size: int = 2000, progress: Callable[[int], None] | None = None) -> Iterator[NeedDoc]:
    """Every need, streamed in id order for a rebuild."""
    return _documents_in_batches(_needs(), Need.id, needs_to_index, batch_size, progress)
