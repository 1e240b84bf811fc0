"""Keeping ``price_points`` equal to the ledger, and reading the recent comparables from it.

Whatever changes a comparable — a deal (its status, amount, dates, mode,
parties, patents), an open license obtained, a patent's segments, IPC
class, type or maturity — is noted from session hooks in the same transaction and recorded
in the outbox (``priced_deal``, ``priced_license``, ``priced_patent``): the
ledger's services need not know pricing exists. The ``price-points``
consumer then rewrites the rows of those deals and licenses from the ledger
(never by deltas). ``rebuild`` rewrites every row (``flask pricing
rebuild-points``, after bulk SQL that bypassed the session).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from flask import Flask
from sqlalchemy import ColumnElement, CompoundSelect, Integer, Select, String, case, cast, delete, event, func, insert, inspect, \
    literal, null, select, union_all
from sqlalchemy.orm import Session, aliased

from marketplace.core import outbox
from marketplace.core.models import OutboxEvent
from marketplace.deals.models import Deal, DealMode, DealPatent
from marketplace.deals.records import BINDING
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant
from marketplace.patents.models import Patent, PatentSegment
from marketplace.patents.vocab import TransformationMode
from marketplace.pricing import stats
from marketplace.pricing.models import PricePoint

CONSUMER = "price-points"
DEAL, LICENSE, PATENT = "priced_deal", "priced_license", "priced_patent"
_NOTED = "price_points_noted"
_CHUNK = 500  # ids per statement (SQLite allows 999 bound parameters)
_PATENT_TRAITS = ("patent_type", "ipc_main", "maturity")  # with its segments: what a price point copies
_NO_ID = cast(null(), Integer)  # typed, so PostgreSQL unites and inserts it as an id
# The deal modes priced, and as what: an auction is a transfer by auction, its hammer price a transfer price;
# an entrusted operation is no sale and prices nothing.
PRICED_AS = {DealMode.TRANSFER: TransformationMode.TRANSFER, DealMode.AUCTION: TransformationMode.TRANSFER,
             DealMode.LICENSE: TransformationMode.LICENSE, DealMode.EQUITY: TransformationMode.EQUITY}


class Candidate(NamedTuple):
    """One price point as pricing help ranks it (its patent's traits as ``stats`` compares them)."""

    deal_id: int | None
    license_id: int | None
    patent_id: int
    amount: Decimal
    parts: int
    concluded_on: date
    seller_id: int
    buyer_id: int
    agency_id: int | None
    traits: stats.Traits


def register(app: Flask) -> None:
    """Attach the session hooks and the outbox consumer (``create_app``)."""
    outbox.register_consumer(CONSUMER, {DEAL, LICENSE, PATENT}, handle_events, app=app)
    for name, handler in (("after_flush", _note), ("before_commit", _record), ("after_rollback", _forget)):
        if not event.contains(db.session, name, handler):
            event.listen(db.session, name, handler)


def _values(obj: Any, attribute: str) -> set[int]:
    """The attribute's values before and after this flush (a moved row concerns both)."""
    history = inspect(obj).attrs[attribute].history
    return {value for value in (*history.added, *history.unchanged, *history.deleted) if value is not None}


def _note(session: Session, _flush_context: Any) -> None:
    """Note the deals, licenses and patents this flush touched in a way pricing help reads."""
    noted: dict[str, set[int]] = session.info.setdefault(_NOTED, {DEAL: set(), LICENSE: set(), PATENT: set()})
    for obj in [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]:
        if isinstance(obj, Deal):
            noted[DEAL].add(obj.id)
        elif isinstance(obj, DealPatent):
            noted[DEAL].update(_values(obj, "deal_id"))
        elif isinstance(obj, LicenseGrant):
            noted[LICENSE].add(obj.id)
        elif isinstance(obj, PatentSegment):
            noted[PATENT].update(_values(obj, "patent_id"))
        elif isinstance(obj, Patent) and any(inspect(obj).attrs[name].history.has_changes()
                                             for name in _PATENT_TRAITS):
            noted[PATENT].add(obj.id)


def _record(session: Session) -> None:
    session.flush()
    for entity_type, ids in session.info.pop(_NOTED, {}).items():
        if ids:
            outbox.record_changes(entity_type, sorted(ids))


def _forget(session: Session) -> None:
    session.info.pop(_NOTED, None)


def handle_events(events: list[OutboxEvent]) -> None:
    """Consumer: rewrite the price points of the deals and licenses changed (or whose patents changed)."""
    ids: dict[str, set[int]] = {DEAL: set(), LICENSE: set(), PATENT: set()}
    for change in events:
        ids[change.entity_type].add(change.entity_id)
    deals, licenses = ids[DEAL], ids[LICENSE]
    for chunk in _chunks(ids[PATENT]):
        deals.update(db.session.scalars(select(DealPatent.deal_id).where(DealPatent.patent_id.in_(chunk))))
        licenses.update(db.session.scalars(select(LicenseGrant.id).where(LicenseGrant.patent_id.in_(chunk))))
    refresh(deals, licenses)


def refresh(deal_ids: Iterable[int], license_ids: Iterable[int]) -> None:
    """Rewrite the price points of these deals and licenses from the ledger (none when no longer priced)."""
    for chunk in _chunks(deal_ids):
        db.session.execute(delete(PricePoint).where(PricePoint.deal_id.in_(chunk)))
        _insert(_deal_points(Deal.id.in_(chunk)))
    for chunk in _chunks(license_ids):
        db.session.execute(delete(PricePoint).where(PricePoint.license_id.in_(chunk)))
        _insert(_license_points(LicenseGrant.id.in_(chunk)))


def rebuild() -> int:
    """Rewrite every price point from the ledger; returns how many there are."""
    db.session.execute(delete(PricePoint))
    _insert(_deal_points(None))
    _insert(_license_points(None))
    return db.session.scalar(select(func.count()).select_from(PricePoint)) or 0


_COLUMNS = ("mode", "concluded_on", "amount", "parts", "patent_id", "deal_id", "license_id", "seller_id",
            "buyer_id", "agency_id", *_PATENT_TRAITS, "segments", "technology")  # ``_keyed`` adds the key last


def _insert(points: CompoundSelect) -> None:
    db.session.execute(insert(PricePoint).from_select(list(_COLUMNS), points))


def _keyed(stmt: Select[Any], patent_id: Any) -> CompoundSelect:
    """``stmt`` with its patent's traits, once per technology key of the patent: each segment, and the IPC
    subclass."""
    codes = aliased(PatentSegment)
    segments = func.coalesce(select(func.aggregate_strings(codes.segment_code, ","))
                             .where(codes.patent_id == Patent.id).correlate(Patent).scalar_subquery(), "")
    stmt = stmt.add_columns(*(getattr(Patent, name) for name in _PATENT_TRAITS), segments) \
        .join(Patent, Patent.id == patent_id)
    by_segment = (stmt.add_columns(literal("seg:", String) + PatentSegment.segment_code)
                  .join(PatentSegment, PatentSegment.patent_id == Patent.id))
    by_ipc = (stmt.add_columns(literal("ipc:", String) + func.substr(Patent.ipc_main, 1, 4))
              .where(func.length(Patent.ipc_main) >= 4))
    return union_all(by_segment, by_ipc)


def _deal_points(where: ColumnElement[bool] | None) -> CompoundSelect:
    """The price points of concluded priced deals (binding, an amount, a date) of the modes pricing knows."""
    concluded = func.coalesce(Deal.contract_date, Deal.recorded_on)
    parts = select(func.count()).where(DealPatent.deal_id == Deal.id).correlate(Deal).scalar_subquery()
    mode = case(*((Deal.mode == deal_mode, priced.value) for deal_mode, priced in PRICED_AS.items()))
    columns: list[Any] = [mode, concluded, Deal.amount, parts, DealPatent.patent_id, Deal.id, _NO_ID,
                          Deal.seller_id, Deal.buyer_id, Deal.agency_id]
    stmt = (select(*columns).join(DealPatent, DealPatent.deal_id == Deal.id)
            .where(Deal.mode.in_(PRICED_AS), Deal.status.in_(BINDING), Deal.amount > 0, concluded.is_not(None)))
    return _keyed(stmt if where is None else stmt.where(where), DealPatent.patent_id)


def _license_points(where: ColumnElement[bool] | None) -> CompoundSelect:
    """The price points of open licenses in effect for a lump sum (their fixed fee; one patent each)."""
    columns: list[Any] = [literal(TransformationMode.OPEN_LICENSE.value), LicenseGrant.effective_on,
                          LicenseGrant.fixed_fee, literal(1), LicenseGrant.patent_id, _NO_ID, LicenseGrant.id,
                          LicenseGrant.licensor_id, LicenseGrant.licensee_id, _NO_ID]
    stmt = select(*columns).where(LicenseGrant.effective_on.is_not(None), LicenseGrant.fee_type == "fixed",
                                  LicenseGrant.fixed_fee > 0)
    return _keyed(stmt if where is None else stmt.where(where), LicenseGrant.patent_id)


def keys_of(traits: stats.Traits) -> list[str]:
    """The technology keys a patent's comparables are found under: its segments and its IPC subclass."""
    subclass = stats.ipc_subclass(traits.ipc_main)
    return [f"seg:{code}" for code in sorted(traits.segments)] + ([f"ipc:{subclass}"] if subclass else [])


def recent(mode: TransformationMode, keys: Sequence[str], limit: int) -> list[Candidate]:
    """The ``limit`` most recent (deal or license, patent) price points of ``mode`` under any of ``keys``.

    One index range per key (``ix_price_points_recent``), merged here:
    the overall most recent rows are among each key's most recent ``limit``.
    """
    per_key = [select(PricePoint.deal_id, PricePoint.license_id, PricePoint.patent_id, PricePoint.amount,
                      PricePoint.parts, PricePoint.concluded_on, PricePoint.seller_id, PricePoint.buyer_id,
                      PricePoint.agency_id, *(getattr(PricePoint, name) for name in _PATENT_TRAITS),
                      PricePoint.segments)
               .where(PricePoint.mode == mode.value, PricePoint.technology == key)
               .order_by(PricePoint.concluded_on.desc(), PricePoint.deal_id.desc(), PricePoint.license_id.desc())
               .limit(limit).subquery().select() for key in keys]
    if not per_key:
        return []
    rows = db.session.execute(union_all(*per_key)).all()
    latest = {row[:3]: row for row in rows}  # one per (deal, license, patent), whichever keys found it
    kept = sorted(latest.values(), key=lambda row: (row[5], row[0] or row[1] or 0), reverse=True)[:limit]
    return [Candidate(deal_id, license_id, patent_id, amount, parts, concluded_on, seller_id, buyer_id, agency_id,
                      stats.Traits(patent_type, frozenset(filter(None, segments.split(","))), ipc_main, maturity))
            for (deal_id, license_id, patent_id, amount, parts, concluded_on, seller_id, buyer_id, agency_id,
                 patent_type, ipc_main, maturity, segments) in kept]


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]
