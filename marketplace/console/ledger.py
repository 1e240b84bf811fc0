"""The ledger as the console counts it: one row per deal, open license obtained or pledge.

Definitions (shown on the console, in both languages, and in the API description):

- **transfer / license / equity / auction** — a deal that binds (signed, recorded or
  completed: every party has consented), dated by its contract date, for its
  contract amount. Deals in negotiation or awaiting consent are not counted:
  the console lists them apart (``pending``); cancelled deals never count.
  An auction counts for its hammer price (the deal amount) as a deal of its
  own mode, and toward targets as a transfer (it is a transfer by auction).
- **entrusted operation** — never counted: the owner mandating an operator
  transfers no right and has no contract amount of a transformation; what the
  operator then brokers counts as those deals (with the operator as agency),
  so counting the mandate too would count the same patents twice.
- **open license** — a license obtained through an open license that has
  taken effect, dated by its effective date, for the part of its fixed fee
  (lump sum or entry fee) paid and confirmed so far. What is still unpaid or
  unconfirmed is not counted: the console lists it apart; royalties are
  reported later and are not a contract amount; free licenses count ¥0.
- **pledge** — a registered pledge (also once released), dated by its
  registration date, for the amount financed.
- **holder** — the patent-holding side: seller, licensor or pledgor; the
  *by university* figures group the holders that are universities or institutes.
- **region** — the region of the organisation the patent goes to or that is
  financed: the buyer, the licensee, the pledgor.
- **segment** — the industry segments of the item's patents; an item with
  patents in several segments counts once in each, an item without any under
  ``""`` (unclassified), so segment figures add up to more than the total.
- **SME acquirer** — an SME buyer or licensee of a university's or
  institute's patent (transfer, license, equity or open license).

Scope: an agency counts the deals and pledges it brokered (its
``agency_id``), and the open licenses of organisations that accepted it
(``marketplace.agencies``): those whose licensor or licensee had granted it
the ``open_licenses`` permission on the day the license took effect. Inviting
an organisation to an event or naming it in a deal never brings its data in.
Platform admins see it all.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from functools import cache
from typing import Any
from datetime import date

from sqlalchemy import (
    BigInteger, ColumnElement, CompoundSelect, Integer, Select, String, and_, any_, bindparam, cast, exists, func, join, literal,
    null, or_, select, true, type_coerce, union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import QueryableAttribute, aliased

from marketplace.accounts.models import Organisation, OrganisationKind
from marketplace.agencies.access import authorised_clause, covering
from marketplace.agencies.models import AgencyPermission, AgencyPermissionPeriod
from marketplace.deals.models import Deal, DealMode, DealPatent, DealStatus
from marketplace.extensions import db
from marketplace.openlicense.models import LicenseGrant, LicensePayment, PaymentInstallment, PaymentStatus
from marketplace.patents.models import PatentSegment
from marketplace.pledges.models import Pledge, PledgePatent

MODES = ("transfer", "license", "open_license", "equity", "auction", "pledge")
DEAL_MODES = ("transfer", "license", "equity", "auction")
COUNTED_DEALS = (DealStatus.SIGNED, DealStatus.RECORDED, DealStatus.COMPLETED)
ACADEMIC = (OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE)
FEE_TYPES = ("fixed", "royalty", "free")
DIMENSIONS = ("all", "segment", "region", "organisation", "sme", "fee")


@dataclass(frozen=True)
class Scope:
    """Whose figures: one agency's (``agency_id``) or the whole platform's (``None``)."""

    agency_id: int | None = None

    @property
    def platform(self) -> bool:
        return self.agency_id is None


@dataclass(frozen=True)
class Filters:
    """The slice of the ledger a figure or a drill-down list covers; every field narrows it."""

    start: date | None = None
    end: date | None = None
    mode: str | None = None
    segment: str | None = None
    region: str | None = None
    organisation_id: int | None = None
    sme: bool = False
    fee_type: str | None = None

    def narrowed(self, **changes: Any) -> "Filters":
        """A copy with ``changes``, made by copying the attributes: ``dataclasses.replace`` re-runs ``__init__``
        through the fields' introspection, and a dashboard narrows the filters of ~2,400 figures."""
        unknown = changes.keys() - _FILTER_FIELDS
        if unknown:
            raise TypeError(f"unknown filters: {sorted(unknown)}")
        copy = object.__new__(Filters)
        copy.__dict__.update(self.__dict__, **changes)
        return copy


_FILTER_FIELDS = frozenset(field.name for field in fields(Filters))


Expr = ColumnElement[Any] | QueryableAttribute[Any]  # a column of a model, or an expression


def confirmed_payment() -> ColumnElement[bool]:
    """A license payment its payee, the licensor, has confirmed (itself, or an agency it authorised to)."""
    return LicensePayment.status == PaymentStatus.CONFIRMED


