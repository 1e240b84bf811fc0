"""Keeping the monthly rollup equal to the ledger.

Whatever changes a counted row — a deal, an open license obtained or its
payments, a pledge, their patent links, a patent's segments, an
organisation's region, kind or SME flag — marks the months it touches stale,
in the same transaction, from session hooks: the ledger's services need not
know the console exists. A mark names a month and a partition of the rollup:
the platform's rows and those of the agencies the item counts for (a deal's
or pledge's agency, the agencies an open license's parties authorised), so
a new deal leaves every other agency's rows of its month valid. A change to
what an organisation granted an agency (``agencies`` permission periods)
marks that agency's months of the organisation's open licenses, since they
enter or leave its rows. After the commit a job (``refresh_rollup``, also the
periodic ``console-rollup``) recomputes the marked partitions' months from the
ledger (never by deltas); until it has, reads of that partition take those
months live from the ledger (``stale_months``), so a figure is never older
than the ledger it summarises and a read never writes.
``flask console rebuild-rollup`` recomputes everything, e.g. after bulk SQL.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Integer, String, delete, event, func, insert, inspect, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

from marketplace.accounts.models import Organisation
from marketplace.agencies.models import AgencyPermission, AgencyPermissionPeriod
from marketplace.console.cells import aggregated, aggregated_together, month_end, month_start
from marketplace.console.ledger import Filters, Scope
from marketplace.console.models import PLATFORM, MonthlyRollup, StaleMonth
from marketplace.core import transaction
from marketplace.core.jobs import job
from marketplace.core.scheduler import Periodic, register_periodic
from marketplace.core.transaction import enqueue_after_commit
from marketplace.deals.models import Deal, DealPatent
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, LicensePayment, PaymentInstallment
from marketplace.patents.models import PatentSegment
from marketplace.pledges.models import Pledge, PledgePatent

_MARKS = "console_stale_marks"  # (month, partition): a deal's or pledge's, known from the object itself
_REFS = "console_stale_refs"  # (kind, id): rows whose months and partitions the ledger tells after the flush
_LICENSED = "console_stale_licensed"  # (month, organisation): an open license's party, whose agencies count it
_GRANTED = "console_stale_granted"  # (organisation, agency): a changed permission period
_SESSION_KEYS = (_MARKS, _REFS, _LICENSED, _GRANTED)
_DAY_ATTRIBUTE = {Deal: "contract_date", Pledge: "registered_on"}

Mark = tuple[date, int]  # a month and a partition: ``PLATFORM`` or an agency's id
_ORGANISATION_ATTRIBUTES = ("region_code", "kind", "is_sme")


def register() -> None:
    """Attach the session hooks once and declare the periodic refresh (called when the console blueprint is
    registered)."""
    register_periodic(PERIODIC)
    for name, handler in (("after_flush", _collect), ("before_commit", _before_commit),
                          ("after_rollback", _forget)):
        if not event.contains(db.session, name, handler):
            event.listen(db.session, name, handler)


def _collect(session: Session, _flush_context) -> None:
    """Note the months and partitions (or the rows to resolve into them) this flush touched."""
    marks: set[Mark] = session.info.setdefault(_MARKS, set())
    refs: set[tuple[str, int]] = session.info.setdefault(_REFS, set())
    licensed: set[tuple[date, int]] = session.info.setdefault(_LICENSED, set())
    granted: set[tuple[int, int]] = session.info.setdefault(_GRANTED, set())
    for obj in [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]:
        attribute = _DAY_ATTRIBUTE.get(type(obj))
        if attribute is not None:
            partitions = {PLATFORM} | _values(obj, "agency_id")
            marks.update((month_start(day), partition) for day in _values(obj, attribute)
                         for partition in partitions)
        elif isinstance(obj, LicenseGrant):
            months = {month_start(day) for day in _values(obj, "effective_on")}
            marks.update((month, PLATFORM) for month in months)
            parties = _values(obj, "licensor_id") | _values(obj, "licensee_id")
            licensed.update((month, party) for month in months for party in parties)
        elif isinstance(obj, DealPatent):
            refs.add(("deal", obj.deal_id))
        elif isinstance(obj, PledgePatent):
            refs.add(("pledge", obj.pledge_id))
        elif isinstance(obj, PatentSegment):
            refs.add(("patent", obj.patent_id))
        elif isinstance(obj, (LicensePayment, PaymentInstallment)):
            refs.update(("license", license_id) for license_id in _values(obj, "license_id"))
        elif isinstance(obj, AgencyPermissionPeriod):
            granted.update((org_id, agency_id) for org_id in _values(obj, "organisation_id")
                           for agency_id in _values(obj, "agency_id"))
        elif isinstance(obj, Organisation) and any(inspect(obj).attrs[name].history.has_changes()
                                                   for name in _ORGANISATION_ATTRIBUTES):
            refs.add(("organisation", obj.id))


def _values(obj, attribute: str) -> set[Any]:
    """The attribute's values before and after this flush (a moved row concerns both)."""
    history = inspect(obj).attrs[attribute].history
    return {value for value in (*history.added, *history.unchanged, *history.deleted) if value is not None}


