"""Keeping the monthly rollup equal to the ledger.

Whatever changes a counted row — a deal, an open license obtained or its
payments, a pledge, their patent links, a patent's segments, an
organisation's region, kind or SME flag — marks the months it touches stale,
in the same transaction, from session hooks: the ledger's services need not
know the console exists. So does a change to what an organisation granted an
agency (``agencies`` permission periods): the months of that organisation's
open licenses are marked, since they enter or leave the agency's rows. After
the commit a job (``refresh_rollup``, also the periodic ``console-rollup``)
recomputes the stale months from the ledger (never by deltas); until it has,
reads take those months live from the ledger (``stale_months``), so a figure
is never older than the ledger it summarises and a read never writes.
``flask console rebuild-rollup`` recomputes everything, e.g. after bulk SQL.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import String, delete, event, func, insert, inspect, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

from marketplace.accounts.models import Organisation
from marketplace.agencies.models import AgencyPermissionPeriod
from marketplace.console.cells import aggregated, month_end, month_start
from marketplace.console.ledger import DIMENSIONS, Filters, Scope
from marketplace.console.models import MonthlyRollup, StaleMonth
from marketplace.core import transaction
from marketplace.core.jobs import job
from marketplace.core.scheduler import Periodic, register_periodic
from marketplace.core.transaction import enqueue_after_commit
from marketplace.deals.models import Deal, DealPatent
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, LicensePayment, PaymentInstallment
from marketplace.patents.models import PatentSegment
from marketplace.pledges.models import Pledge, PledgePatent

_MONTHS = "console_stale_months"
_REFS = "console_stale_refs"
_DAY_ATTRIBUTE = {Deal: "contract_date", LicenseGrant: "effective_on", Pledge: "registered_on"}
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
    """Note the months (or the rows to resolve into them) this flush touched."""
    months: set[date] = session.info.setdefault(_MONTHS, set())
    refs: set[tuple[str, int]] = session.info.setdefault(_REFS, set())
    for obj in [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]:
        attribute = _DAY_ATTRIBUTE.get(type(obj))
        if attribute is not None:
            history = inspect(obj).attrs[attribute].history
            months.update(month_start(day) for day in (*history.added, *history.unchanged, *history.deleted)
                          if isinstance(day, date))
        elif isinstance(obj, DealPatent):
            refs.add(("deal", obj.deal_id))
        elif isinstance(obj, PledgePatent):
            refs.add(("pledge", obj.pledge_id))
        elif isinstance(obj, PatentSegment):
            refs.add(("patent", obj.patent_id))
        elif isinstance(obj, (LicensePayment, PaymentInstallment)):
            refs.update(("license", license_id) for license_id in _values(obj, "license_id"))
        elif isinstance(obj, AgencyPermissionPeriod):
            refs.update(("licenses_of", org_id) for org_id in _values(obj, "organisation_id"))
        elif isinstance(obj, Organisation) and any(inspect(obj).attrs[name].history.has_changes()
                                                   for name in _ORGANISATION_ATTRIBUTES):
            refs.add(("organisation", obj.id))


def _values(obj, attribute: str) -> set[int]:
    """The attribute's values before and after this flush (a moved row concerns both)."""
    history = inspect(obj).attrs[attribute].history
    return {value for value in (*history.added, *history.unchanged, *history.deleted) if value is not None}


def _before_commit(session: Session) -> None:
    session.flush()
    if mark_pending(session):
        enqueue_after_commit(refresh_rollup)


def _forget(session: Session) -> None:
    for name in (_MONTHS, _REFS):
        session.info.pop(name, None)


def mark_pending(session: Session | scoped_session[Any]) -> set[date]:
    """Write this unit of work's stale months to the table every process reads; returns them."""
    months = set(session.info.pop(_MONTHS, set()))
    refs = session.info.pop(_REFS, set())
    if refs:
        months |= _months_of(refs)
    if months:
        mark_stale(months)
    return months


def stale_months(first: date, last: date) -> set[date]:
    """Months in ``[first, last]`` the rollup does not reflect: marked stale, or changed in this unit of work
    and not yet marked (read only: flushing a session with nothing pending writes nothing)."""
    db.session.flush()
    months = set(db.session.info.get(_MONTHS, set()))
    refs = db.session.info.get(_REFS, set())
    if refs:
        months |= _months_of(refs)
    months |= set(db.session.scalars(select(StaleMonth.month).where(StaleMonth.month >= first,
                                                                    StaleMonth.month <= last)))
    return {month for month in months if first <= month <= last}