def fee_paid(grant_id: Expr | int, *, confirmed: bool = True) -> ColumnElement:
    """The confirmed payments on a license's fixed-fee installments (royalty payments are not contract amounts);
    with ``confirmed=False`` every payment recorded, confirmed or not."""
    paid = (select(func.sum(LicensePayment.amount))
            .join(PaymentInstallment, PaymentInstallment.id == LicensePayment.installment_id)
            .where(LicensePayment.license_id == grant_id, PaymentInstallment.kind == "fee",
                   confirmed_payment() if confirmed else true())
            .scalar_subquery())
    return func.coalesce(paid, 0)


def open_licenses_visible(agency_id: int | Expr, on: Expr) -> ColumnElement[bool]:
    """An open license (the ``LicenseGrant`` row of the query) an agency may count: its licensor or licensee
    had granted the agency ``open_licenses`` on day ``on``.

    For one agency the licenses are first narrowed to those with a party that ever granted it the permission,
    an uncorrelated ``IN`` PostgreSQL hashes once; only those are checked day by day. The largest agency's page
    checked ~28,000 licenses of its year each against the periods index (~290 ms) to keep a fifth of them.
    """
    on_the_day = or_(*(authorised_clause(agency_id, party, AgencyPermission.OPEN_LICENSES, on)
                       for party in (LicenseGrant.licensor_id, LicenseGrant.licensee_id)))
    if not isinstance(agency_id, int):
        return on_the_day
    ever = (select(AgencyPermissionPeriod.organisation_id)
            .where(AgencyPermissionPeriod.agency_id == agency_id,
                   AgencyPermissionPeriod.permission == AgencyPermission.OPEN_LICENSES).correlate(None))
    return and_(or_(LicenseGrant.licensor_id.in_(ever), LicenseGrant.licensee_id.in_(ever)), on_the_day)


@dataclass(frozen=True)
class _Branch:
    """How one ledger table maps onto the common item columns."""

    source: str
    table: type[Any]
    item_id: Expr
    mode: Expr
    day: Expr
    amount: Expr
    holder_id: Expr
    acquirer_id: Expr
    region_from_holder: bool
    fee_type: Expr
    link: tuple[type[Any], Expr, Expr] | None  # (link model, item id, patent id); None: one patent
    patent_id: Expr | None  # the row's own patent when there is no link table
    counted: Expr


@cache
def _branches() -> tuple[_Branch, ...]:
    """Built once: SQL expressions are immutable, and building them on every query cost more than running it."""
    return (
        _Branch("deal", Deal, Deal.id, Deal.mode, Deal.contract_date, Deal.amount, Deal.seller_id, Deal.buyer_id,
                False, null(), (DealPatent, DealPatent.deal_id, DealPatent.patent_id), None,
                and_(Deal.status.in_(COUNTED_DEALS), Deal.contract_date.is_not(None),
                     Deal.mode.in_([DealMode(mode) for mode in DEAL_MODES]))),
        _Branch("open_license", LicenseGrant, LicenseGrant.id, literal("open_license", String), LicenseGrant.effective_on,
                fee_paid(LicenseGrant.id), LicenseGrant.licensor_id, LicenseGrant.licensee_id, False,
                LicenseGrant.fee_type, None, LicenseGrant.patent_id, LicenseGrant.effective_on.is_not(None)),
        _Branch("pledge", Pledge, Pledge.id, literal("pledge", String), Pledge.registered_on, Pledge.amount,
                Pledge.pledgor_id, Pledge.pledgee_id, True, null(),
                (PledgePatent, PledgePatent.pledge_id, PledgePatent.patent_id), None, true()),
    )


def _branch_modes(branch: _Branch) -> tuple[str, ...]:
    return DEAL_MODES if branch.source == "deal" else (branch.source,)


def items(scope: Scope, filters: Filters, *, segments: bool = False,
          by_agency: bool = False) -> Select | CompoundSelect | None:
    """The counted ledger rows in scope and filter, one per item (per item and segment with ``segments``).

    Columns: source, item_id, mode, day, amount, cents, agency_id, holder_id,
    holder_kind, holder_name, acquirer_id, acquirer_sme, region_code,
    fee_type (and segment). ``None`` when no table can match (e.g. a fee type
    asked of deals). With ``by_agency`` an open license comes once per agency
    its licensor or licensee had authorised on its effective date, with that
    agency's id (what the rollup stores per agency).
    """
    selects = item_selects(scope, filters, segments=segments, by_agency=by_agency)
    if not selects:
        return None
    return selects[0] if len(selects) == 1 else union_all(*selects)


def item_selects(scope: Scope, filters: Filters, *, segments: bool = False,
                 by_agency: bool = False) -> list[Select]:
    """``items`` one table at a time, for callers that order and limit each before combining them."""
    return [stmt for branch in _branches()
            if (stmt := _branch_select(branch, scope, filters, segments, by_agency)) is not None]