def _before_commit(session: Session) -> None:
    session.flush()
    if mark_pending(session):
        enqueue_after_commit(refresh_rollup)


def _forget(session: Session) -> None:
    for name in _SESSION_KEYS:
        session.info.pop(name, None)


def _unmarked(session: Session | scoped_session[Any], *, keep: bool) -> set[Mark]:
    """This unit of work's marks not yet written (``keep``: left noted, for a read)."""
    take = session.info.get if keep else session.info.pop
    marks: set[Mark] = set(take(_MARKS, set()))
    refs, licensed, granted = (take(name, set()) for name in (_REFS, _LICENSED, _GRANTED))
    if refs or licensed or granted:
        marks |= _marks_of(refs, set(licensed), granted)
    return marks


def mark_pending(session: Session | scoped_session[Any]) -> set[Mark]:
    """Write this unit of work's stale marks to the table every process reads; returns them."""
    marks = _unmarked(session, keep=False)
    if marks:
        mark_stale(marks)
    return marks


def stale_months(first: date, last: date, partition: int) -> set[date]:
    """Months in ``[first, last]`` whose rows of ``partition`` (``PLATFORM`` or an agency's id) the rollup does
    not reflect: marked stale, or changed in this unit of work and not yet marked (read only: flushing a session
    with nothing pending writes nothing)."""
    db.session.flush()
    months = {month for month, marked in _unmarked(db.session, keep=True) if marked == partition}
    months |= set(db.session.scalars(select(StaleMonth.month).where(
        StaleMonth.agency_id == partition, StaleMonth.month >= first, StaleMonth.month <= last)))
    return {month for month in months if first <= month <= last}


@job(queue="default", timeout=900, retries=3)
def refresh_rollup() -> int:
    """Job (after a commit that marked months stale, and periodic): recompute the stale months."""
    done = refresh_stale()
    transaction.commit()
    return done


PERIODIC = Periodic("console-rollup", timedelta(minutes=5), refresh_rollup)


def _marks_of(refs: set[tuple[str, int]], licensed: set[tuple[date, int]],
              granted: set[tuple[int, int]]) -> set[Mark]:
    """The months and partitions of the rows ``refs`` name (as the ledger now holds them), of the open licenses'
    parties ``licensed`` and of the permission periods ``granted`` changed."""
    by_kind: dict[str, list[int]] = {}
    for kind, ref_id in refs:
        by_kind.setdefault(kind, []).append(ref_id)
    marks: set[Mark] = set()
    deals = by_kind.get("deal", [])
    pledges = by_kind.get("pledge", [])
    patents = by_kind.get("patent", [])
    organisations = by_kind.get("organisation", [])
    licenses = by_kind.get("license", [])
    if deals or patents or organisations:
        clauses = []
        if deals:
            clauses.append(Deal.id.in_(deals))
        if patents:
            clauses.append(Deal.id.in_(select(DealPatent.deal_id).where(DealPatent.patent_id.in_(patents))))
        if organisations:
            clauses += [Deal.seller_id.in_(organisations), Deal.buyer_id.in_(organisations)]
        marks |= _brokered(select(Deal.contract_date, Deal.agency_id).distinct().where(or_(*clauses)))
    if pledges or patents or organisations:
        clauses = []
        if pledges:
            clauses.append(Pledge.id.in_(pledges))
        if patents:
            clauses.append(Pledge.id.in_(select(PledgePatent.pledge_id).where(PledgePatent.patent_id.in_(patents))))
        if organisations:
            clauses += [Pledge.pledgor_id.in_(organisations), Pledge.pledgee_id.in_(organisations)]
        marks |= _brokered(select(Pledge.registered_on, Pledge.agency_id).distinct().where(or_(*clauses)))
    if patents or organisations or licenses:
        clauses = []
        if patents:
            clauses.append(LicenseGrant.patent_id.in_(patents))
        if licenses:
            clauses.append(LicenseGrant.id.in_(licenses))
        if organisations:
            clauses += [LicenseGrant.licensor_id.in_(organisations), LicenseGrant.licensee_id.in_(organisations)]
        for day, licensor, licensee in _effective_licenses(clauses):
            marks.add((month_start(day), PLATFORM))
            licensed.update({(month_start(day), licensor), (month_start(day), licensee)})
    if granted:
        # Only the agency whose permission changed gains or loses these licenses: the platform's rows keep them.
        parties = sorted({organisation for organisation, _agency in granted})
        for day, licensor, licensee in _effective_licenses([LicenseGrant.licensor_id.in_(parties),
                                                            LicenseGrant.licensee_id.in_(parties)]):
            marks.update((month_start(day), agency) for organisation, agency in granted
                         if organisation in (licensor, licensee))
    if licensed:
        agencies: dict[int, set[int]] = {}
        for organisation, agency in db.session.execute(
                select(AgencyPermissionPeriod.organisation_id, AgencyPermissionPeriod.agency_id).distinct()
                .where(AgencyPermissionPeriod.permission == AgencyPermission.OPEN_LICENSES,
                       AgencyPermissionPeriod.organisation_id.in_({party for _month, party in licensed}))):
            agencies.setdefault(organisation, set()).add(agency)
        marks.update((month, agency) for month, party in licensed for agency in agencies.get(party, ()))
    return marks