@job(queue="default", timeout=900, retries=3)
def refresh_rollup() -> int:
    """Job (after a commit that marked months stale, and periodic): recompute the stale months."""
    done = refresh_stale()
    transaction.commit()
    return done


PERIODIC = Periodic("console-rollup", timedelta(minutes=5), refresh_rollup)


def _months_of(refs: set[tuple[str, int]]) -> set[date]:
    by_kind: dict[str, list[int]] = {}
    for kind, ref_id in refs:
        by_kind.setdefault(kind, []).append(ref_id)
    days: list[date | None] = []
    deals = by_kind.get("deal", [])
    pledges = by_kind.get("pledge", [])
    patents = by_kind.get("patent", [])
    organisations = by_kind.get("organisation", [])
    licenses = by_kind.get("license", [])
    licensing = organisations + by_kind.get("licenses_of", [])
    if deals or patents or organisations:
        stmt = select(Deal.contract_date).distinct()
        clauses = []
        if deals:
            clauses.append(Deal.id.in_(deals))
        if patents:
            clauses.append(Deal.id.in_(select(DealPatent.deal_id).where(DealPatent.patent_id.in_(patents))))
        if organisations:
            clauses += [Deal.seller_id.in_(organisations), Deal.buyer_id.in_(organisations)]
        days += db.session.scalars(stmt.where(db.or_(*clauses)))
    if pledges or patents or organisations:
        clauses = []
        if pledges:
            clauses.append(Pledge.id.in_(pledges))
        if patents:
            clauses.append(Pledge.id.in_(select(PledgePatent.pledge_id).where(PledgePatent.patent_id.in_(patents))))
        if organisations:
            clauses += [Pledge.pledgor_id.in_(organisations), Pledge.pledgee_id.in_(organisations)]
        days += db.session.scalars(select(Pledge.registered_on).distinct().where(db.or_(*clauses)))
    if patents or licensing or licenses:
        clauses = []
        if patents:
            clauses.append(LicenseGrant.patent_id.in_(patents))
        if licenses:
            clauses.append(LicenseGrant.id.in_(licenses))
        if licensing:
            clauses += [LicenseGrant.licensor_id.in_(licensing), LicenseGrant.licensee_id.in_(licensing)]
        days += db.session.scalars(select(LicenseGrant.effective_on).distinct().where(db.or_(*clauses)))
    return {month_start(day) for day in days if day is not None}


def _insert_ignoring_duplicates(table):
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def mark_stale(months: Iterable[date]) -> None:
    """Mark months stale; concurrent writers marking the same month do not collide."""
    rows = [{"month": month_start(month)} for month in sorted(set(months))]
    if rows:
        db.session.execute(_insert_ignoring_duplicates(StaleMonth.__table__), rows)


def _locked(stmt):
    """On PostgreSQL the stale rows are locked while they are recomputed, so a concurrent refresh waits and
    then finds them done, and a writer marking one of them again waits and leaves its mark for the next read."""
    return stmt.with_for_update() if db.session.get_bind().dialect.name == "postgresql" else stmt


def refresh_stale() -> int:
    """Recompute the stale months (this session's own changes included); returns how many."""
    db.session.flush()
    mark_pending(db.session)
    stmt = select(StaleMonth.month).order_by(StaleMonth.month)
    months = list(db.session.scalars(_locked(stmt)))
    for month in months:
        db.session.execute(delete(MonthlyRollup).where(MonthlyRollup.month == month))
        _store(Filters(start=month, end=month_end(month)))
        db.session.execute(delete(StaleMonth).where(StaleMonth.month == month))
    return len(months)


def rebuild() -> int:
    """Recompute every month from the ledger; returns the number of rollup rows written."""
    db.session.flush()
    mark_pending(db.session)
    db.session.execute(delete(MonthlyRollup))
    db.session.execute(delete(StaleMonth))
    _store(Filters())
    return int(db.session.scalar(select(func.count()).select_from(MonthlyRollup)))


def _store(period: Filters) -> None:
    """Write the rollup rows of ``period`` (whole months), platform-wide and per agency, by ``INSERT … SELECT``."""
    columns = ["month", "mode", "key", "items", "cents", "agency_id"]
    for dimension in DIMENSIONS:
        for by_agency in (False, True):
            found = aggregated(Scope(), period, dimension, by_agency=by_agency)
            if found is None:
                continue
            rows = found.subquery("cells")
            stmt = insert(MonthlyRollup).from_select(
                [*columns, "dimension"], select(*(rows.c[name] for name in columns), literal(dimension, String)))
            db.session.execute(stmt)