def id_in(column: Expr, ids: Collection[int]) -> ColumnElement[bool]:
    """``column IN ids`` for the long lists the console names (thousands of SMEs): on PostgreSQL one array parameter,
    ``= ANY(…)``, instead of one bound parameter each, whose rendering and parsing cost more than the query."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, sorted(ids), type_=postgresql.ARRAY(Integer)))
    return column.in_(sorted(ids))


def cents(amount: Expr) -> ColumnElement:
    """An amount as whole cents, so sums are exact integers on SQLite (which keeps NUMERIC as REAL) too."""
    return cast(func.round(amount * 100), BigInteger)


def _has_segment(branch: _Branch, code: str) -> ColumnElement:
    """The item has a patent in segment ``code`` (``""``: no patent of it has any segment)."""
    if branch.link is None:
        tagged = select(PatentSegment.patent_id).where(PatentSegment.patent_id == branch.patent_id)
    else:
        model, item, patent = branch.link
        tagged = (select(item).select_from(model).join(PatentSegment, PatentSegment.patent_id == patent)
                  .where(item == branch.item_id))
    if code == "":
        return ~exists(tagged)
    return exists(tagged.where(PatentSegment.segment_code == code))


@cache
def _party_aliases(source: str) -> tuple[type[Organisation], type[Organisation]]:
    """The holder and acquirer organisations of a branch, built once (an alias copies every column)."""
    return aliased(Organisation, name=f"holder_{source}"), aliased(Organisation, name=f"acquirer_{source}")


def _branch_select(branch: _Branch, scope: Scope, filters: Filters, segments: bool,
                   by_agency: bool) -> Select | None:
    modes = _branch_modes(branch)
    if filters.mode is not None and filters.mode not in modes:
        return None
    if filters.fee_type is not None and branch.source != "open_license":
        return None
    if filters.sme and branch.source == "pledge":
        return None
    holder, acquirer = _party_aliases(branch.source)
    region_code = holder.region_code if branch.region_from_holder else acquirer.region_code
    serving = by_agency and branch.source == "open_license"
    agency_id: Expr
    if serving:
        agency_id = AgencyPermissionPeriod.agency_id
    else:
        agency_id = branch.table.agency_id if hasattr(branch.table, "agency_id") else cast(null(), Integer)
    conditions: list[Expr] = [branch.counted]
    if filters.mode is not None and branch.source == "deal":
        conditions.append(Deal.mode == DealMode(filters.mode))
    if filters.start is not None:
        conditions.append(branch.day >= filters.start)
    if filters.end is not None:
        conditions.append(branch.day <= filters.end)
    if scope.agency_id is not None:
        if branch.source == "open_license":
            conditions.append(open_licenses_visible(scope.agency_id, LicenseGrant.effective_on))
        else:
            conditions.append(getattr(branch.table, "agency_id") == scope.agency_id)
    if filters.region is not None:
        conditions.append(region_code == filters.region)
    if filters.organisation_id is not None:
        conditions.append(and_(branch.holder_id == filters.organisation_id, holder.kind.in_(ACADEMIC)))
    if filters.sme:
        conditions.append(and_(acquirer.is_sme.is_(True), holder.kind.in_(ACADEMIC)))
    if filters.fee_type is not None:
        conditions.append(LicenseGrant.fee_type == filters.fee_type)
    if filters.segment is not None:
        conditions.append(_has_segment(branch, filters.segment))
    columns = [
        literal(branch.source, String).label("source"), branch.item_id.label("item_id"),
        type_coerce(branch.mode, String).label("mode"),
        branch.day.label("day"), branch.amount.label("amount"), cents(branch.amount).label("cents"),
        agency_id.label("agency_id"), branch.holder_id.label("holder_id"),
        holder.kind.label("holder_kind"), holder.name.label("holder_name"), branch.acquirer_id.label("acquirer_id"),
        acquirer.is_sme.label("acquirer_sme"), region_code.label("region_code"),
        cast(branch.fee_type, String).label("fee_type"),
    ]
    stmt = (select(*columns).select_from(branch.table)
            .join(holder, holder.id == branch.holder_id).join(acquirer, acquirer.id == branch.acquirer_id))
    # One row per item (and agency, and segment), as DISTINCT would give, but grouped by the keys every other
    # column depends on: hashing four keys instead of fifteen columns (names among them) took a third off a
    # month's segment aggregation at a million deals.
    once: list[Expr] = []
    if serving:
        # An agency both parties authorised counts the license once.
        stmt = stmt.join(AgencyPermissionPeriod, and_(
            AgencyPermissionPeriod.organisation_id.in_([LicenseGrant.licensor_id, LicenseGrant.licensee_id]),
            AgencyPermissionPeriod.permission == AgencyPermission.OPEN_LICENSES,
            covering(LicenseGrant.effective_on)))
        once.append(AgencyPermissionPeriod.agency_id)
    if segments:
        if branch.link is None:
            stmt = stmt.outerjoin(PatentSegment, PatentSegment.patent_id == branch.patent_id)
        else:
            model, item, patent = branch.link
            stmt = stmt.outerjoin(join(model, PatentSegment, PatentSegment.patent_id == patent), item == branch.item_id)
        # Two patents of one item in the same segment count the item once there.
        segment = func.coalesce(PatentSegment.segment_code, "")
        stmt = stmt.add_columns(segment.label("segment"))
        once.append(segment)
    if once:
        stmt = stmt.group_by(branch.item_id, holder.id, acquirer.id, *once)
    return stmt.where(*conditions)