def _effective_licenses(clauses: list) -> list[tuple[date, int, int]]:
    """Effective date, licensor and licensee of the open licenses obtained matching any of ``clauses``."""
    stmt = (select(LicenseGrant.effective_on, LicenseGrant.licensor_id, LicenseGrant.licensee_id).distinct()
            .where(LicenseGrant.effective_on.is_not(None), or_(*clauses)))
    return [(day, licensor, licensee) for day, licensor, licensee in db.session.execute(stmt)]


def _brokered(stmt) -> set[Mark]:
    """The platform's and the brokering agency's mark of each (day, agency) row."""
    marks: set[Mark] = set()
    for day, agency_id in db.session.execute(stmt):
        if day is not None:
            marks.add((month_start(day), PLATFORM))
            if agency_id is not None:
                marks.add((month_start(day), agency_id))
    return marks


def _insert_ignoring_duplicates(table):
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def mark_stale(marks: Iterable[Mark]) -> None:
    """Mark months of partitions stale; concurrent writers marking the same one do not collide."""
    rows = [{"month": month_start(month), "agency_id": partition} for month, partition in sorted(set(marks))]
    if rows:
        db.session.execute(_insert_ignoring_duplicates(StaleMonth.__table__), rows)


def _locked(stmt):
    """On PostgreSQL the stale rows are locked while they are recomputed, so a concurrent refresh waits and
    then finds them done, and a writer marking one of them again waits and leaves its mark for the next read."""
    return stmt.with_for_update() if db.session.get_bind().dialect.name == "postgresql" else stmt


def refresh_stale() -> int:
    """Recompute the stale months of their partitions (this session's own changes included); returns how many."""
    db.session.flush()
    mark_pending(db.session)
    stmt = select(StaleMonth.month, StaleMonth.agency_id).order_by(StaleMonth.month, StaleMonth.agency_id)
    marks = [(month, partition) for month, partition in db.session.execute(_locked(stmt))]
    for month, partition in marks:
        scope = Scope(None if partition == PLATFORM else partition)
        rows = MonthlyRollup.agency_id.is_(None) if scope.platform else MonthlyRollup.agency_id == scope.agency_id
        db.session.execute(delete(MonthlyRollup).where(MonthlyRollup.month == month, rows))
        _store(Filters(start=month, end=month_end(month)), scope)
        db.session.execute(delete(StaleMonth).where(StaleMonth.month == month, StaleMonth.agency_id == partition))
    return len(marks)


def rebuild() -> int:
    """Recompute every month from the ledger; returns the number of rollup rows written."""
    db.session.flush()
    mark_pending(db.session)
    db.session.execute(delete(MonthlyRollup))
    db.session.execute(delete(StaleMonth))
    _store(Filters(), Scope())
    _store(Filters(), Scope(), by_agency=True)
    return int(db.session.scalar(select(func.count()).select_from(MonthlyRollup)))


def _store(period: Filters, scope: Scope, *, by_agency: bool = False) -> None:
    """Write the rollup rows of ``period`` (whole months) by ``INSERT … SELECT``: the scope's (the platform's, or
    one agency's), or with ``by_agency`` every agency's, each open license under every agency that may count it.
    Segments multiply the items and are aggregated apart; the other dimensions share one selection of the items."""
    columns = ["month", "mode", "key", "items", "cents", "dimension"]
    segments = aggregated(scope, period, "segment", by_agency=by_agency)
    for found in (None if segments is None else segments.add_columns(literal("segment", String).label("dimension")),
                  aggregated_together(scope, period, by_agency=by_agency)):
        if found is None:
            continue
        rows = found.subquery("cells")
        agency = rows.c.agency_id if scope.platform else literal(scope.agency_id, Integer)
        db.session.execute(insert(MonthlyRollup).from_select(
            [*columns, "agency_id"], select(*(rows.c[name] for name in columns), agency)))
